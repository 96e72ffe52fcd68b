import { Inject, Injectable } from '@nestjs/common';
import { AccessService } from '../access/access.service.js';
import { analyticsRouter } from '../analytics/analytics.router.js';
import { AnalyticsService } from '../analytics/analytics.service.js';
import { attachmentsRouter } from '../attachments/attachments.router.js';
import { AttachmentsService } from '../attachments/attachments.service.js';
import { blastsRouter } from '../blasts/blasts.router.js';
import { BlastsService } from '../blasts/blasts.service.js';
import { BlastImagesService } from '../blasts/blast-images.js';
import { csvBroadcastRouter } from '../blasts/csv-broadcast.router.js';
import { CsvBroadcastService } from '../blasts/csv-broadcast.service.js';
import { accountRouter } from '../account/account.router.js';
import { AccountService } from '../account/account.service.js';
import { cohortsRouter } from '../cohorts/cohorts.router.js';
import { CohortsService } from '../cohorts/cohorts.service.js';
import { auditRouter } from '../audit/audit.router.js';
import { AuditService } from '../audit/audit.service.js';
import { authRouter } from '../auth/auth.router.js';
import { AuthService } from '../auth/auth.service.js';
import { planRouter } from '../billing/billing.router.js';
import { BillingService } from '../billing/billing.service.js';
import type { Config } from '../config.js';
import { EventBus } from '../events/event-bus.js';
import { devMailboxRouter } from '../mail/dev-mailbox.router.js';
import { DevMailboxService } from '../mail/dev-mailbox.service.js';
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
import { CONFIG } from '../injection-tokens.js';
import { conversationsRouter } from '../conversations/conversations.router.js';
import { ConversationsService } from '../conversations/conversations.service.js';
import { InternalChatService } from '../conversations/internal-chat.service.js';
import { ParticipantsService } from '../conversations/participants.service.js';
import { ExternalChatService } from '../conversations/external-chat.service.js';
import { externalRouter } from '../conversations/external.router.js';
import { MessagingService } from '../messages/messaging.service.js';
import { simulatorRouter } from '../messages/simulator.router.js';
import { SimulatorService } from '../messages/simulator.service.js';
import { numbersRouter } from '../numbers/numbers.router.js';
import { NumbersService } from '../numbers/numbers.service.js';
import { templatesRouter } from '../templates/templates.router.js';
import { ehrAdaptersRouter } from '../ehr/ehr-adapters.router.js';
import { EhrAdaptersService } from '../ehr/ehr-adapters.service.js';
import { TemplatesService } from '../templates/templates.service.js';
import { portalRouter, recallRouter } from '../portal/portal.router.js';
import { RecallService } from '../portal/recall.service.js';
import { SecureChatService } from '../portal/secure-chat.service.js';
import { router } from './trpc.js';

/** Builds the tRPC router from Nest-injected services (nestjs-trpc does not support Nest 12). */
@Injectable()
export class TrpcRouter {
  readonly appRouter;

  constructor(
    @Inject(CONFIG) config: Config,
    access: AccessService,
    auth: AuthService,
    orgs: OrgsService,
    members: MembersService,
    teams: TeamsService,
    billing: BillingService,
    audit: AuditService,
    events: EventBus,
    devMail: DevMailboxService,
    patients: PatientsService,
    imports: ImportsService,
    numbers: NumbersService,
    conversations: ConversationsService,
    messaging: MessagingService,
    templates: TemplatesService,
    simulator: SimulatorService,
    ehrAdapters: EhrAdaptersService,
    secureChat: SecureChatService,
    attachments: AttachmentsService,
    cohorts: CohortsService,
    recall: RecallService,
    blasts: BlastsService,
    internalChat: InternalChatService,
    account: AccountService,
    analytics: AnalyticsService,
    blastImages: BlastImagesService,
    external: ExternalChatService,
    csvBroadcasts: CsvBroadcastService,
    participants: ParticipantsService,
  ) {
    this.appRouter = router({
      auth: authRouter(auth, members, config.publicUrl.startsWith('https://'), () => devMail.enabled()),
      orgs: orgsRouter(orgs, auth, access, events),
      members: membersRouter(members),
      teams: teamsRouter(teams),
      plan: planRouter(billing),
      audit: auditRouter(audit),
      devMailbox: devMailboxRouter(devMail),
      patients: patientsRouter(patients),
      imports: importsRouter(imports),
      numbers: numbersRouter(numbers),
      conversations: conversationsRouter(conversations, messaging, access, events, internalChat, participants),
      templates: templatesRouter(templates),
      simulator: simulatorRouter(simulator),
      ehrAdapters: ehrAdaptersRouter(ehrAdapters),
      portal: portalRouter(secureChat),
      attachments: attachmentsRouter(attachments),
      cohorts: cohortsRouter(cohorts),
      recall: recallRouter(recall),
      blasts: blastsRouter(blasts, blastImages),
      csvBroadcasts: csvBroadcastRouter(csvBroadcasts),
      account: accountRouter(account),
      analytics: analyticsRouter(analytics),
      external: externalRouter(external, auth, config.publicUrl.startsWith('https://')),
    });
  }
}

export type AppRouter = TrpcRouter['appRouter'];
