import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, openAs, type RunningApp, startApp } from './harness';
import { createOrg, createTeam, fillSignUp, followInviteEmail, invite, message, person, signUp } from './steps';

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

/** INTERNAL_SCREENSHOTS=<dir>: also save the dialog, the conversation and the colleague's inbox there. */
const shots = process.env.INTERNAL_SCREENSHOTS;

describe('Internal chat between colleagues', () => {
  it('A starts a chat with colleague B from Create a chat; B sees it arrive live and replies; A sees the reply live', async () => {
    const orgName = 'Riverside Clinic';
    const lena = person('Lena Ortiz');
    const omar = person('Omar Haddad');

    const { page: a } = await openAs(browser, app);
    await signUp(a, lena);
    await createOrg(a, orgName);
    // The org's one team, which neither of them is on: internal chat does not depend on teams.
    await createTeam(a, 'Front Desk');
    await a.goto('/settings/members');
    await invite(a, omar.email);

    const { page: b } = await openAs(browser, app);
    await followInviteEmail(b, orgName, a);
    await b.getByTestId('invite-sign-up').click();
    await fillSignUp(b, omar);
    await b.waitForURL('**/settings/members');
    // B has the inbox open (on no team: internal chat needs none) before anything is started.
    await b.getByTestId('nav-inbox').click();
    await b.getByTestId('inbox').waitFor();
    await b.getByTestId('inbox-empty').or(b.getByTestId('inbox-no-number')).or(b.getByTestId('inbox-no-team')).first().waitFor();

    // A: Inbox → + → Create a chat → Colleagues → Omar.
    await a.getByTestId('nav-inbox').click();
    await a.getByTestId('inbox').waitFor();
    await a.getByTestId('new-chat-button').click();
    await a.getByTestId('create-chat').click();
    await a.getByTestId('new-conversation-dialog').getByTestId('chat-with-colleagues').click();
    const dialog = a.getByTestId('new-internal-chat-dialog');
    await dialog.getByTestId('new-internal-to').fill('Omar');
    await dialog.getByTestId('colleague-option').filter({ hasText: omar.name }).click();
    await dialog.getByTestId('picked-colleague').filter({ hasText: omar.name }).waitFor();
    if (shots) await a.screenshot({ path: `${shots}/new-chat-internal.png` });
    await dialog.getByTestId('start-internal-chat').click();
    await a.waitForURL('**/inbox/*');
    await a.getByTestId('conversation').waitFor();
    expect(await a.getByTestId('conversation-kind').textContent()).toBe('Internal');
    expect(await a.getByTestId('conversation-patient').textContent()).toBe(omar.name);
    // Never SMS or a patient's: no channel choice, no confirmation request, no tokens.
    expect(await a.getByTestId('composer-channels').count()).toBe(0);
    expect(await a.getByTestId('ask-confirm').count()).toBe(0);
    expect(await a.getByTestId('composer-counter').textContent()).toBe('Internal · stays on CareText');

    // B's inbox lists it at once, marked Internal, named after A.
    const row = b.getByTestId('conversation-item').filter({ hasText: lena.name });
    await row.waitFor();
    expect(await row.getByTestId('conversation-internal').textContent()).toBe('Internal');

    // A writes; B, with the conversation open, sees it arrive.
    await row.click();
    await b.getByTestId('conversation').waitFor();
    await a.getByTestId('composer-text').fill('Can you see the patient in bed 7 at noon?');
    await a.getByTestId('send-button').click();
    await message(a, 'Can you see the patient in bed 7 at noon?').waitFor();
    const received = message(b, 'Can you see the patient in bed 7 at noon?');
    await received.waitFor();
    expect(await received.getAttribute('class')).toContain('msg-in');
    expect(await received.getByTestId('message-sender').textContent()).toBe(lena.name);

    // B replies; A sees it live, on the left, with B's name.
    await b.getByTestId('composer-text').fill('On it, see you there.');
    await b.getByTestId('send-button').click();
    const reply = message(a, 'On it, see you there.');
    await reply.waitFor();
    expect(await reply.getAttribute('class')).toContain('msg-in');
    expect(await reply.getByTestId('message-sender').textContent()).toBe(omar.name);
    if (shots) {
      await a.screenshot({ path: `${shots}/inbox-internal-conversation.png` });
      await b.screenshot({ path: `${shots}/inbox-internal-list.png` });
    }

    // Stored on the server like Secure Chat, never a text.
    const conversationId = a.url().split('/inbox/')[1]!.split('?')[0]!;
    const stored = await app.server.db.prisma.message.findMany({ where: { conversationId }, orderBy: { createdAt: 'asc' } });
    expect(stored.map((m) => [m.body, m.channel])).toEqual([
      ['Can you see the patient in bed 7 at noon?', 'secure'],
      ['On it, see you there.', 'secure'],
    ]);
  });
});
