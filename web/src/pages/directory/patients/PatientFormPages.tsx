import { useLocation, useRoute } from 'preact-iso';
import { ErrorState, Loading } from '../../../components/states';
import { notify } from '../../../lib/notices';
import { useQuery } from '../../../lib/query';
import { trpc } from '../../../lib/trpc';
import { Breadcrumbs } from '../Breadcrumbs';
import { PatientForm } from './PatientForm';
import { EMPTY_PATIENT, valuesFromPatient } from './patientInput';

/** Directory → Patients → Create new. */
export function CreatePatientPage() {
  const { route } = useLocation();
  return (
    <div data-testid="create-patient">
      <Breadcrumbs trail={[{ label: 'Patients', href: '/directory/patients' }]} current="New patient" />
      <PatientForm
        initial={EMPTY_PATIENT}
        submitLabel="Create patient"
        cancelHref="/directory/patients"
        onSubmit={async (input) => {
          const patient = await trpc.patients.create.mutate(input);
          notify(`${patient.displayName} added to the directory.`);
          route(`/directory/patients/${patient.id}`);
        }}
      />
    </div>
  );
}

export function EditPatientPage() {
  const { params } = useRoute();
  const { route } = useLocation();
  const patientId = params.patientId!;
  const patient = useQuery(() => trpc.patients.get.query({ patientId }), [patientId]);
  const profile = `/directory/patients/${patientId}`;

  if (patient.loading) return <Loading />;
  if (!patient.data) return <ErrorState message={patient.error ?? 'Patient not found.'} onRetry={patient.reload} />;
  const p = patient.data;
  return (
    <div data-testid="edit-patient">
      <Breadcrumbs
        trail={[
          { label: 'Patients', href: '/directory/patients' },
          { label: p.displayName, href: profile },
        ]}
        current="Edit"
      />
      <PatientForm
        key={String(p.updatedAt)}
        initial={valuesFromPatient(p)}
        submitLabel="Save changes"
        cancelHref={profile}
        onSubmit={async (input) => {
          const saved = await trpc.patients.update.mutate({ patientId, ...input });
          notify(`${saved.displayName}: changes saved.`);
          route(profile);
        }}
      />
    </div>
  );
}
