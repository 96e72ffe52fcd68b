import { useDismiss } from '../../lib/dismiss';
import { useState } from 'preact/hooks';
import { ChatIcon, MegaphoneIcon, PlusIcon, VideoIcon } from '../../components/icons';
import { currentOrg } from '../../lib/session';
import { NewConversationDialog, NewInternalChatDialog } from './lazyDialogs';
import { csvBroadcastTeam } from './CsvBroadcastDialog';

/**
 * The purple + of the inbox: a popover with Create a chat (and Start a video chat, not built
 * yet). SMS is not a choice here; it is how the chat is sent, chosen in the dialog.
 */
export function NewChatMenu({ teamId, onStarted }: { teamId: string | null; onStarted: (conversationId: string, teamId: string | null) => void }) {
  const [open, setOpen] = useState(false);
  /** Create a chat with a patient, or with colleagues (an internal chat, which belongs to no team). */
  const [dialog, setDialog] = useState<'patient' | 'colleagues' | null>(null);
  const ref = useDismiss<HTMLDivElement>(open, () => setOpen(false));

  return (
    <div class="new-chat" ref={ref}>
      <button type="button" class="fab" aria-label="New" aria-haspopup="menu" aria-expanded={open} onClick={() => {
          // Fetch the dialog's chunk while the person picks "Create a chat".
          if (!open) void NewConversationDialog.preload().catch(() => undefined);
          setOpen(!open);
        }} data-testid="new-chat-button">
        <PlusIcon />
      </button>
      {open && (
        <div class="menu new-chat-menu" role="menu" data-testid="new-chat-menu">
          <button
            type="button"
            role="menuitem"
            class="menu-item"
            onClick={() => {
              setOpen(false);
              // An external collaborator chats with people only, never with the org's patients.
              setDialog(currentOrg.value?.myRole === 'external' ? 'colleagues' : 'patient');
            }}
            data-testid="create-chat"
          >
            <ChatIcon /> Create a chat
          </button>
          {currentOrg.value?.myRole !== 'external' && (
          <button
            type="button"
            role="menuitem"
            class="menu-item"
            disabled={!teamId}
            title={teamId ? undefined : "Open a number's inbox to broadcast from it"}
            onClick={() => {
              setOpen(false);
              csvBroadcastTeam.value = teamId;
            }}
            data-testid="csv-broadcast"
          >
            <MegaphoneIcon /> Broadcast from CSV
          </button>
          )}
          <button type="button" role="menuitem" class="menu-item" disabled aria-disabled="true" title="Coming soon">
            <VideoIcon /> Start a video chat <span class="badge badge-soft">Soon</span>
          </button>
        </div>
      )}
      {dialog === 'patient' && (
        <NewConversationDialog
          defaultTeamId={teamId}
          onClose={() => setDialog(null)}
          onChatWithColleagues={() => setDialog('colleagues')}
          onStarted={(conversationId, startedTeam) => {
            setDialog(null);
            onStarted(conversationId, startedTeam);
          }}
        />
      )}
      {dialog === 'colleagues' && (
        <NewInternalChatDialog
          onClose={() => setDialog(null)}
          onChatWithPatient={() => setDialog('patient')}
          onStarted={(conversationId) => {
            setDialog(null);
            onStarted(conversationId, null);
          }}
        />
      )}
    </div>
  );
}
