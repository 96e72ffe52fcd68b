import { cohortFilterSchema } from '@caretext/shared';
import type { Actor } from '../access/access.service.js';
import { BillingService } from '../billing/billing.service.js';
import { CohortsService } from '../cohorts/cohorts.service.js';
import { MessagingService } from '../messages/messaging.service.js';
import { NumbersService } from '../numbers/numbers.service.js';
import { PatientsService } from '../patients/patients.service.js';
import type { RunningServer } from '../server.js';
import { TemplatesService } from '../templates/templates.service.js';
import { DEMO_ORG, DEMO_USERS } from './demo.js';

/**
 * Patients for the demo directory, on the fictional 555-01xx range (dialable, so the simulator
 * delivers to them); numbers ending 0006 act as landlines there.
 */
const DEMO_PATIENTS = [
  { firstName: 'Amina', lastName: 'Patel', phone: '(415) 555-0142', mrn: 'MRN-0001', dob: '1985-03-14', email: 'amina@example.com' },
  { firstName: 'Jordan', lastName: 'Lee', phone: '(415) 555-0143', mrn: 'MRN-0002', dob: '1990-07-22', email: 'jordan@example.com' },
  { firstName: 'Cora', lastName: 'Chen', phone: '(415) 555-0144', mrn: 'MRN-0004', dob: '1978-11-02', email: 'cora@example.com' },
  { firstName: 'John', lastName: 'Smith', phone: '(415) 555-0006', mrn: 'MRN-0005', dob: '1961-05-30' },
  { firstName: 'Maria', lastName: 'Gonzalez', phone: '(415) 555-0145', mrn: 'MRN-0006', dob: '1972-01-09', tags: ['spanish'] },
  { firstName: 'Sam', lastName: 'Gonzalez', phone: '(415) 555-0145', mrn: 'MRN-0007', dob: '2014-08-17' },
  { firstName: 'Noah', lastName: 'Williams', phone: '(415) 555-0147', mrn: 'MRN-0008', dob: '1999-12-01' },
  { firstName: 'Priya', lastName: 'Nair', phone: '(415) 555-0148', mrn: 'MRN-0009', dob: '1988-04-27', email: 'priya@example.com' },
];

/**
 * Makes the demo org ready to text on first start: the SMS plan, a (simulated) number for Front
 * Desk, a few patients, templates and one conversation with a reply. Only with the simulator.
 */
export async function seedDemoMessaging(server: RunningServer): Promise<void> {
  if (!server.simulator) return;
  const db = server.db.prisma;
  const org = await db.org.findFirstOrThrow({ where: { name: DEMO_ORG } });
  const admin = await db.user.findUniqueOrThrow({ where: { email: DEMO_USERS.admin.email } });
  const membership = await db.membership.findUniqueOrThrow({ where: { orgId_userId: { orgId: org.id, userId: admin.id } } });
  const actor: Actor = { userId: admin.id, orgId: org.id, role: membership.role, membershipId: membership.id, ip: null };
  const frontDesk = await db.team.findFirstOrThrow({ where: { orgId: org.id, name: 'Front Desk' } });

  await server.app.get(BillingService).checkout(actor, 'sms');
  const numbers = server.app.get(NumbersService);
  const [available] = await numbers.search(actor, '415');
  if (available) await numbers.buy(actor, { phoneNumber: available.phoneNumber, teamId: frontDesk.id, locality: available.locality, region: available.region });

  const patients = server.app.get(PatientsService);
  const created = [];
  for (const p of DEMO_PATIENTS) created.push(await patients.create(actor, { ...p, smsTransactionalOptIn: true, consentSource: 'intake' }));

  const templates = server.app.get(TemplatesService);
  await templates.save(actor, { teamId: null, name: 'Appointment reminder', body: 'Hi {{first_name}}, this is {{org_name}}: a reminder of your appointment tomorrow. Reply C to confirm or N to decline.' });
  await templates.save(actor, { teamId: frontDesk.id, name: 'Running late', body: 'Hi {{first_name}}, the doctor is running about 20 minutes late today. Thank you for your patience! - {{org_name}}' });

  const cohorts = server.app.get(CohortsService);
  await cohorts.create(actor, { name: 'Spanish speakers', filter: cohortFilterSchema.parse({ tags: ['spanish'] }) });
  await cohorts.create(actor, { name: 'Adults reachable by text and email', filter: cohortFilterSchema.parse({ ageMin: 18, hasPhone: true, hasEmail: true, consent: { optedOut: false, blocked: false } }) });

  const messaging = server.app.get(MessagingService);
  const { conversationId } = await messaging.startSms(actor, { teamId: frontDesk.id, patientId: created[0]!.id });
  await messaging.send(actor, {
    conversationId,
    body: 'Hi {{first_name}}, this is {{org_name}}: a reminder of your appointment tomorrow at 9:30. Reply C to confirm or N to decline.',
    requestsConfirmation: true,
    quietHours: 'send_now',
    idempotencyKey: 'demo-seed-reminder-1',
  });
}
