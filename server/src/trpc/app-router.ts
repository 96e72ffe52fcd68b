import { Inject, Injectable } from '@nestjs/common';
import { AccessService } from '../access/access.service.js';
import { auditRouter } from '../audit/audit.router.js';
import { AuditService } from '../audit/audit.service.js';
import { authRouter } from '../auth/auth.router.js';
import { AuthService } from '../auth/auth.service.js';
import { planRouter } from '../billing/billing.router.js';
import { BillingService } from '../billing/billing.service.js';
import type { Config } from '../config.js';
import type { Database } from '../db/database.js';
import { EventBus } from '../events/event-bus.js';
import { devMailboxRouter } from '../mail/dev-mailbox.router.js';
import { DevMailState } from '../mail/dev-mail-state.js';
import { membersRouter } from '../members/members.router.js';
import { MembersService } from '../members/members.service.js';
import { orgsRouter } from '../orgs/orgs.router.js';
import { OrgsService } from '../orgs/orgs.service.js';
import { importsRouter } from '../imports/imports.router.js';
import { ImportsService } from '../imports/imports.service.js';
import { patientsRouter } from '../patients/patients.router.js';
import { PatientsService } from '../patients/patients.service.js';
import { teamsRouter } from '../teams/teams.router.js';
import { TeamsService } from '../teams/teams.service.js';
import { CONFIG, DATABASE, SIMULATOR } from '../tokens.js';
import type { TwilioSimulator } from '../carriers/simulator/twilio-simulator.js';
import { conversationsRouter } from '../conversations/conversations.router.js';
import { ConversationsService } from '../conversations/conversations.service.js';
import { MessagingService } from '../messages/messaging.service.js';
import { simulatorRouter } from '../messages/simulator.router.js';
import { numbersRouter } from '../numbers/numbers.router.js';
import { NumbersService } from '../numbers/numbers.service.js';
import { templatesRouter } from '../templates/templates.router.js';
import { ehrAdaptersRouter } from '../ehr/ehr-adapters.router.js';
import { EhrAdaptersService } from '../ehr/ehr-adapters.service.js';
import { TemplatesService } from '../templates/templates.service.js';
import { router } from './trpc.js';

/** Builds the tRPC router from Nest-injected services (nestjs-trpc does not support Nest 12). */
@Injectable()
export class TrpcRouter {
  readonly appRouter;

  constructor(
    @Inject(CONFIG) config: Config,
    @Inject(DATABASE) db: Database,
    access: AccessService,
    auth: AuthService,
    orgs: OrgsService,
    members: MembersService,
    teams: TeamsService,
    billing: BillingService,
    audit: AuditService,
    events: EventBus,
    devMail: DevMailState,
    patients: PatientsService,
    imports: ImportsService,
    numbers: NumbersService,
    conversations: ConversationsService,
    messaging: MessagingService,
    templates: TemplatesService,
    @Inject(SIMULATOR) simulator: TwilioSimulator | null,
    ehrAdapters: EhrAdaptersService,
  ) {
    this.appRouter = router({
      auth: authRouter(auth, members, config.publicUrl.startsWith('https://'), () => devMail.enabled),
      orgs: orgsRouter(orgs, auth, access, events),
      members: membersRouter(members),
      teams: teamsRouter(teams),
      plan: planRouter(billing),
      audit: auditRouter(audit),
      devMailbox: devMailboxRouter(db, () => devMail.enabled),
      patients: patientsRouter(patients),
      imports: importsRouter(imports),
      numbers: numbersRouter(numbers),
      conversations: conversationsRouter(conversations, messaging, access, events),
      templates: templatesRouter(templates),
      simulator: simulatorRouter(db, access, simulator, () => devMail.simulatorControls),
      ehrAdapters: ehrAdaptersRouter(ehrAdapters),
    });
  }
}

export type AppRouter = TrpcRouter['appRouter'];
