import { useMemo, useState } from 'preact/hooks';
import { useLocation, useRoute } from 'preact-iso';
import { revisions } from '../../lib/live';
import { notify } from '../../lib/notices';
import { useQuery } from '../../lib/query';
import { RequireOrg } from '../../routing';
import { currentOrg } from '../../lib/session';
import { trpc } from '../../lib/trpc';
import { AppShell } from '../shell/AppShell';
import { ConversationList } from './ConversationList';
import { ConversationView } from './ConversationView';
import { NewChatMenu } from './NewChatMenu';
import { CsvBroadcastHost } from './CsvBroadcastDialog';
import { ScopeSwitch } from './ScopeSwitch';
import { InboxFeed, useInboxEvents } from './useInboxEvents';

/** Where the inbox shows a conversation, in a scope ("All my teams" when `teamId` is null). */
export function inboxUrl(conversationId: string | null, teamId: string | null): string {
  return `/inbox${conversationId ? `/${conversationId}` : ''}${teamId ? `?team=${encodeURIComponent(teamId)}` : ''}`;
}

/** /inbox and /inbox/:conversationId — the team inbox, scoped by ?team= to one number's team. */
export function InboxPage() {
  return (
    <RequireOrg>
      <AppShell>
        <Inbox />
      </AppShell>
    </RequireOrg>
  );
}

function Inbox() {
  const { params } = useRoute();
  const { query, route } = useLocation();
  const conversationId = params.conversationId ?? null;
  const teamId = query.team || null;
  // Bumped only when the list or the thread must be read again (the stream reconnected, access
  // changed); live events are patched in by each through `feed`.
  const [listRevision, setListRevision] = useState(0);
  const [threadRevision, setThreadRevision] = useState(0);
  const feed = useMemo(() => new InboxFeed(), []);

  // Team names and their numbers, for the scope switch and the empty states; both follow team changes.
  // An external collaborator is on no team and may not read the org's teams or numbers.
  const external = currentOrg.value?.myRole === 'external';
  const teams = useQuery(() => (external ? Promise.resolve([]) : trpc.teams.list.query()), [revisions.teams.value, external]);
  const numbers = useQuery(() => (external ? Promise.resolve([]) : trpc.numbers.list.query()), [revisions.teams.value, external]);
  const myTeams = (teams.data ?? []).filter((t) => t.isMine);

  useInboxEvents(teamId, true, feed, {
    onAccessRevoked() {
      if (teamId) {
        notify('You are no longer on that team, so its conversations are hidden. Showing all your teams.', 'info');
        route(inboxUrl(null, null), true);
      } else {
        setListRevision((r) => r + 1);
      }
    },
    onResync() {
      setListRevision((r) => r + 1);
      setThreadRevision((r) => r + 1);
    },
  });

  return (
    <div class="inbox" data-testid="inbox">
      <aside class="inbox-list-pane" aria-label="Conversations">
        <header class="inbox-head">
          <h1>Inbox</h1>
          <NewChatMenu teamId={teamId} onStarted={(id, startedTeam) => route(inboxUrl(id, teamId === startedTeam ? teamId : null))} />
          <CsvBroadcastHost />
        </header>
        <ScopeSwitch teams={myTeams} numbers={numbers.data ?? []} value={teamId} onChange={(next) => route(inboxUrl(null, next))} />
        <ConversationList
          teamId={teamId}
          revision={listRevision}
          feed={feed}
          openId={conversationId}
          hrefFor={(id) => inboxUrl(id, teamId)}
          numbers={numbers.data}
          onMyTeam={myTeams.length > 0}
        />
      </aside>
      <section class="inbox-thread-pane">
        {conversationId ? (
          <ConversationView key={conversationId} conversationId={conversationId} revision={threadRevision} feed={feed} />
        ) : (
          <div class="thread-placeholder" data-testid="no-conversation-open">
            <p class="state-title">Select a conversation</p>
            <p class="muted small">Or press + to create a chat with a patient.</p>
          </div>
        )}
      </section>
    </div>
  );
}
