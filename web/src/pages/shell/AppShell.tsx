import { useDismiss } from '../../lib/dismiss';
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { ChartIcon, GearIcon, InboxIcon, Logo, MailIcon, MegaphoneIcon, PuzzleIcon, PeopleIcon } from '../../components/icons';
import { errorMessage } from '../../lib/errors';
import { subscribeToOrgEvents } from '../../lib/live';
import { notify } from '../../lib/notices';
import { useQuery } from '../../lib/query';
import { currentOrg, leaving, refreshSession, signedIn, signOut, welcomeNotice } from '../../lib/session';
import { trpc } from '../../lib/trpc';

/** Left navigation and the page beside it, for everything inside an organization. */
export function AppShell({ children }: { children: ComponentChildren }) {
  const org = currentOrg.value;
  const { route } = useLocation();
  const mailbox = useQuery(() => trpc.devMailbox.enabled.query(), []);
  const external = org?.myRole === 'external';

  useLiveUpdates(org?.id ?? null, org?.name ?? '', () => route('/welcome'));

  return (
    <div class="shell">
      <nav class="sidebar" aria-label="Main">
        <a href="/" class="brand">
          <Logo />
          <span>CareText</span>
        </a>
        <OrgSwitcher />
        {external && (
          <p class="small muted external-you" data-testid="external-you">
            <span class="badge badge-external badge-tiny">External</span> You are a guest of {org?.name}: you see the chats you are in.
          </p>
        )}
        {external ? (
          // An external collaborator has only the chats they are in (the server refuses the rest).
          <ul class="nav-list">
            <NavLink href="/inbox" match="/inbox" icon={<InboxIcon />} label="Inbox" testId="nav-inbox" />
          </ul>
        ) : (
          <ul class="nav-list">
            <NavLink href="/inbox" match="/inbox" icon={<InboxIcon />} label="Inbox" testId="nav-inbox" />
            <NavLink href="/directory/patients" match="/directory" icon={<PeopleIcon />} label="Directory" testId="nav-directory" />
            <NavLink href="/comms/cohorts" match="/comms" icon={<MegaphoneIcon />} label="Comms" testId="nav-comms" />
            <NavLink href="/analytics/blasts" match="/analytics" icon={<ChartIcon />} label="Analytics" testId="nav-analytics" />
            <NavLink href="/settings/organization" match="/settings" icon={<GearIcon />} label="Settings" testId="nav-settings" />
            <NavLink href="/extension" match="/extension" icon={<PuzzleIcon />} label="Get the extension" testId="nav-extension" />
            {mailbox.data && <NavLink href="/dev/mailbox" match="/dev/mailbox" icon={<MailIcon />} label="Dev mailbox" testId="nav-dev-mailbox" />}
          </ul>
        )}
        <div class="sidebar-bottom">
          <UserMenu />
        </div>
      </nav>
      <main class="main">{children}</main>
    </div>
  );
}

function NavLink({ href, match, icon, label, testId }: { href: string; match: string; icon: preact.JSX.Element; label: string; testId: string }) {
  const { path } = useLocation();
  const active = path === match || path.startsWith(`${match}/`);
  return (
    <li>
      <a href={href} class={`nav-link${active ? ' active' : ''}`} aria-current={active ? 'page' : undefined} data-testid={testId}>
        {icon}
        <span>{label}</span>
      </a>
    </li>
  );
}

function OrgSwitcher() {
  const me = signedIn.value;
  const org = currentOrg.value;
  const { route } = useLocation();
  const [switching, setSwitching] = useState(false);
  if (!me || !org) return null;
  if (me.orgs.length < 2) {
    return (
      <div class="org-name" data-testid="org-name" title={org.name}>
        {org.name}
      </div>
    );
  }
  async function onChange(e: Event) {
    const orgId = (e.currentTarget as HTMLSelectElement).value;
    setSwitching(true);
    try {
      await trpc.orgs.switch.mutate({ orgId });
      await refreshSession();
      route('/settings/organization');
    } catch (error) {
      notify(errorMessage(error), 'error');
    } finally {
      setSwitching(false);
    }
  }
  return (
    <div class="org-switcher">
      <label for="org-switcher" class="visually-hidden">
        Organization
      </label>
      <select id="org-switcher" value={org.id} onChange={onChange} disabled={switching} data-testid="org-switcher">
        {me.orgs.map((o) => (
          <option key={o.id} value={o.id}>
            {o.name}
          </option>
        ))}
      </select>
    </div>
  );
}

function UserMenu() {
  const me = signedIn.value;
  const { route } = useLocation();
  const [open, setOpen] = useState(false);
  const ref = useDismiss<HTMLDivElement>(open, () => setOpen(false));

  if (!me) return null;
  const initials = me.user.name
    .split(/\s+/)
    .map((part) => part[0])
    .slice(0, 2)
    .join('')
    .toUpperCase();

  return (
    <div class="user-menu" ref={ref}>
      <button type="button" class="user-button" aria-expanded={open} aria-haspopup="menu" onClick={() => setOpen(!open)} data-testid="user-menu">
        <span class="avatar" aria-hidden="true">
          {initials}
        </span>
        <span class="user-text">
          <span class="user-name">{me.user.name}</span>
          <span class="user-email">{me.user.email}</span>
        </span>
      </button>
      {open && (
        <div class="menu" role="menu">
          <a href="/welcome" role="menuitem" class="menu-item" onClick={() => setOpen(false)}>
            Create or join an organization
          </a>
          <button
            type="button"
            role="menuitem"
            class="menu-item"
            data-testid="sign-out"
            onClick={async () => {
              setOpen(false);
              await signOut();
              route('/sign-in');
            }}
          >
            Sign out
          </button>
        </div>
      )}
    </div>
  );
}

/** Live updates for the active organization; ends the visit when access is taken away. */
function useLiveUpdates(orgId: string | null, orgName: string, goToWelcome: () => void) {
  const nameRef = useRef(orgName);
  nameRef.current = orgName;
  useEffect(() => {
    if (!orgId) return;
    // Bursts of events (invite + accept) refresh the session once more, not once per event.
    let running = false;
    let again = false;
    const refresh = () => {
      if (running) {
        again = true;
        return;
      }
      running = true;
      void refreshSession().finally(() => {
        running = false;
        if (again) {
          again = false;
          refresh();
        }
      });
    };
    return subscribeToOrgEvents({
      onSessionMayHaveChanged: refresh,
      onAccessRevoked: () => {
        if (!leaving.current) welcomeNotice.value = `You were removed from ${nameRef.current}.`;
        void refreshSession().then(goToWelcome);
      },
    });
  }, [orgId]);
}
