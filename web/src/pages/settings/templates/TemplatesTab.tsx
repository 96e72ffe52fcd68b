import { renderTemplate, segmentSummary, TEMPLATE_TOKENS } from '@caretext/shared';
import { useRef, useState } from 'preact/hooks';
import { z } from 'zod';
import { ConfirmDialog } from '../../../components/ConfirmDialog';
import { Field, FormError, SubmitButton } from '../../../components/Field';
import { EmptyState, ErrorState, Loading } from '../../../components/states';
import { insertAtCursor, placeCursor, TokenChips, UnknownTokensWarning } from '../../../components/TemplateTokens';
import { useSubmit } from '../../../lib/form';
import { revisions } from '../../../lib/live';
import { notify } from '../../../lib/notices';
import { useQuery } from '../../../lib/query';
import { currentOrg, isAdmin } from '../../../lib/session';
import { type RouterOutputs, trpc } from '../../../lib/trpc';

type Template = RouterOutputs['templates']['list'][number];
type Team = RouterOutputs['teams']['list'][number];

const ORG = '';
const schema = z.object({
  name: z.string().trim().min(1, 'Give the template a name.').max(80),
  body: z.string().trim().min(1, 'Write the message.').max(1600),
});

/** What the tokens look like filled in, with the example values the chips show. */
const EXAMPLE = Object.fromEntries(TEMPLATE_TOKENS.map((t) => [t.key, t.example]));
function preview(body: string): string {
  return renderTemplate(body, {
    patient: { id: EXAMPLE.patient_id!, firstName: EXAMPLE.first_name, lastName: EXAMPLE.last_name, preferredName: EXAMPLE.preferred_name, dob: '1990-01-15', phone: '+14155552671', email: EXAMPLE.email },
    org: { name: currentOrg.value?.name ?? EXAMPLE.org_name! },
  });
}

/** Settings → Templates: organization-wide ones (admins) and each of my teams' own. */
export function TemplatesTab() {
  const admin = isAdmin.value;
  const templates = useQuery(() => trpc.templates.list.query({}), []);
  const teams = useQuery(() => trpc.teams.list.query(), [revisions.teams.value]);
  const myTeams = (teams.data ?? []).filter((t) => t.isMine);
  const [editing, setEditing] = useState<Template | 'new' | null>(null);
  const [deleting, setDeleting] = useState<Template | null>(null);
  const canCreate = admin || myTeams.length > 0;
  const canEdit = (t: Template) => (t.team ? myTeams.some((m) => m.id === t.team!.id) : admin);

  const groups: { key: string; title: string; items: Template[] }[] = [];
  for (const t of templates.data ?? []) {
    const key = t.team?.id ?? ORG;
    let group = groups.find((g) => g.key === key);
    if (!group) groups.push((group = { key, title: t.team ? `Team ${t.team.name}` : 'Organization-wide', items: [] }));
    group.items.push(t);
  }

  return (
    <div class="stack-lg" data-testid="templates-tab">
      {editing && (
        <TemplateEditor
          key={editing === 'new' ? 'new' : editing.id}
          template={editing === 'new' ? null : editing}
          admin={admin}
          teams={myTeams}
          onDone={async (saved) => {
            setEditing(null);
            if (saved) await templates.reload();
          }}
        />
      )}
      <section class="card section">
        <div class="section-head">
          <div>
            <h2>Templates{templates.data && templates.data.length > 0 && <span class="count">{templates.data.length}</span>}</h2>
            <p class="muted">
              Ready-made texts for the composer. Tokens such as {'{{first_name}}'} are filled in for each patient.{' '}
              {admin ? 'Admins manage organization-wide templates; team members manage their team’s.' : 'Team members manage their team’s templates; admins manage organization-wide ones.'}
            </p>
          </div>
          {canCreate && !editing && (
            <button type="button" class="btn btn-primary" onClick={() => setEditing('new')} data-testid="new-template">
              New template
            </button>
          )}
        </div>
        {templates.loading ? (
          <Loading />
        ) : !templates.data ? (
          <ErrorState message={templates.error ?? ''} onRetry={templates.reload} />
        ) : templates.data.length === 0 ? (
          <EmptyState title="No templates yet" testId="templates-empty">
            {canCreate ? 'Create one for the texts you send most: reminders, directions, confirmations.' : 'Once you are on a team you can add templates for it.'}
          </EmptyState>
        ) : (
          <div class="stack">
            {groups.map((g) => (
              <div key={g.key} class="template-group">
                <h3 class="template-group-title">{g.title}</h3>
                <ul class="template-list">
                  {g.items.map((t) => (
                    <li key={t.id} class="template-item" data-testid="template-item" data-name={t.name}>
                      <div class="template-text">
                        <p class="cell-strong">
                          {t.name}
                          {t.requestsConfirmation && (
                            <span class="badge" data-testid="template-asks-confirmation-badge">
                              Asks to confirm
                            </span>
                          )}
                        </p>
                        <p class="template-body">{t.body}</p>
                      </div>
                      {canEdit(t) && (
                        <div class="button-row">
                          <button type="button" class="btn btn-ghost btn-small" onClick={() => setEditing(t)}>
                            Edit
                          </button>
                          <button type="button" class="btn btn-ghost btn-small btn-danger-text" onClick={() => setDeleting(t)}>
                            Delete
                          </button>
                        </div>
                      )}
                    </li>
                  ))}
                </ul>
              </div>
            ))}
          </div>
        )}
      </section>
      {deleting && (
        <ConfirmDialog
          title={`Delete “${deleting.name}”?`}
          confirmLabel="Delete template"
          onClose={() => setDeleting(null)}
          onConfirm={async () => {
            await trpc.templates.delete.mutate({ templateId: deleting.id });
            notify(`Template ${deleting.name} deleted.`);
            await templates.reload();
          }}
        >
          <p>Messages already sent with it are not affected.</p>
        </ConfirmDialog>
      )}
    </div>
  );
}

function TemplateEditor({ template, admin, teams, onDone }: { template: Template | null; admin: boolean; teams: Team[]; onDone: (saved: boolean) => void }) {
  const [name, setName] = useState(template?.name ?? '');
  const [body, setBody] = useState(template?.body ?? '');
  const [asksConfirmation, setAsksConfirmation] = useState(template?.requestsConfirmation ?? false);
  const [scope, setScope] = useState(template ? (template.team?.id ?? ORG) : admin ? ORG : (teams[0]?.id ?? ORG));
  const textarea = useRef<HTMLTextAreaElement>(null);
  const form = useSubmit(['name', 'body'], { CONFLICT: 'name' });
  const summary = segmentSummary(preview(body));

  async function onSubmit(e: Event) {
    e.preventDefault();
    const input = form.check(schema, { name, body });
    if (!input) return;
    const result = await form.run(() => trpc.templates.save.mutate({ templateId: template?.id, teamId: scope || null, requestsConfirmation: asksConfirmation, ...input }));
    if (result.ok) {
      notify(`Template ${input.name} saved.`);
      onDone(true);
    }
  }

  return (
    <section class="card section" data-testid="template-editor">
      <div class="section-head">
        <div>
          <h2>{template ? 'Edit template' : 'New template'}</h2>
        </div>
      </div>
      <form onSubmit={onSubmit} noValidate>
        <div class="field-grid">
          <Field label="Name" id="template-name" error={form.fieldErrors.name}>
            <input id="template-name" value={name} placeholder="Appointment reminder" onInput={(e) => setName(e.currentTarget.value)} data-testid="template-name" />
          </Field>
          <Field label="Who can use it" id="template-scope">
            <select id="template-scope" value={scope} onChange={(e) => setScope(e.currentTarget.value)} data-testid="template-scope">
              {admin && <option value={ORG}>Everyone in the organization</option>}
              {teams.map((t) => (
                <option key={t.id} value={t.id}>
                  Team {t.name}
                </option>
              ))}
            </select>
          </Field>
        </div>
        <Field label="Message" id="template-body" error={form.fieldErrors.body}>
          <TokenChips
            onInsert={(token) => {
              const next = insertAtCursor(textarea.current, body, token);
              setBody(next.text);
              placeCursor(textarea.current, next.cursor);
            }}
          />
          <textarea
            id="template-body"
            ref={textarea}
            rows={4}
            value={body}
            placeholder="Hi {{first_name}}, this is {{org_name}} reminding you of your appointment tomorrow. Reply C to confirm."
            onInput={(e) => setBody(e.currentTarget.value)}
            data-testid="template-body"
          />
        </Field>
        <UnknownTokensWarning text={body} />
        <label class="check">
          <input type="checkbox" checked={asksConfirmation} onChange={(e) => setAsksConfirmation(e.currentTarget.checked)} data-testid="template-asks-confirmation" />
          <span>Asks the patient to confirm</span>
        </label>
        <p class="muted small">Choosing it in the composer ticks “Ask the patient to confirm”; the request is added in your organization’s words (Automatic replies).</p>
        {body.trim() && (
          <div class="template-preview" data-testid="template-preview">
            <p class="muted small">
              Preview with example values · {summary.counter}
            </p>
            <p class="bubble">{preview(body)}</p>
          </div>
        )}
        <FormError message={form.formError} />
        <div class="button-row template-actions">
          <button type="button" class="btn btn-ghost" onClick={() => onDone(false)} disabled={form.pending}>
            Cancel
          </button>
          <SubmitButton pending={form.pending} label="Save template" pendingLabel="Saving…" testId="template-save" />
        </div>
      </form>
    </section>
  );
}
