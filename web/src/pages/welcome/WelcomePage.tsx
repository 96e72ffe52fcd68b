import { orgNameSchema, timeZoneSchema } from '@caretext/shared';
import { useEffect, useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { z } from 'zod';
import { Field, FormError, SubmitButton } from '../../components/Field';
import { Logo } from '../../components/icons';
import { EmptyState, ErrorState, Loading } from '../../components/states';
import { formatDate } from '../../lib/dates';
import { errorMessage } from '../../lib/errors';
import { formValues, useSubmit } from '../../lib/form';
import { notify } from '../../lib/notices';
import { useQuery } from '../../lib/query';
import { currentOrg, refreshSession, signedIn, signOut, welcomeNotice } from '../../lib/session';
import { trpc } from '../../lib/trpc';
import { RequireSignedIn } from '../../routing';
import { browserTimeZone, timeZoneOptions, withZone } from '../../lib/timeZones';

const createSchema = z.object({ name: orgNameSchema, timeZone: timeZoneSchema });
const joinSchema = z.object({
  joinCode: z.string().trim().min(4, 'Enter the code your admin gave you').max(20, 'That code is too long'),
  message: z.string().trim().max(500, 'Keep the message under 500 characters').optional(),
});

/** For someone without an organization yet: create one, or ask to join one with a code. */
export function WelcomePage() {
  return (
    <RequireSignedIn>
      <Welcome />
    </RequireSignedIn>
  );
}

function Welcome() {
  const me = signedIn.value!;
  const org = currentOrg.value;
  const { route } = useLocation();
  const [tick, setTick] = useState(0);
  const requests = useQuery(() => trpc.orgs.myJoinRequests.query(), [tick]);

  // An admin may approve a request while this page is open: look again now and then.
  useEffect(() => {
    const timer = setInterval(() => {
      setTick((t) => t + 1);
      void refreshSession();
    }, 10_000);
    return () => clearInterval(timer);
  }, []);

  async function open(orgId: string) {
    try {
      await trpc.orgs.switch.mutate({ orgId });
      await refreshSession();
      welcomeNotice.value = null;
      route('/settings/organization');
    } catch (error) {
      notify(errorMessage(error), 'error');
    }
  }

  return (
    <div class="welcome-page">
      <header class="welcome-header">
        <div class="auth-brand">
          <Logo size={32} />
          <span>CareText</span>
        </div>
        <div class="welcome-account">
          <span class="muted">Signed in as {me.user.email}</span>
          <button
            type="button"
            class="btn btn-ghost"
            onClick={async () => {
              await signOut();
              route('/sign-in');
            }}
          >
            Sign out
          </button>
        </div>
      </header>

      <div class="welcome-body">
        {welcomeNotice.value && (
          <div class="alert alert-warning" role="alert" data-testid="welcome-notice">
            {welcomeNotice.value}
          </div>
        )}
        <h1>Welcome, {me.user.name.split(' ')[0]}</h1>
        <p class="lead">CareText works inside an organization: your clinic or practice. Create one, or join your coworkers.</p>

        {me.orgs.length > 0 && (
          <section class="card" data-testid="my-orgs">
            <h2>Your organizations</h2>
            <ul class="org-list">
              {me.orgs.map((o) => (
                <li key={o.id}>
                  <span>
                    <strong>{o.name}</strong> <span class="badge badge-status">{o.role}</span>
                  </span>
                  {org?.id === o.id ? (
                    <a class="btn btn-secondary" href="/settings/organization">
                      Back to {o.name}
                    </a>
                  ) : (
                    <button type="button" class="btn btn-secondary" onClick={() => open(o.id)}>
                      Open
                    </button>
                  )}
                </li>
              ))}
            </ul>
          </section>
        )}

        <div class="welcome-grid">
          <CreateOrgCard onCreated={() => route('/settings/organization')} />
          <section class="card">
            <h2>Join your clinic</h2>
            <p class="muted">Ask an admin for your organization's join code. They approve your request, and then you're in.</p>
            <JoinForm onRequested={() => setTick((t) => t + 1)} />
            <h3 class="subhead">Your requests</h3>
            {requests.loading ? (
              <Loading />
            ) : requests.error ? (
              <ErrorState message={requests.error} onRetry={requests.reload} />
            ) : !requests.data?.length ? (
              <EmptyState title="No requests yet" testId="join-requests-empty" />
            ) : (
              <ul class="request-list" data-testid="my-join-requests">
                {requests.data.map((r) => (
                  <li key={r.id}>
                    <span>{r.orgName}</span>
                    <span class="muted small">{formatDate(r.createdAt)}</span>
                    <span class={`badge badge-status badge-${r.status}`}>{r.status}</span>
                  </li>
                ))}
              </ul>
            )}
          </section>
        </div>
      </div>
    </div>
  );
}

function CreateOrgCard({ onCreated }: { onCreated: () => void }) {
  const form = useSubmit(['name', 'timeZone']);
  const [defaultZone] = useState(browserTimeZone);
  const [zones] = useState(() => withZone(timeZoneOptions(), defaultZone));

  async function onSubmit(e: Event) {
    e.preventDefault();
    const input = form.check(createSchema, formValues(e.currentTarget as HTMLFormElement));
    if (!input) return;
    const result = await form.run(async () => {
      const created = await trpc.orgs.create.mutate(input);
      await refreshSession();
      return created;
    });
    if (result.ok) {
      welcomeNotice.value = null;
      notify(`${result.value.name} is ready. Invite your coworkers from Members.`);
      onCreated();
    }
  }

  return (
    <section class="card">
      <h2>Create an organization</h2>
      <p class="muted">You'll be its owner. You can invite coworkers next.</p>
      <form onSubmit={onSubmit} noValidate data-testid="create-org-form">
        <FormError message={form.formError} />
        <Field label="Organization name" id="org-name" error={form.fieldErrors.name} hint="Your clinic or practice, as patients know it.">
          <input id="org-name" name="name" autoComplete="organization" placeholder="Sunrise Family Clinic" required />
        </Field>
        <Field label="Time zone" id="org-time-zone" error={form.fieldErrors.timeZone} hint="Used for quiet hours and message times.">
          <select id="org-time-zone" name="timeZone" defaultValue={defaultZone}>
            {zones.map((z) => (
              <option key={z} value={z} selected={z === defaultZone}>
                {z.replace(/_/g, ' ')}
              </option>
            ))}
          </select>
        </Field>
        <SubmitButton pending={form.pending} label="Create organization" pendingLabel="Creating…" testId="create-org-submit" />
      </form>
    </section>
  );
}

function JoinForm({ onRequested }: { onRequested: () => void }) {
  const form = useSubmit(['joinCode', 'message']);
  const [sent, setSent] = useState<string | null>(null);

  async function onSubmit(e: Event) {
    e.preventDefault();
    const formEl = e.currentTarget as HTMLFormElement;
    const values = formValues(formEl);
    const input = form.check(joinSchema, { joinCode: values.joinCode, message: values.message || undefined });
    if (!input) return;
    const result = await form.run(() => trpc.orgs.requestToJoin.mutate(input));
    if (result.ok) {
      setSent(result.value.orgName);
      formEl.reset();
      onRequested();
    }
  }

  return (
    <form onSubmit={onSubmit} noValidate data-testid="join-form">
      <FormError message={form.formError} />
      {sent && (
        <div class="alert alert-success" data-testid="join-sent">
          Request sent to {sent}. You'll get access when an admin approves it.
        </div>
      )}
      <Field label="Join code" id="join-code" error={form.fieldErrors.joinCode}>
        <input id="join-code" name="joinCode" class="mono" autoComplete="off" placeholder="ABCD2345" required />
      </Field>
      <Field label="Message to the admins (optional)" id="join-message" error={form.fieldErrors.message}>
        <input id="join-message" name="message" placeholder="Hi, I'm the new front desk coordinator." />
      </Field>
      <SubmitButton pending={form.pending} label="Ask to join" pendingLabel="Sending…" class="btn btn-secondary" />
    </form>
  );
}
