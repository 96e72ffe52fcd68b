import type { ComponentType } from 'preact';
import { useRoute } from 'preact-iso';
import { currentOrg, isAdmin } from '../../lib/session';
import { Redirect, RequireOrg } from '../../routing';
import { AppShell } from '../shell/AppShell';
import { AuditTab } from './audit/AuditTab';
import { EhrAdaptersTab } from './ehr/EhrAdaptersTab';
import { MembersTab } from './members/MembersTab';
import { MyAccountTab } from './MyAccountTab';
import { OrganizationTab } from './OrganizationTab';
import { PlanTab } from './plan/PlanTab';
import { PoliciesTab } from './PoliciesTab';
import { TeamsTab } from './teams/TeamsTab';
import { TemplatesTab } from './templates/TemplatesTab';

type Tab = { id: string; label: string; component: ComponentType; adminOnly?: boolean };

const TABS: Tab[] = [
  { id: 'organization', label: 'Organization', component: OrganizationTab },
  { id: 'members', label: 'Members', component: MembersTab },
  { id: 'teams', label: 'Teams', component: TeamsTab },
  // Hidden from members; the tab itself also says so if a member opens its address.
  { id: 'plan', label: 'Plan', component: PlanTab, adminOnly: true },
  { id: 'policies', label: 'Policies', component: PoliciesTab },
  { id: 'templates', label: 'Templates', component: TemplatesTab },
  { id: 'ehr-adapters', label: 'EHR adapters', component: EhrAdaptersTab, adminOnly: true },
  { id: 'audit', label: 'Audit log', component: AuditTab, adminOnly: true },
  { id: 'account', label: 'Account', component: MyAccountTab },
];

export function SettingsPage() {
  return (
    <RequireOrg>
      <AppShell>
        <Settings />
      </AppShell>
    </RequireOrg>
  );
}

function Settings() {
  const { params } = useRoute();
  const tab = TABS.find((t) => t.id === params.tab);
  if (!tab) return <Redirect to="/settings/organization" />;
  const visible = TABS.filter((t) => !t.adminOnly || isAdmin.value);
  const Content = tab.component;
  return (
    <div class="page">
      <header class="page-header">
        <div>
          <h1>Settings</h1>
          <p class="muted">{currentOrg.value?.name}</p>
        </div>
      </header>
      <nav class="tabs" aria-label="Settings" data-testid="settings-tabs">
        {visible.map((t) => (
          <a key={t.id} href={`/settings/${t.id}`} class={`tab${t.id === tab.id ? ' active' : ''}`} aria-current={t.id === tab.id ? 'page' : undefined} data-testid={`tab-${t.id}`}>
            {t.label}
          </a>
        ))}
      </nav>
      <div class="tab-panel">
        <Content />
      </div>
    </div>
  );
}
