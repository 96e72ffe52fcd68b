import { Route, Router } from 'preact-iso';
import { type SectionTab, SectionTabs } from '../../components/SectionTabs';
import { currentOrg } from '../../lib/session';
import { Redirect, RequireOrg } from '../../routing';
import { AppShell } from '../shell/AppShell';
import { CohortEditorPage } from './cohorts/CohortEditorPage';
import { CohortsListPage } from './cohorts/CohortsListPage';
import { BlastDetailPage } from './blasts/BlastDetailPage';
import { BlastsListPage } from './blasts/BlastsListPage';
import { BlastWizardPage } from './blasts/BlastWizardPage';

/** /comms/*: audiences (Cohorts) and bulk sends (Blasts). */
export function CommsPage() {
  return (
    <RequireOrg>
      <AppShell>
        <div class="page">
          <header class="page-header">
            <div>
              <h1>Comms</h1>
              <p class="muted">{currentOrg.value?.name}</p>
            </div>
          </header>
          <SectionTabs label="Comms" testId="comms-tabs" tabs={TABS} />
          <div class="tab-panel">
            <Router>
              <Route path="/cohorts" component={CohortsListPage} />
              <Route path="/cohorts/new" component={CohortEditorPage} />
              <Route path="/cohorts/:cohortId" component={CohortEditorPage} />
              <Route path="/blasts" component={BlastsListPage} />
              <Route path="/blasts/new" component={BlastWizardPage} />
              <Route path="/blasts/:blastId" component={BlastDetailPage} />
              <Route default component={ToCohorts} />
            </Router>
          </div>
        </div>
      </AppShell>
    </RequireOrg>
  );
}

const TABS: SectionTab[] = [
  { href: '/comms/cohorts', label: 'Cohorts', testId: 'tab-cohorts' },
  { href: '/comms/blasts', label: 'Blasts', testId: 'tab-blasts' },
];

/** /comms and anything unknown under it. */
export function ToCohorts() {
  return <Redirect to="/comms/cohorts" />;
}
