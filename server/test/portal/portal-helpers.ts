import { expect } from 'vitest';
import { messageReaches, smsClinic, type TestServer, waitFor } from '../harness.js';

export type Clinic = Awaited<ReturnType<typeof smsClinic>>;

/** A patient's browser on the portal API: its own cookie jar (the device cookie) and address. */
export class PortalBrowser {
  cookie: string | null = null;
  constructor(
    private readonly server: TestServer,
    /** Sent as X-Forwarded-For; the server believes it only where TRUST_PROXY says so (the portal specs set it). */
    readonly ip = `10.0.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}`,
  ) {}

  async post(path: string, body: Record<string, unknown>, headers: Record<string, string> = {}) {
    const res = await fetch(`${this.server.url}/api/portal/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': this.ip, ...(this.cookie ? { cookie: this.cookie } : {}), ...headers },
      body: JSON.stringify(body),
    });
    const set = res.headers.get('set-cookie');
    if (set) this.cookie = set.split(';')[0]!;
    return { status: res.status, setCookie: set, body: (await res.json()) as Record<string, any> };
  }

  open(token: string) {
    return this.post('open', { token });
  }
  verify(token: string, dob: string) {
    return this.post('verify', { token, dob });
  }
  conversation(token: string) {
    return this.post('conversation', { token });
  }
  reply(token: string, body: string) {
    return this.post('reply', { token, body });
  }
}

const linkTexts = (server: TestServer, phone: string) => server.simulator!.messages().filter((m) => m.to === phone && /\/p\//.test(m.body));

/** The portal token in the next link SMS the simulator carries to `phone` (the patient's phone is the only place it is in clear). */
export async function nextTokenFromSms(server: TestServer, phone: string, send: () => Promise<unknown>): Promise<{ token: string; body: string }> {
  const before = linkTexts(server, phone).length;
  await send();
  const sms = await waitFor(async () => {
    await server.simulator!.settle();
    const texts = linkTexts(server, phone);
    return texts.length > before ? texts.at(-1) : null;
  });
  return { token: /\/p\/([A-Za-z0-9_-]+)/.exec(sms.body)![1]!, body: sms.body };
}

/** Sends a secure message (to the clinic's conversation, or to another patient of its team) and returns the token the patient received. */
export async function sendSecure(server: TestServer, clinic: Clinic, body: string, patient: { id: string; phone: string | null } = clinic.patient) {
  let sent!: Awaited<ReturnType<Clinic['member']['api']['conversations']['send']['mutate']>>;
  const { token, body: sms } = await nextTokenFromSms(server, patient.phone!, async () => {
    sent = await clinic.member.api.conversations.send.mutate(
      patient === clinic.patient ? { conversationId: clinic.conversationId, body, channel: 'secure' } : { teamId: clinic.team.id, patientId: patient.id, body, channel: 'secure' },
    );
  });
  expect(sent.notification).toMatchObject({ via: 'sms' });
  const notice = await server.db.prisma.message.findFirstOrThrow({ where: { conversationId: sent.conversationId, autoReply: 'portal_link' }, orderBy: { createdAt: 'desc' } });
  await messageReaches(server, notice.id, ['sent', 'delivered']);
  return { sent, token, sms, noticeId: notice.id };
}
