import { useEffect, useRef } from 'preact/hooks';
import { useLocation, useRoute } from 'preact-iso';
import { FormError } from '../../components/Field';
import { ErrorState, Loading } from '../../components/states';
import { useSubmit } from '../../lib/form';
import { notify } from '../../lib/notices';
import { useQuery } from '../../lib/query';
import { refreshSession, signedIn, signOut } from '../../lib/session';
import { trpc } from '../../lib/trpc';
import { AuthLayout } from '../auth/AuthLayout';

/**
 * Where an invite email lands. Signed out: sign in or create an account (email prefilled), then
 * come back here and the invite is accepted. Signed in as the invited email: one click.
 */
export function InvitePage() {
  const { params } = useRoute();
  const { query, route } = useLocation();
  const token = params.token!;
  const info = useQuery(() => trpc.auth.inviteInfo.query({ token }), [token]);
  const accept = useSubmit();
  const me = signedIn.value;
  const autoAccepted = useRef(false);

  const invite = info.data;
  const emailMatches = Boolean(me && invite && me.user.email.toLowerCase() === invite.email.toLowerCase());
  const usable = Boolean(invite && !invite.expired && !invite.accepted);

  async function onAccept() {
    const result = await accept.run(async () => {
      const joined = await trpc.auth.acceptInvite.mutate({ token });
      await refreshSession();
      return joined;
    });
    if (result.ok) {
      notify(`Welcome to ${result.value.orgName}.`);
      route('/settings/members', true);
    }
  }

  // Back from signing in or up: finish what the person started.
  useEffect(() => {
    if (query.accept === '1' && emailMatches && usable && !autoAccepted.current) {
      autoAccepted.current = true;
      void onAccept();
    }
  }, [emailMatches, usable, query.accept]);

  if (info.loading) {
    return (
      <AuthLayout title="Invitation">
        <Loading label="Opening your invitation…" />
      </AuthLayout>
    );
  }
  if (info.error || !invite) {
    return (
      <AuthLayout title="Invitation" footer={<a href="/">Go to CareText</a>}>
        <ErrorState title="This invitation can't be used" message={info.error ?? 'This invite link is not valid.'} />
      </AuthLayout>
    );
  }

  const next = `/invite/${token}?accept=1`;
  const carry = `?email=${encodeURIComponent(invite.email)}&next=${encodeURIComponent(next)}`;
  const roleText = invite.role === 'admin' ? 'an admin' : 'a member';

  return (
    <AuthLayout title={`Join ${invite.orgName}`} footer={<a href="/">Go to CareText</a>}>
      <div class="invite-summary" data-testid="invite-summary">
        <p>
          <strong>{invite.invitedBy}</strong> invited you to join <strong data-testid="invite-org">{invite.orgName}</strong> on CareText as{' '}
          <span data-testid="invite-role">{roleText}</span>.
        </p>
        <dl class="details">
          <dt>Invitation for</dt>
          <dd data-testid="invite-email">{invite.email}</dd>
        </dl>
      </div>

      {invite.accepted ? (
        <div class="alert alert-info">
          This invitation was already accepted. {me ? <a href="/">Open CareText</a> : <a href={`/sign-in?email=${encodeURIComponent(invite.email)}`}>Sign in</a>}
        </div>
      ) : invite.expired ? (
        <div class="alert alert-error">This invitation has expired. Ask {invite.invitedBy} to send a new one.</div>
      ) : !me ? (
        <div class="stack">
          <p class="muted">To accept, sign in with {invite.email} or create an account for it.</p>
          <a class="btn btn-primary btn-block" href={`/sign-up${carry}`} data-testid="invite-sign-up">
            Create an account
          </a>
          <a class="btn btn-secondary btn-block" href={`/sign-in${carry}`} data-testid="invite-sign-in">
            I already have an account
          </a>
        </div>
      ) : !emailMatches ? (
        <div class="stack">
          <div class="alert alert-warning">
            You are signed in as <strong>{me.user.email}</strong>, but this invitation is for <strong>{invite.email}</strong>.
          </div>
          <button
            type="button"
            class="btn btn-secondary btn-block"
            onClick={async () => {
              await signOut();
              route(`/sign-in${carry}`);
            }}
          >
            Sign out and continue as {invite.email}
          </button>
        </div>
      ) : (
        <div class="stack">
          <FormError message={accept.formError} />
          <button type="button" class="btn btn-primary btn-block" disabled={accept.pending} onClick={onAccept} data-testid="invite-accept">
            {accept.pending ? 'Joining…' : `Accept and join ${invite.orgName}`}
          </button>
        </div>
      )}
    </AuthLayout>
  );
}
