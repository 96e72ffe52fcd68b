import { Route, Router } from 'preact-iso';
import { type SectionTab, SectionTabs } from '../../components/SectionTabs';
import { currentOrg } from '../../lib/session';
import { Redirect, RequireOrg } from '../../routing';
import { AppShell } from '../shell/AppShell';
import { ImportJobPage } from './import/ImportJobPage';
import { ImportStartPage } from './import/ImportStartPage';
import { PhoneNumbersPage } from './numbers/PhoneNumbersPage';
import { CreatePatientPage, EditPatientPage } from './patients/PatientFormPages';
import { PatientProfilePage } from './patients/PatientProfilePage';
import { PatientsListPage } from './patients/PatientsListPage';

/** /directory/*: one shell for every directory page, so moving between them keeps the live connection. */
export function DirectoryPage() {
  return (
    <RequireOrg>
      <AppShell>
        <div class="page">
          <header class="page-header">
            <div>
              <h1>Directory</h1>
              <p class="muted">{currentOrg.value?.name}</p>
            </div>
          </header>
          <SectionTabs label="Directory" testId="directory-tabs" tabs={TABS} />
          <div class="tab-panel">
            <Router>
              <Route path="/patients" component={PatientsListPage} />
              <Route path="/patients/new" component={CreatePatientPage} />
              <Route path="/patients/import" component={ImportStartPage} />
              <Route path="/patients/import/:jobId" component={ImportJobPage} />
              <Route path="/patients/:patientId" component={PatientProfilePage} />
              <Route path="/patients/:patientId/edit" component={EditPatientPage} />
              <Route path="/numbers" component={PhoneNumbersPage} />
              <Route default component={ToPatients} />
            </Router>
          </div>
        </div>
      </AppShell>
    </RequireOrg>
  );
}

const TABS: SectionTab[] = [
  { href: '/directory/patients', label: 'Patients', testId: 'tab-patients' },
  { href: '/directory/numbers', label: 'Phone numbers', testId: 'tab-numbers' },
];

/** /directory and anything unknown under it. */
export function ToPatients() {
  return <Redirect to="/directory/patients" />;
}
