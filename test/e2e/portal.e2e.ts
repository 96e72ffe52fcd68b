import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, openAs, type RunningApp, startApp } from './harness';
import { createOrg, createTeam, person, pickPhoneNumber, signUp, trpc, upgradeToSms } from './steps';

let app: RunningApp;
let browser: Browser;

beforeAll(async () => {
  app = await startApp();
  browser = await launchBrowser();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await app?.close();
});

const PATIENT_E164 = '+13125554877';
/** PORTAL_SCREENSHOTS=<dir>: also save the portal's pages at phone width there. */
const shots = process.env.PORTAL_SCREENSHOTS;


/** The link in the newest portal SMS the simulated carrier delivered to the patient, once there are more than `before`. */
async function linkFromSms(before: number): Promise<string> {
  for (let i = 0; i < 200; i++) {
    await app.server.simulator!.settle();
    const texts = app.server.simulator!.messages().filter((m) => m.to === PATIENT_E164 && m.body.includes('/p/'));
    if (texts.length > before) return /(https?:\/\/\S+\/p\/[A-Za-z0-9_-]+)/.exec(texts.at(-1)!.body)![1]!;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('no portal SMS reached the simulator');
}

async function enterDob(page: Page, month: string, day: string, year: string) {
  await page.getByTestId('dob-month').selectOption(month);
  await page.getByTestId('dob-day').fill(day);
  await page.getByTestId('dob-year').fill(year);
  await page.getByTestId('dob-submit').click();
}

/** A clinic with SMS, a team with a number, quiet hours off, and one patient; its owner signed in. */
async function clinicWithPatient(owner: string, org: string, teamName: string, patientFields: { firstName: string; lastName: string; phone: string; dob: string }) {
  const { page: staff } = await openAs(browser, app);
  await signUp(staff, person(owner));
  await createOrg(staff, org);
  await upgradeToSms(staff);
  await createTeam(staff, teamName);
  await pickPhoneNumber(staff, '415', teamName);
  await trpc(staff, 'orgs.updatePolicies', { secureLinkExpiryHours: 72, quietHoursEnabled: false, quietHoursStart: '20:00', quietHoursEnd: '08:00', smsAllowed: true, externalChatAllowed: false });
  const patient = await trpc<{ id: string }>(staff, 'patients.create', patientFields);
  const team = await app.server.db.prisma.team.findFirstOrThrow({ where: { name: teamName, org: { name: org } } });
  return { staff, patient, team };
}

describe('Secure Chat: the patient portal in the browser', () => {
  it('staff send secure -> the SMS has a link -> wrong DOB x3 locks it -> resend -> right DOB -> the message, a read receipt, and a reply staff receive', async () => {
    const { staff, patient, team } = await clinicWithPatient('Dana Reyes', 'Bayview Family Clinic', 'Front Desk', { firstName: 'Maria', lastName: 'Garcia', phone: PATIENT_E164, dob: '1978-06-02' });

    const sent = await trpc<{ conversationId: string; messageId: string; notification: { via: string } }>(staff, 'conversations.send', {
      teamId: team.id,
      patientId: patient.id,
      body: 'Your lab results are back: cholesterol 182, all in the normal range.',
      channel: 'secure',
    });
    expect(sent.notification.via).toBe('sms');
    const firstLink = await linkFromSms(0);
    expect(firstLink.startsWith(`${app.url}/p/`)).toBe(true);

    // The patient's phone: a fresh browser profile at phone size.
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    const p = await phone.newPage();
    await p.goto(firstLink);
    await p.getByTestId('portal-verify').waitFor();
    expect(await p.getByTestId('portal-org').textContent()).toBe('Bayview Family Clinic');
    expect(await p.content()).not.toContain('Maria');
    if (shots) await p.screenshot({ path: `${shots}/portal-verify.png` });
    await enterDob(p, '1', '1', '1980');
    await p.getByTestId('dob-wrong').waitFor();
    expect(await p.getByTestId('dob-wrong').textContent()).toContain('2 tries left');
    if (shots) await p.screenshot({ path: `${shots}/portal-wrong.png` });
    await enterDob(p, '1', '2', '1980');
    await p.getByText('1 try left', { exact: false }).waitFor();
    await enterDob(p, '1', '3', '1980');
    await p.getByTestId('portal-locked').waitFor();
    if (shots) await p.screenshot({ path: `${shots}/portal-locked.png` });

    // Staff see why, and resend: a new link; the old one now says it was replaced.
    const thread = await trpc<{ messages: { channel: string; body: string }[] }>(staff, 'conversations.get', { conversationId: sent.conversationId }, 'query');
    expect(thread.messages.some((m) => m.channel === 'system' && m.body.includes('locked'))).toBe(true);
    await trpc(staff, 'portal.resendLink', { conversationId: sent.conversationId });
    const secondLink = await linkFromSms(1);
    await p.reload();
    await p.getByTestId('portal-replaced').waitFor();

    await p.goto(secondLink);
    await enterDob(p, '6', '2', '1978');
    await p.getByTestId('portal-conversation').waitFor();
    expect(await p.getByTestId('portal-message').first().textContent()).toContain('cholesterol 182');
    if (shots) await p.screenshot({ path: `${shots}/portal-conversation.png`, fullPage: true });
    const read = await trpc<{ messages: { id: string; readAt: string | null }[] }>(staff, 'conversations.get', { conversationId: sent.conversationId }, 'query');
    expect(read.messages.find((m) => m.id === sent.messageId)!.readAt).not.toBeNull();

    await p.getByTestId('portal-reply-text').fill('Thank you! Should I keep the same diet?');
    await p.getByTestId('portal-reply-send').click();
    await p.getByTestId('portal-message').filter({ hasText: 'Should I keep the same diet?' }).waitFor();
    if (shots) await p.screenshot({ path: `${shots}/portal-replied.png`, fullPage: true });
    const after = await trpc<{ unreadCount: number; messages: { direction: string; channel: string; body: string }[] }>(staff, 'conversations.get', { conversationId: sent.conversationId }, 'query');
    expect(after.messages.at(-1)).toMatchObject({ direction: 'inbound', channel: 'secure', body: 'Thank you! Should I keep the same diet?' });
    expect(after.unreadCount).toBe(1);
    await phone.close();
  }, 240_000);

  it('Inbox composer: choose Secure Chat, send, the toast names where the link went; the patient opens it, verifies DOB, and staff see the read receipt live', async () => {
    const PHONE = '+13125554878';
    const { staff, patient, team } = await clinicWithPatient('Rosa Tran', 'Lakeside Clinic', 'Nurses', { firstName: 'Ana', lastName: 'Lee', phone: PHONE, dob: '1990-03-14' });
    const { conversationId } = await trpc<{ conversationId: string }>(staff, 'conversations.startSms', { teamId: team.id, patientId: patient.id });

    await staff.goto(`/inbox/${conversationId}`);
    await staff.getByTestId('composer-channel-secure').click();
    expect(await staff.getByTestId('composer-channel-secure').getAttribute('aria-checked')).toBe('true');
    await staff.getByTestId('composer-text').fill('Your A1C is 5.6, in the normal range.');
    expect(await staff.getByTestId('composer-counter').textContent()).toBe('Secure Chat · no SMS segments');
    expect(await staff.getByTestId('phi-warning').count()).toBe(0);
    if (shots) await staff.screenshot({ path: `${shots}/inbox-composer-secure.png` });
    await staff.getByTestId('send-button').click();
    await staff.getByText('Sent as Secure Chat. Link sent by SMS to (312) 555-4878.').waitFor();
    const mine = staff.getByTestId('message').filter({ hasText: 'Your A1C is 5.6' });
    await mine.getByTestId('secure-badge').waitFor();
    expect(await mine.getByTestId('read-receipt').count()).toBe(0);

    // The patient's phone: the link from the simulator's SMS, in a fresh profile.
    let link: string | null = null;
    for (let i = 0; i < 200 && !link; i++) {
      await app.server.simulator!.settle();
      const text = app.server.simulator!.messages().find((m) => m.to === PHONE && m.body.includes('/p/'));
      link = text ? /(https?:\/\/\S+\/p\/[A-Za-z0-9_-]+)/.exec(text.body)![1]! : null;
      if (!link) await new Promise((r) => setTimeout(r, 50));
    }
    expect(link).not.toBeNull();
    expect(app.server.simulator!.messages().some((m) => m.to === PHONE && m.body.includes('A1C'))).toBe(false);
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    const p = await phone.newPage();
    await p.goto(link!);
    await enterDob(p, '3', '14', '1990');
    await p.getByTestId('portal-message').filter({ hasText: 'A1C is 5.6' }).waitFor();

    // Staff, without reloading: the receipt arrives on the live stream.
    const receipt = mine.getByTestId('read-receipt');
    await receipt.waitFor({ timeout: 15_000 });
    expect(await receipt.textContent()).toMatch(/^ALSeen /);
    if (shots) await staff.screenshot({ path: `${shots}/inbox-read-receipt.png` });
    await phone.close();
  }, 180_000);
});
