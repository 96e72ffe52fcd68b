import { useEffect, useMemo, useState } from 'preact/hooks';
import { EmptyState, ErrorState, Loading } from '../../components/states';
import { formatListTime } from '../../lib/dates';
import { errorMessage } from '../../lib/errors';
import { revisions } from '../../lib/live';
import { useQuery } from '../../lib/query';
import { currentOrg, isAdmin, signedIn } from '../../lib/session';
import { type RouterOutputs, trpc } from '../../lib/trpc';
import { patientLabel } from '../directory/patients/display';
import { applyToList, changedConversations, coalesce } from './liveUpdates';
import { type InboxFeed, useInboxFeed } from './useInboxEvents';

type Conversation = RouterOutputs['conversations']['list']['conversations'][number];
type PhoneNumber = RouterOutputs['numbers']['list'][number];

const PAGE = 30;

type ListProps = {
  teamId: string | null;
  /** Bumped when the list must be read again (the live stream reconnected, access changed). */
  revision: number;
  /** Live changes: rows patched in place; a conversation new to the list reads the first page again. */
  feed: InboxFeed;
  openId: string | null;
  hrefFor: (conversationId: string) => string;
  numbers: PhoneNumber[] | undefined;
  onMyTeam: boolean;
};

export function ConversationList({ teamId, revision, feed, openId, hrefFor, numbers, onMyTeam }: ListProps) {
  // A team change (someone added or removed) can change which conversations are visible too.
  const first = useQuery(() => trpc.conversations.list.query({ teamId: teamId ?? undefined, limit: PAGE }), [teamId, revision, revisions.teams.value]);
  // Older pages, loaded on request; live refetches only touch the first page.
  const [older, setOlder] = useState<{ items: Conversation[]; cursor: string | null }>({ items: [], cursor: null });
  const [loadingMore, setLoadingMore] = useState(false);
  const [moreError, setMoreError] = useState<string | null>(null);
  useEffect(() => setOlder({ items: [], cursor: null }), [teamId]);
  // A blast put messages in many conversations at once: the first page is read again (they are
  // at the top now), once per burst of events however many conversations they name.
  const rereadFirst = useMemo(() => coalesce(() => first.reload()), [first.reload]);
  useInboxFeed(feed, (event) => {
    if (changedConversations(event)) return rereadFirst();
    // A conversation this page does not have moved to the top (new, or from an older page): read the first page.
    const me = signedIn.value?.user.id;
    if (applyToList(first.data?.conversations ?? [], event, me).moved) return void first.reload();
    first.patch((page) => ({ ...page, conversations: applyToList(page.conversations, event, me).rows }));
    setOlder((o) => ({ ...o, items: applyToList(o.items, event, me).rows }));
  });

  if (first.loading) return <Loading label="Loading conversations…" />;
  if (!first.data) return <ErrorState message={first.error ?? ''} onRetry={first.reload} />;

  const firstIds = new Set(first.data.conversations.map((c) => c.id));
  const items = [...first.data.conversations, ...older.items.filter((c) => !firstIds.has(c.id))];
  const cursor = older.items.length ? older.cursor : first.data.nextCursor;

  async function loadMore() {
    if (!cursor) return;
    setLoadingMore(true);
    setMoreError(null);
    try {
      const page = await trpc.conversations.list.query({ teamId: teamId ?? undefined, cursor, limit: PAGE });
      setOlder((o) => ({ items: [...o.items, ...page.conversations], cursor: page.nextCursor }));
    } catch (error) {
      setMoreError(errorMessage(error));
    } finally {
      setLoadingMore(false);
    }
  }

  if (items.length === 0) return <NothingYet numbers={numbers} onMyTeam={onMyTeam} scoped={teamId !== null} />;
  const showTeam = new Set(items.filter((c) => c.kind !== 'internal').map((c) => c.team.id)).size > 1;

  return (
    <div class="conv-scroll">
      <ul class="conv-list" data-testid="conversation-list">
        {items.map((c) => (
          <ConversationItem key={c.id} conversation={c} open={c.id === openId} href={hrefFor(c.id)} showTeam={showTeam} />
        ))}
      </ul>
      {cursor && (
        <div class="conv-more">
          <button type="button" class="btn btn-ghost btn-small" onClick={loadMore} disabled={loadingMore} data-testid="conversations-more">
            {loadingMore ? 'Loading…' : 'Show older conversations'}
          </button>
          {moreError && <p class="field-error">{moreError}</p>}
        </div>
      )}
      {first.error && <p class="field-error conv-more">Couldn't refresh: {first.error}</p>}
    </div>
  );
}

/** Who an internal chat is with, as its row and header say: everyone in it but me. */
export function internalChatName(participants: { id: string; name: string }[], myId: string | undefined, invited: { email: string }[] | null = null): string {
  const others = [...participants.filter((p) => p.id !== myId).map((p) => p.name), ...(invited ?? []).map((i) => i.email)];
  return others.length ? others.join(', ') : 'Only you';
}

/** Whether anyone in (or invited to) an internal chat is from outside the organization. */
export function hasExternal(participants: { external: boolean }[] | null, invited: unknown[] | null): boolean {
  return Boolean(participants?.some((p) => p.external) || invited?.length);
}

/** The "External" badge: people from outside the organization are in (or invited to) this chat. */
export function ExternalBadge({ testId = 'external-badge' }: { testId?: string }) {
  return (
    <span class="badge badge-external" title="Someone in this chat is from outside your organization." data-testid={testId}>
      External
    </span>
  );
}

function ConversationItem({ conversation: c, open, href, showTeam }: { conversation: Conversation; open: boolean; href: string; showTeam: boolean }) {
  const internal = c.kind === 'internal';
  const name = internal && c.participants ? internalChatName(c.participants, signedIn.value?.user.id, c.invited) : c.patient ? patientLabel(c.patient) : 'Unknown sender';
  // Opening a conversation reads it; the count the list fetched a moment earlier is already stale.
  const unread = open ? 0 : c.unreadCount;
  return (
    <li>
      <a
        href={href}
        class={`conv-item${open ? ' active' : ''}${unread ? ' unread' : ''}${internal ? ' conv-internal' : ''}`}
        aria-current={open ? 'page' : undefined}
        data-testid="conversation-item"
        data-id={c.id}
        data-kind={c.kind}
      >
        <span class={`avatar${internal ? ' avatar-internal' : ''}`} aria-hidden="true">
          {initials(name)}
        </span>
        <span class="conv-main">
          <span class="conv-top">
            <span class="conv-name" data-testid="conversation-name">
              {name}
            </span>
            <time class="conv-time" dateTime={new Date(c.lastMessageAt).toISOString()}>
              {formatListTime(c.lastMessageAt)}
            </time>
          </span>
          <span class="conv-bottom">
            {internal && (
              <span class="badge badge-internal" title="Internal: only the people in this chat see it; it never leaves CareText." data-testid="conversation-internal">
                Internal
              </span>
            )}
            {internal && hasExternal(c.participants, c.invited) && <ExternalBadge testId="conversation-external" />}
            <span class="conv-preview" data-testid="conversation-preview">
              {c.lastMessagePreview ?? <span class="cell-muted">No messages yet</span>}
            </span>
            {c.optedOut && (
              <span class="badge badge-rejected" title="Replied STOP: no SMS from this number until they text START." data-testid="conversation-opted-out">
                Opted out
              </span>
            )}
            {c.number && !c.number.active && (
              <span class="badge badge-soft" title="This conversation's number was released: it is read-only." data-testid="conversation-released">
                Read-only
              </span>
            )}
            {unread > 0 && (
              <span class="unread-badge" aria-label={`${unread} unread`} data-testid="unread-badge">
                {unread}
              </span>
            )}
          </span>
          {showTeam && !internal && <span class="conv-team">{c.team.name}</span>}
        </span>
      </a>
    </li>
  );
}

/** Two letters for an avatar: initials of a name, "#" for a bare phone number. */
export function initials(name: string): string {
  if (!/\p{L}/u.test(name)) return '#';
  return name
    .split(/\s+/)
    .map((w) => w.match(/\p{L}/u)?.[0] ?? '')
    .join('')
    .slice(0, 2)
    .toUpperCase();
}

/** Why the list is empty, and the next step for this person. */
function NothingYet({ numbers, onMyTeam, scoped }: { numbers: PhoneNumber[] | undefined; onMyTeam: boolean; scoped: boolean }) {
  const org = currentOrg.value;
  const admin = isAdmin.value;
  if (numbers && numbers.length === 0) {
    return (
      <div class="state state-empty inbox-empty" data-testid="inbox-no-number">
        <p class="state-title">No phone number yet</p>
        <p class="state-body">
          Texting patients needs a phone number.{' '}
          {admin ? (
            <>
              {org?.smsEnabled ? 'Pick one' : 'Upgrade to the SMS plan, then pick one'} under <a href="/settings/plan">Settings → Plan → Select a phone number</a>, and add your
              coworkers to its team under Directory → Phone numbers.
            </>
          ) : (
            'An admin upgrades to the SMS plan, picks a number under Settings → Plan, and adds you to its team under Directory → Phone numbers.'
          )}
        </p>
      </div>
    );
  }
  if (numbers && !numbers.some((n) => n.isMine) && !onMyTeam) {
    return (
      <div class="state state-empty inbox-empty" data-testid="inbox-no-team">
        <p class="state-title">You're not on a phone number's team</p>
        <p class="state-body">
          Only a number's team sees its conversations.{' '}
          {admin ? (
            <>
              Add yourself under <a href="/directory/numbers">Directory → Phone numbers</a>.
            </>
          ) : (
            'Ask an admin to add you under Directory → Phone numbers.'
          )}
        </p>
      </div>
    );
  }
  return (
    <EmptyState title={scoped ? 'No conversations on this team yet' : 'No conversations yet'} testId="inbox-empty">
      Press the + button and choose Create a chat to text a patient. Their replies land here too.
    </EmptyState>
  );
}
