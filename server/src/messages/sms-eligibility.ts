import { Inject, Injectable } from '@nestjs/common';
import { formatPhoneForDisplay, optedOutMessage } from '@caretext/shared';
import { CARRIER, type Carrier } from '../carriers/carrier.js';
import type { Database } from '../db/database.js';
import type { Org, Patient, PhoneNumber } from '../generated/prisma/client.js';
import { DATABASE } from '../injection-tokens.js';
import type { BlockReason } from '@caretext/shared';

export type Blocker = { reason: BlockReason; message: string };

/**
 * Whether a plain SMS may go from a team's number to a patient, and if not, why — the same
 * answer for the new-conversation dialog, the composer and the send itself.
 */
@Injectable()
export class SmsEligibility {
  constructor(
    @Inject(DATABASE) private readonly db: Database,
    @Inject(CARRIER) private readonly carrier: Carrier,
  ) {}

  orgBlocker(org: Org): Blocker | null {
    if (!org.smsEnabled) return { reason: 'plan', message: 'SMS needs the SMS plan. An admin can upgrade under Settings → Plan.' };
    if (!org.smsAllowed) return { reason: 'policy', message: 'Your organization has turned SMS off (Settings → Policies).' };
    return null;
  }

  async teamNumber(orgId: string, teamId: string): Promise<PhoneNumber | null> {
    return this.db.prisma.phoneNumber.findFirst({ where: { orgId, teamId, status: 'active' }, orderBy: { createdAt: 'asc' } });
  }

  /** Checks the patient for this number; looks the line type up (and remembers it) when unknown. */
  async patientBlocker(patient: Patient, number: PhoneNumber): Promise<Blocker | null> {
    if (!patient.phone) return { reason: 'no_phone', message: 'This patient has no phone number. Add one to their profile to text them.' };
    if (patient.blockedAt) return { reason: 'blocked', message: 'The clinic has blocked texting this patient.' };
    const optOut = await this.db.prisma.smsOptOut.findUnique({ where: { phoneNumberId_phone: { phoneNumberId: number.id, phone: patient.phone } } });
    if (optOut) {
      return { reason: 'opted_out', message: optedOutMessage({ keyword: optOut.keyword, number: formatPhoneForDisplay(number.e164), on: optOut.createdAt.toISOString().slice(0, 10) }) };
    }
    if (patient.optedOutAt) return { reason: 'opted_out', message: 'The patient has opted out of SMS.' };
    let lineType = patient.phoneLineType;
    if (lineType === 'unknown') {
      lineType = await this.carrier.lookupLineType(patient.phone).catch(() => 'unknown' as const);
      if (lineType !== 'unknown') await this.db.prisma.patient.update({ where: { id: patient.id }, data: { phoneLineType: lineType } });
    }
    if (lineType === 'landline') return { reason: 'landline', message: `${formatPhoneForDisplay(patient.phone)} is a landline and cannot receive SMS.` };
    return null;
  }
}
