import { useEffect, useState } from 'preact/hooks';
import { useLocation, useRoute } from 'preact-iso';
import { Loading } from '../../components/states';
import { errorMessage } from '../../lib/errors';
import { refreshSession } from '../../lib/session';
import { trpc } from '../../lib/trpc';
import { safeNext } from '../../routing';
import { AuthLayout } from './AuthLayout';

/** The link from the sign-up email: creates the account, signs in, and goes on (Welcome or an invitation). */
export function ConfirmEmailPage() {
  const { params } = useRoute();
  const { route } = useLocation();
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let stale = false;
    void (async () => {
      try {
        const { next } = await trpc.auth.confirmSignUp.mutate({ token: params.token!, client: 'web' });
        await refreshSession();
        if (!stale) route(safeNext(next ?? undefined, '/welcome'), true);
      } catch (e) {
        if (!stale) setError(errorMessage(e));
      }
    })();
    return () => {
      stale = true;
    };
  }, [params.token]);

  return (
    <AuthLayout title="Confirming your email" footer={<a href="/sign-in">Back to sign in</a>}>
      {error ? (
        <div class="alert alert-error" role="alert" data-testid="confirm-error">
          {error} <a href="/sign-up">Sign up again</a>
        </div>
      ) : (
        <Loading />
      )}
    </AuthLayout>
  );
}
