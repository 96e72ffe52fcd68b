import { useState } from 'preact/hooks';
import { AdminOnly } from '../../../components/AdminOnly';
import { ConfirmDialog } from '../../../components/ConfirmDialog';
import { ErrorState, Loading } from '../../../components/states';
import { formatDate } from '../../../lib/dates';
import { revisions } from '../../../lib/live';
import { notify } from '../../../lib/notices';
import { useQuery } from '../../../lib/query';
import { isAdmin, refreshSession } from '../../../lib/session';
import { type RouterOutputs, trpc } from '../../../lib/trpc';
import { PhoneNumbers } from './PhoneNumbers';
import { formatCents, quote } from './pricing';

type PlanInfo = RouterOutputs['plan']['get'];

export function PlanTab() {
  if (!isAdmin.value) return <AdminOnly what="Plan tab" />;
  return <Plan />;
}

function Plan() {
  // Seats follow the member count, so a membership change refetches.
  const plan = useQuery(() => trpc.plan.get.query(), [revisions.members.value, revisions.org.value]);
  const [confirm, setConfirm] = useState<'upgrade' | 'downgrade' | null>(null);

  if (plan.loading) return <Loading />;
  if (plan.error || !plan.data) return <ErrorState message={plan.error ?? 'No plan information.'} onRetry={plan.reload} />;
  const info = plan.data;
  const onSms = info.plan === 'sms';
  const sms = info.catalog.find((p) => p.id === 'sms')!;
  const current = info.subscription
    ? quote(info.subscription.pricePerSeatCents, info.subscription.seats)
    : quote(info.catalog.find((p) => p.id === info.plan)?.pricePerSeatCents ?? 0, info.seats);
  const upgradeQuote = quote(sms.pricePerSeatCents, info.seats);

  async function change(target: 'sms' | 'free') {
    if (target === 'sms') await trpc.plan.checkout.mutate({ plan: 'sms' });
    else await trpc.plan.cancel.mutate();
    await Promise.all([plan.reload(), refreshSession()]);
    notify(target === 'sms' ? 'You are on the SMS plan. Next: pick a phone number.' : 'You are on the Free plan. SMS sending is off.');
  }

  return (
    <div class="stack-lg" data-testid="plan-tab">
      <section class="card section">
        <div class="section-head">
          <div>
            <h2>Current plan</h2>
            <p class="muted">Billed per seat each month. Seats are your owners, admins and members.</p>
          </div>
          <span class={`badge badge-lg ${onSms ? 'badge-accent' : ''}`} data-testid="current-plan">
            {onSms ? 'SMS' : 'Free'}
          </span>
        </div>
        <dl class="stats">
          <div>
            <dt>Seats</dt>
            <dd data-testid="plan-seats">{info.subscription?.seats ?? info.seats}</dd>
          </div>
          <div>
            <dt>Price per seat</dt>
            <dd>
              {current.perSeat}
              <span class="unit">/month</span>
            </dd>
          </div>
          <div>
            <dt>Monthly total</dt>
            <dd data-testid="plan-total">{current.monthly}</dd>
          </div>
          {info.subscription && (
            <div>
              <dt>Since</dt>
              <dd class="stat-small">{formatDate(info.subscription.startedAt)}</dd>
            </div>
          )}
        </dl>
        {info.subscription?.provider === 'builtin' && (
          <p class="muted small">Billing runs on the built-in provider: the subscription is recorded, no card is charged.</p>
        )}
      </section>

      <div class="plan-grid">
        {info.catalog.map((p) => (
          <PlanCard key={p.id} plan={p} current={info.plan === p.id} seats={info.seats}>
            {p.id === 'sms' && !onSms && (
              <button type="button" class="btn btn-primary btn-block" onClick={() => setConfirm('upgrade')} data-testid="upgrade-sms">
                Upgrade to SMS
              </button>
            )}
            {p.id === 'free' && onSms && (
              <button type="button" class="btn btn-secondary btn-block" onClick={() => setConfirm('downgrade')} data-testid="downgrade-free">
                Downgrade to Free
              </button>
            )}
          </PlanCard>
        ))}
      </div>

      {onSms && <PhoneNumbers />}

      {confirm === 'upgrade' && (
        <ConfirmDialog title="Upgrade to SMS?" confirmLabel="Confirm upgrade" tone="primary" onClose={() => setConfirm(null)} onConfirm={() => change('sms')}>
          <p>Text patients from your own number, send blasts to cohorts and see delivery analytics.</p>
          <dl class="quote" data-testid="upgrade-quote">
            <dt>{upgradeQuote.seatsText} × {upgradeQuote.perSeat}</dt>
            <dd>
              {upgradeQuote.monthly}
              <span class="unit">/month</span>
            </dd>
          </dl>
          <p class="muted small">The seat count follows your members: it changes when people join or leave.</p>
        </ConfirmDialog>
      )}
      {confirm === 'downgrade' && (
        <ConfirmDialog title="Downgrade to Free?" confirmLabel="Downgrade" onClose={() => setConfirm(null)} onConfirm={() => change('free')}>
          <p>SMS sending turns off right away for everyone in your organization. Secure Chat keeps working.</p>
        </ConfirmDialog>
      )}
    </div>
  );
}

function PlanCard({ plan, current, seats, children }: { plan: PlanInfo['catalog'][number]; current: boolean; seats: number; children?: preact.ComponentChildren }) {
  return (
    <section class={`card plan-card${current ? ' plan-current' : ''}`} data-testid={`plan-card-${plan.id}`}>
      <div class="plan-card-head">
        <h3>{plan.name}</h3>
        {current && <span class="badge badge-accent">Current plan</span>}
      </div>
      <p class="plan-price">
        {formatCents(plan.pricePerSeatCents)}
        <span class="unit"> per seat / month</span>
      </p>
      {plan.pricePerSeatCents > 0 && <p class="muted small">{quote(plan.pricePerSeatCents, seats).monthly} a month for your {seats} seat{seats === 1 ? '' : 's'}</p>}
      <ul class="features">
        {plan.features.map((f) => (
          <li key={f}>{f}</li>
        ))}
      </ul>
      <div class="plan-action">{children}</div>
    </section>
  );
}
