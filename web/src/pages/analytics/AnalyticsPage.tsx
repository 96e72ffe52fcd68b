import { Route, Router } from 'preact-iso';
import { type SectionTab, SectionTabs } from '../../components/SectionTabs';
import { currentOrg } from '../../lib/session';
import { Redirect, RequireOrg } from '../../routing';
import { AppShell } from '../shell/AppShell';
import { BlastAnalyticsPage } from './BlastAnalyticsPage';

/** /analytics/*: figures over time (Blasts today; email and more tabs plug in here). */
export function AnalyticsPage() {
  return (
    <RequireOrg>
      <AppShell>
        <div class="page">
          <header class="page-header">
            <div>
              <h1>Analytics</h1>
              <p class="muted">{currentOrg.value?.name}</p>
            </div>
          </header>
          <SectionTabs label="Analytics" testId="analytics-tabs" tabs={TABS} />
          <div class="tab-panel">
            <Router>
              <Route path="/blasts" component={BlastAnalyticsPage} />
              <Route default component={ToBlastAnalytics} />
            </Router>
          </div>
        </div>
      </AppShell>
    </RequireOrg>
  );
}

const TABS: SectionTab[] = [{ href: '/analytics/blasts', label: 'Blasts', testId: 'tab-analytics-blasts' }];

/** /analytics and anything unknown under it. */
export function ToBlastAnalytics() {
  return <Redirect to="/analytics/blasts" />;
}
