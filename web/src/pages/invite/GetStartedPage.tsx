import { useLocation, useRoute } from 'preact-iso';
import { z } from 'zod';
import { Field, FormError, SubmitButton } from '../../components/Field';
import { ErrorState, Loading } from '../../components/states';
import { formValues, useSubmit } from '../../lib/form';
import { notify } from '../../lib/notices';
import { useQuery } from '../../lib/query';
import { refreshSession, signedIn, signOut } from '../../lib/session';
import { trpc } from '../../lib/trpc';
import { AuthLayout } from '../auth/AuthLayout';
import { signUpSchema } from '../auth/schemas';

const INVALID_LINK = 'This invitation link is not valid. Ask the person who wrote to you to send a new message.';
const setUpSchema = signUpSchema.pick({ name: true, password: true });
type SetUp = z.infer<typeof setUpSchema>;

/**
 * /external/:token — where an external collaborator's invitation email lands ("Get started").
 * No account: a short setup (name, password), then the conversation. An account already: sign
 * in with it and continue here in one click.
 */
export function GetStartedPage() {
  const { params } = useRoute();
  const { route } = useLocation();
  const token = params.token!;
  // A link cut short in the email client is not worth a request (and the server's answer would name a field).
  const malformed = token.length < 10 || token.length > 200;
  const info = useQuery(() => (malformed ? Promise.reject(new Error(INVALID_LINK)) : trpc.external.info.query({ token })), [token]);
  const form = useSubmit(['name', 'password']);
  const me = signedIn.value;
  const invite = info.data;

  async function land(conversationId: string) {
    await refreshSession();
    notify(`Welcome. You're in the conversation with ${invite?.orgName ?? 'your contact'}.`);
    route(`/inbox/${conversationId}`, true);
  }

  async function onSetUp(e: Event) {
    e.preventDefault();
    if (form.pending) return;
    const input: SetUp | null = form.check(setUpSchema, formValues(e.currentTarget as HTMLFormElement));
    if (!input) return;
    const result = await form.run(() => trpc.external.setUp.mutate({ token, ...input, client: 'web' }));
    if (result.ok) await land(result.value.conversationId);
  }

  async function onContinue() {
    const result = await form.run(() => trpc.external.accept.mutate({ token }));
    if (result.ok) await land(result.value.conversationId);
  }

  if (info.loading) {
    return (
      <AuthLayout title="Get started">
        <Loading label="Opening your invitation…" />
      </AuthLayout>
    );
  }
  if (info.error || !invite) {
    return (
      <AuthLayout title="Get started" footer={<a href="/">Go to CareText</a>}>
        <ErrorState title="This invitation can't be used" message={info.error ?? INVALID_LINK} />
      </AuthLayout>
    );
  }

  const emailMatches = Boolean(me && me.user.email.toLowerCase() === invite.email.toLowerCase());
  const next = `/external/${token}`;

  return (
    <AuthLayout title="Get started" footer={<a href="/">Go to CareText</a>}>
      <div class="invite-summary" data-testid="get-started-summary">
        <p>
          <strong>{invite.invitedBy}</strong> at <strong data-testid="get-started-org">{invite.orgName}</strong> sent you a secure message on CareText.
        </p>
        <dl class="details">
          <dt>Invitation for</dt>
          <dd data-testid="get-started-email">{invite.email}</dd>
        </dl>
        <p class="muted small">You join as an external collaborator: you see the conversations you are invited to, nothing else of {invite.orgName}.</p>
      </div>
      {invite.accepted ? (
        <div class="alert alert-info" data-testid="get-started-used">
          This invitation was already used. {me ? <a href="/inbox">Open your inbox</a> : <a href={`/sign-in?email=${encodeURIComponent(invite.email)}`}>Sign in</a>}
        </div>
      ) : invite.expired ? (
        <div class="alert alert-error" data-testid="get-started-expired">
          This invitation has expired. Ask {invite.invitedBy} to send you a new message.
        </div>
      ) : me && emailMatches ? (
        <div class="stack">
          <FormError message={form.formError} />
          <button type="button" class="btn btn-primary btn-block" disabled={form.pending} onClick={onContinue} data-testid="get-started-continue">
            {form.pending ? 'Opening…' : 'Continue to the conversation'}
          </button>
        </div>
      ) : me ? (
        <div class="stack">
          <div class="alert alert-warning">
            You are signed in as <strong>{me.user.email}</strong>, but this invitation is for <strong>{invite.email}</strong>.
          </div>
          <button type="button" class="btn btn-secondary btn-block" onClick={() => void signOut()}>
            Sign out and continue as {invite.email}
          </button>
        </div>
      ) : invite.hasAccount ? (
        <div class="stack">
          <p class="muted">{invite.email} already has a CareText account. Sign in with it to continue.</p>
          <a class="btn btn-primary btn-block" href={`/sign-in?email=${encodeURIComponent(invite.email)}&next=${encodeURIComponent(next)}`} data-testid="get-started-sign-in">
            Sign in
          </a>
        </div>
      ) : (
        <form onSubmit={onSetUp} noValidate data-testid="get-started-form">
          <FormError message={form.formError} />
          <Field label="Your name" id="name" error={form.fieldErrors.name}>
            <input id="name" name="name" autoComplete="name" autoFocus required />
          </Field>
          <Field label="Email" id="email">
            <input id="email" type="email" autoComplete="username" value={invite.email} readOnly />
          </Field>
          <Field label="Choose a password" id="password" error={form.fieldErrors.password} hint="At least 10 characters.">
            <input id="password" name="password" type="password" autoComplete="new-password" required />
          </Field>
          <SubmitButton pending={form.pending} label="Get started" pendingLabel="Setting up…" class="btn btn-primary btn-block" testId="get-started-submit" />
        </form>
      )}
    </AuthLayout>
  );
}
