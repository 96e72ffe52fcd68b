import { type OrgReplies, orgRepliesSchema } from '@caretext/shared';
import { useState } from 'preact/hooks';
import { Field, FormError, SubmitButton } from '../../components/Field';
import { ErrorState, Loading } from '../../components/states';
import { useSubmit } from '../../lib/form';
import { notify } from '../../lib/notices';
import { useQuery } from '../../lib/query';
import { isAdmin } from '../../lib/session';
import { trpc } from '../../lib/trpc';

const FIELDS = ['helpReply', 'contactPhone', 'confirmKeywords', 'declineKeywords', 'confirmAckReply', 'declineAckReply'];
const words = (text: string) => text.split(/[\s,]+/).map((w) => w.trim()).filter(Boolean);

/** The HELP/INFO auto-reply, the words that answer "Reply C to confirm or N to decline" and how an answer is acknowledged. */
export function AutoRepliesCard() {
  const replies = useQuery(() => trpc.orgs.replies.query(), []);
  return (
    <section class="card section" data-testid="auto-replies">
      <div class="section-head">
        <div>
          <h2>Automatic replies</h2>
          <p class="muted">What patients get when they text HELP or INFO, which replies answer a confirmation request and what they get back. STOP and START always work.</p>
        </div>
      </div>
      {replies.error && <ErrorState message={replies.error} onRetry={replies.reload} />}
      {!replies.error && !replies.data && <Loading />}
      {replies.data && <RepliesForm key={JSON.stringify(replies.data)} initial={replies.data} onSaved={replies.reload} />}
    </section>
  );
}

type SavedReplies = Required<OrgReplies>;

function RepliesForm({ initial, onSaved }: { initial: SavedReplies; onSaved: () => void }) {
  const admin = isAdmin.value;
  const form = useSubmit(FIELDS);
  const [help, setHelp] = useState(initial.helpReply ?? '');
  const [contact, setContact] = useState(initial.contactPhone ?? '');
  const [confirm, setConfirm] = useState(initial.confirmKeywords.join(', '));
  const [decline, setDecline] = useState(initial.declineKeywords.join(', '));
  const [confirmAck, setConfirmAck] = useState(initial.confirmAckReply);
  const [declineAck, setDeclineAck] = useState(initial.declineAckReply);

  async function onSubmit(e: Event) {
    e.preventDefault();
    const input = form.check(orgRepliesSchema, {
      helpReply: help.trim() || null,
      contactPhone: contact.trim() || null,
      confirmKeywords: words(confirm),
      declineKeywords: words(decline),
      confirmAckReply: confirmAck,
      declineAckReply: declineAck,
    });
    if (!input) return;
    const result = await form.run(() => trpc.orgs.updateReplies.mutate(input));
    if (result.ok) {
      notify('Automatic replies saved.');
      onSaved();
    }
  }

  return (
    <form onSubmit={onSubmit} noValidate class="form-narrow">
      <FormError message={form.formError} />
      <fieldset disabled={!admin}>
        <Field label="HELP reply" id="help-reply" error={form.fieldErrors.helpReply} hint="Leave empty for the standard text with your organization's name, your contact phone and how to opt out.">
          <textarea id="help-reply" rows={3} maxLength={320} value={help} onInput={(e) => setHelp(e.currentTarget.value)} data-testid="help-reply" />
        </Field>
        <Field label="Contact phone" id="contact-phone" error={form.fieldErrors.contactPhone} hint="Shown in the standard HELP reply.">
          <input id="contact-phone" class="input-short" value={contact} onInput={(e) => setContact(e.currentTarget.value)} />
        </Field>
        <div class="inline-fields">
          <Field label="Words that confirm" id="confirm-words" error={form.fieldErrors.confirmKeywords} hint="Separated by commas, e.g. C, YES, SI">
            <input id="confirm-words" value={confirm} onInput={(e) => setConfirm(e.currentTarget.value)} data-testid="confirm-words" />
          </Field>
          <Field label="Words that decline" id="decline-words" error={form.fieldErrors.declineKeywords} hint="e.g. N, NO">
            <input id="decline-words" value={decline} onInput={(e) => setDecline(e.currentTarget.value)} data-testid="decline-words" />
          </Field>
        </div>
        <Field label="Reply to a confirmation" id="confirm-ack" error={form.fieldErrors.confirmAckReply} hint="Sent when a patient confirms. Leave empty to send nothing.">
          <textarea id="confirm-ack" rows={2} maxLength={320} value={confirmAck} onInput={(e) => setConfirmAck(e.currentTarget.value)} data-testid="confirm-ack" />
        </Field>
        <Field label="Reply to a decline" id="decline-ack" error={form.fieldErrors.declineAckReply} hint="Sent when a patient declines. Leave empty to send nothing.">
          <textarea id="decline-ack" rows={2} maxLength={320} value={declineAck} onInput={(e) => setDeclineAck(e.currentTarget.value)} data-testid="decline-ack" />
        </Field>
      </fieldset>
      {admin && <SubmitButton pending={form.pending} label="Save automatic replies" pendingLabel="Saving…" testId="save-replies" />}
    </form>
  );
}
