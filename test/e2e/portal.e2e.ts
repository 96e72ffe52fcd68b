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
  it('from the Inbox, all in the UI: Secure Chat with a file -> the SMS has a link -> a fresh phone: wrong DOB x3 -> locked page -> staff see the note and resend from the header -> right DOB -> the message and the file -> staff see Seen live -> the patient replies -> the reply appears live in the staff thread', async () => {
    const { staff, patient, team } = await clinicWithPatient('Dana Reyes', 'Bayview Family Clinic', 'Front Desk', { firstName: 'Maria', lastName: 'Garcia', phone: PATIENT_E164, dob: '1978-06-02' });
    // Opening the thread is setup; everything the issue names below is done in the UI.
    const { conversationId } = await trpc<{ conversationId: string }>(staff, 'conversations.startSms', { teamId: team.id, patientId: patient.id });
    const scratch = await browser.newPage();
    await scratch.setContent('<div id="x" style="width:120px;height:90px;background:linear-gradient(135deg,#f97316,#0ea5e9)"></div>');
    const image = await scratch.locator('#x').screenshot();
    await scratch.close();

    await staff.goto(`/inbox/${conversationId}`);
    await staff.getByTestId('composer-channel-secure').click();
    expect(await staff.getByTestId('composer-channel-secure').getAttribute('aria-checked')).toBe('true');
    await staff.getByTestId('composer-text').fill('Your lab results are back: cholesterol 182, all in the normal range.');
    expect(await staff.getByTestId('composer-counter').textContent()).toBe('Secure Chat · no SMS segments');
    expect(await staff.getByTestId('phi-warning').count()).toBe(0);
    await staff.getByTestId('attach-input').setInputFiles([{ name: 'lipid-panel.png', mimeType: 'image/png', buffer: image }]);
    await staff.getByTestId('draft-file').filter({ hasText: 'lipid-panel.png' }).and(staff.locator('[data-status="ready"]')).waitFor();
    if (shots) await staff.screenshot({ path: `${shots}/inbox-composer-secure.png` });
    await staff.getByTestId('send-button').click();
    await staff.getByText('Sent as Secure Chat. Link sent by SMS to (312) 555-4877.').waitFor();
    const mine = staff.getByTestId('message').filter({ hasText: 'cholesterol 182' });
    await mine.getByTestId('secure-badge').waitFor();
    await mine.getByTestId('file-thumb').waitFor();
    expect(await mine.getByTestId('read-receipt').count()).toBe(0);

    // The simulator carried an SMS with the link, and nothing of the message.
    const firstLink = await linkFromSms(0);
    expect(firstLink.startsWith(`${app.url}/p/`)).toBe(true);
    expect(app.server.simulator!.messages().some((m) => m.to === PATIENT_E164 && /cholesterol|lipid/.test(m.body))).toBe(false);

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
    expect(await p.content()).not.toContain('cholesterol');
    if (shots) await p.screenshot({ path: `${shots}/portal-locked.png` });

    // Staff see why in the thread (live), and resend from the conversation header.
    await staff.getByTestId('system-line').filter({ hasText: 'locked after 3 wrong dates of birth' }).waitFor();
    staff.once('dialog', (dialog) => void dialog.accept());
    await staff.getByTestId('resend-link').click();
    await staff.getByText('New link: Link sent by SMS to (312) 555-4877.').waitFor();
    const secondLink = await linkFromSms(1);
    expect(secondLink).not.toBe(firstLink);
    await p.reload();
    await p.getByTestId('portal-replaced').waitFor();

    await p.goto(secondLink);
    await enterDob(p, '6', '2', '1978');
    await p.getByTestId('portal-conversation').waitFor();
    expect(await p.getByTestId('portal-message').first().textContent()).toContain('cholesterol 182');
    const file = p.getByTestId('portal-file').filter({ hasText: 'lipid-panel.png' });
    await expect.poll(() => file.locator('img').evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBeGreaterThan(0);
    if (shots) await p.screenshot({ path: `${shots}/portal-conversation.png`, fullPage: true });

    // Staff, without reloading: the receipt arrives on the live stream.
    const receipt = mine.getByTestId('read-receipt');
    await receipt.waitFor();
    expect(await receipt.textContent()).toMatch(/^MGSeen /);
    if (shots) await staff.screenshot({ path: `${shots}/inbox-read-receipt.png` });

    await p.getByTestId('portal-reply-text').fill('Thank you! Should I keep the same diet?');
    await p.getByTestId('portal-reply-send').click();
    await p.getByTestId('portal-message').filter({ hasText: 'Should I keep the same diet?' }).waitFor();
    if (shots) await p.screenshot({ path: `${shots}/portal-replied.png`, fullPage: true });
    // The reply appears in the open staff thread, live.
    await staff.getByTestId('message').filter({ hasText: 'Should I keep the same diet?' }).waitFor();
    await phone.close();
  }, 300_000);
});
