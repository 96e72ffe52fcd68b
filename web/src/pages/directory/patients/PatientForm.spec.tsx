import { TRPCClientError } from '@trpc/client';
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/preact';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { PatientForm } from './PatientForm';
import { EMPTY_PATIENT } from './patientInput';

afterEach(cleanup);

const serverError = (code: string, message: string, fieldErrors?: Record<string, string>) =>
  TRPCClientError.from({ error: { code: -32600, message, data: { code, fieldErrors } } });

function renderForm(onSubmit: (input: unknown) => Promise<unknown>) {
  render(<PatientForm initial={EMPTY_PATIENT} submitLabel="Create patient" cancelHref="/directory/patients" onSubmit={onSubmit} />);
}

const fill = (id: string, value: string) => fireEvent.input(document.getElementById(id)!, { target: { value } });

describe('The patient form', () => {
  it("shows the server's message under each field it is about", async () => {
    const onSubmit = vi.fn().mockRejectedValue(
      serverError('BAD_REQUEST', 'invalid', { phone: '"555-12" is not a valid phone number', dob: '"02/30/1990" is not a real date (February has 28 days in 1990)' }),
    );
    renderForm(onSubmit);
    fill('patient-phone', '555-12');
    fill('patient-dob', '02/30/1990');
    fireEvent.click(screen.getByTestId('patient-save'));

    expect((await screen.findByTestId('error-patient-phone')).textContent).toBe('"555-12" is not a valid phone number');
    expect(screen.getByTestId('error-patient-dob').textContent).toContain('February has 28 days');
    expect(screen.queryByTestId('form-error')).toBeNull();
    expect(onSubmit).toHaveBeenCalledWith(expect.objectContaining({ phone: '555-12', dob: '02/30/1990', email: null }));
  });

  it('puts a taken MRN, with the name of the patient who has it, under the MRN', async () => {
    renderForm(vi.fn().mockRejectedValue(serverError('CONFLICT', 'MRN MRN-0001 already belongs to Amina Patel.')));
    fill('patient-mrn', 'MRN-0001');
    fireEvent.click(screen.getByTestId('patient-save'));
    expect((await screen.findByTestId('error-patient-mrn')).textContent).toBe('MRN MRN-0001 already belongs to Amina Patel.');
  });

  it('asks how consent was given once an opt-in changes, and sends the answer', async () => {
    const onSubmit = vi.fn().mockResolvedValue(undefined);
    renderForm(onSubmit);
    expect(screen.queryByTestId('consent-source')).toBeNull();
    fireEvent.click(screen.getByTestId('patient-smsTransactionalOptIn'));
    fireEvent.click(await screen.findByLabelText('On an intake form'));
    fireEvent.click(screen.getByTestId('patient-save'));
    await waitFor(() => expect(onSubmit).toHaveBeenCalledWith(expect.objectContaining({ smsTransactionalOptIn: true, smsMarketingOptIn: false, consentSource: 'intake' })));
  });
});
