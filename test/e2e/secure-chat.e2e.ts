import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, openAs, type RunningApp, startApp } from './harness';
import { createOrg, createTeam, person, signUp, trpc } from './steps';

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

/** SECURE_SCREENSHOTS=<dir>: also save the dialog and the conversation header there. */
const shots = process.env.SECURE_SCREENSHOTS;


describe('Secure Chat without SMS, from the new-conversation dialog', () => {
  it('a team with no number starts a Secure Chat with an email-only patient, sends, turns portal replies off; the patient reads it and cannot reply', async () => {
    const { page: staff } = await openAs(browser, app);
    await signUp(staff, person('Lena Ortiz'));
    await createOrg(staff, 'Hillside Clinic');
    await createTeam(staff, 'Billing');
    // On the team (creating one does not join it), which has no phone number.
    const me = await staff.request.get('/trpc/auth.me').then((r) => r.json() as Promise<{ result: { data: { json: { user: { id: string } } } } }>);
    const team = await app.server.db.prisma.team.findFirstOrThrow({ where: { name: 'Billing', org: { name: 'Hillside Clinic' } } });
    await trpc(staff, 'teams.addMember', { teamId: team.id, userId: me.result.data.json.user.id });
    await trpc(staff, 'patients.create', { firstName: 'Maria', lastName: 'Garcia', dob: '1978-06-02', email: 'maria.garcia@example.com' });

    // Inbox → + → Create a chat → pick the patient by name.
    await staff.getByTestId('nav-inbox').click();
    await staff.getByTestId('new-chat-button').click();
    await staff.getByTestId('create-chat').click();
    const dialog = staff.getByTestId('new-conversation-dialog');
    await dialog.getByTestId('new-conversation-to').fill('Garcia');
    await dialog.getByTestId('patient-option').filter({ hasText: 'Maria Garcia' }).click();
    await dialog.getByTestId('picked-patient').waitFor();
    // No number on the team: SMS says why, Secure Chat is chosen.
    await dialog.locator('[data-testid="channel-secure"][aria-checked="true"]').waitFor();
    expect(await dialog.getByTestId('sms-reason').textContent()).toContain('The team Billing has no phone number');
    expect(await dialog.getByTestId('channel-sms').isDisabled()).toBe(true);
    if (shots) await staff.screenshot({ path: `${shots}/new-chat-secure.png` });
    await dialog.getByTestId('start-conversation').click();
    await staff.waitForURL('**/inbox/*');
    await staff.getByTestId('conversation').waitFor();
    expect(await staff.getByTestId('conversation-kind').textContent()).toBe('Secure Chat');

    // The composer is on Secure Chat (the one channel here); the link goes by email.
    await staff.getByTestId('composer-text').fill('Your statement is ready: $40 is due by December 15.');
    await staff.getByTestId('send-button').click();
    await staff.getByText('Sent as Secure Chat. Link sent by email to maria.garcia@example.com.').waitFor();
    const mail = await waitForMail('maria.garcia@example.com');
    const link = /(https?:\/\/\S+\/p\/[A-Za-z0-9_-]+)/.exec(mail)![1]!;
    expect(mail).not.toContain('$40');

    // Portal replies off, from the conversation header (saved at once).
    const replies = staff.getByTestId('replies-enabled');
    expect(await replies.isChecked()).toBe(true);
    await replies.uncheck();
    await staff.getByText('Portal replies are off').waitFor();
    const conversationId = staff.url().split('/inbox/')[1]!.split('?')[0]!;
    expect((await app.server.db.prisma.conversation.findUniqueOrThrow({ where: { id: conversationId } })).repliesEnabled).toBe(false);
    if (shots) await staff.screenshot({ path: `${shots}/inbox-secure-conversation.png` });

    // The patient: date of birth, the message, and no reply box.
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    const p = await phone.newPage();
    await p.goto(link);
    await p.getByTestId('dob-month').selectOption('6');
    await p.getByTestId('dob-day').fill('2');
    await p.getByTestId('dob-year').fill('1978');
    await p.getByTestId('dob-submit').click();
    await p.getByTestId('portal-conversation').waitFor();
    expect(await p.getByTestId('portal-message').first().textContent()).toContain('$40 is due');
    await p.getByText('Replies are turned off for this conversation.').waitFor();
    expect(await p.getByTestId('portal-reply-text').count()).toBe(0);
    await phone.close();
  }, 240_000);
});

async function waitForMail(to: string): Promise<string> {
  for (let i = 0; i < 300; i++) {
    const mail = await app.server.db.prisma.devMail.findFirst({ where: { to: { contains: to } }, orderBy: { createdAt: 'desc' } });
    if (mail) return mail.text;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no mail reached ${to}`);
}
