import { Route, Router } from 'preact-iso';
import { currentOrg } from '../../lib/session';
import { Redirect, RequireOrg } from '../../routing';
import { AppShell } from '../shell/AppShell';
import { ImportJobPage } from './import/ImportJobPage';
import { ImportStartPage } from './import/ImportStartPage';
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
          {/* Phone numbers and Teams join Patients here when they exist. */}
          <nav class="tabs" aria-label="Directory" data-testid="directory-tabs">
            <a href="/directory/patients" class="tab active" aria-current="page" data-testid="tab-patients">
              Patients
            </a>
          </nav>
          <div class="tab-panel">
            <Router>
              <Route path="/patients" component={PatientsListPage} />
              <Route path="/patients/new" component={CreatePatientPage} />
              <Route path="/patients/import" component={ImportStartPage} />
              <Route path="/patients/import/:jobId" component={ImportJobPage} />
              <Route path="/patients/:patientId" component={PatientProfilePage} />
              <Route path="/patients/:patientId/edit" component={EditPatientPage} />
              <Route default component={ToPatients} />
            </Router>
          </div>
        </div>
      </AppShell>
    </RequireOrg>
  );
}

/** /directory and anything unknown under it. */
export function ToPatients() {
  return <Redirect to="/directory/patients" />;
}
