import { PortalService } from './portal/portal.service.js';
import { SecureChatService } from './portal/secure-chat.service.js';
import { RecallService } from './portal/recall.service.js';
import { type DynamicModule, Module } from '@nestjs/common';
import { AccessService } from './access/access.service.js';
import { AttachmentsService } from './attachments/attachments.service.js';
import { AuditService } from './audit/audit.service.js';
import { AuthService } from './auth/auth.service.js';
import { BILLING_PROVIDER, type BillingProvider, BuiltinBillingProvider } from './billing/billing.provider.js';
import { BillingService } from './billing/billing.service.js';
import type { Config } from './config.js';
import type { Database } from './db/database.js';
import { EventBus } from './events/event-bus.js';
import { DevMailState } from './mail/dev-mail-state.js';
import { DevMailboxService } from './mail/dev-mailbox.service.js';
import { MailService } from './mail/mail.service.js';
import { MembersService } from './members/members.service.js';
import { OrgsService } from './orgs/orgs.service.js';
import { ImportWorker } from './imports/import-worker.js';
import { Housekeeping } from './jobs/housekeeping.js';
import { ImportsService } from './imports/imports.service.js';
import { PatientsService } from './patients/patients.service.js';
import { TeamsService } from './teams/teams.service.js';
import { TrpcRouter } from './trpc/app-router.js';
import { CONFIG, DATABASE, SIMULATOR } from './injection-tokens.js';
import { CLOCK, type Clock } from './clock.js';
import { CARRIER, type Carrier } from './carriers/carrier.js';
import type { TwilioSimulator } from './carriers/simulator/twilio-simulator.js';
import { ConversationsService } from './conversations/conversations.service.js';
import { InternalChatService } from './conversations/internal-chat.service.js';
import { ParticipantsService } from './conversations/participants.service.js';
import { ExternalChatService } from './conversations/external-chat.service.js';
import { InboundService } from './messages/inbound.service.js';
import { MessagingService } from './messages/messaging.service.js';
import { SendWorker } from './messages/send-worker.js';
import { SmsEligibility } from './messages/sms-eligibility.js';
import { MessageEvents } from './messages/message-events.js';
import { SimulatorService } from './messages/simulator.service.js';
import { StatusService } from './messages/status.service.js';
import { NumbersService } from './numbers/numbers.service.js';
import { CohortsService } from './cohorts/cohorts.service.js';
import { AnalyticsService } from './analytics/analytics.service.js';
import { BlastImagesService } from './blasts/blast-images.js';
import { BlastsService } from './blasts/blasts.service.js';
import { CsvBroadcastService } from './blasts/csv-broadcast.service.js';
import { AccountService } from './account/account.service.js';
import { TemplatesService } from './templates/templates.service.js';
import { EhrAdaptersService } from './ehr/ehr-adapters.service.js';

export type AppDeps = { config: Config; db: Database; clock: Clock; billing?: BillingProvider; carrier: Carrier; simulator: TwilioSimulator | null; events: EventBus };

@Module({})
export class AppModule {
  static register(deps: AppDeps): DynamicModule {
    return {
      module: AppModule,
      providers: [
        { provide: CONFIG, useValue: deps.config },
        { provide: DATABASE, useValue: deps.db },
        { provide: CLOCK, useValue: deps.clock },
        { provide: BILLING_PROVIDER, useValue: deps.billing ?? new BuiltinBillingProvider(deps.db) },
        { provide: CARRIER, useValue: deps.carrier },
        { provide: SIMULATOR, useValue: deps.simulator },
        ConversationsService,
        InternalChatService,
        ParticipantsService,
        ExternalChatService,
        InboundService,
        MessagingService,
        PortalService,
        SecureChatService,
        RecallService,
        SendWorker,
        SmsEligibility,
        SimulatorService,
        StatusService,
        MessageEvents,
        NumbersService,
        TemplatesService,
        CohortsService,
        BlastsService,
        BlastImagesService,
        CsvBroadcastService,
        AnalyticsService,
        AccountService,
        EhrAdaptersService,
        AccessService,
        AttachmentsService,
        AuditService,
        AuthService,
        BillingService,
        { provide: EventBus, useValue: deps.events },
        DevMailState,
        DevMailboxService,
        MailService,
        MembersService,
        OrgsService,
        PatientsService,
        ImportsService,
        ImportWorker,
        Housekeeping,
        TeamsService,
        TrpcRouter,
      ],
    };
  }
}
