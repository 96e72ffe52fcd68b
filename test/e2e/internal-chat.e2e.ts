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

    // People → Leave: B leaves; A sees "Omar Haddad left" live and one person left in the header.
    await b.getByTestId('people-button').click();
    await b.getByTestId('people-menu').waitFor();
    if (shots) await b.screenshot({ path: `${shots}/inbox-internal-people.png` });
    await b.getByTestId('leave-chat').click();
    await b.getByTestId('confirm-button').click();
    await b.getByTestId('conversation-gone').waitFor();
    if (shots) await b.screenshot({ path: `${shots}/inbox-internal-left.png` });
    await a.getByTestId('system-line').filter({ hasText: `${omar.name} left` }).waitFor();
    await a.getByTestId('people-button').filter({ hasText: 'People (1)' }).waitFor();
  });

  it('an email address outside the org: the first message mails Get started; the partner sets up, lands in the chat and replies; both sides see External', async () => {
    const lena = person('Lena Park');
    const partner = person('Dr Ravi Shah');
    const { page: a } = await openAs(browser, app);
    await signUp(a, lena);
    await createOrg(a, 'Lakeside Clinic');
    await createTeam(a, 'Front Desk');
    // Settings → Policies → Allow external chat.
    await a.goto('/settings/policies');
    await a.locator('label.check', { hasText: 'Allow external chat' }).locator('input').check();
    await a.getByTestId('save-policies').click();
    await a.getByText('Policies saved.').waitFor();

    await a.getByTestId('nav-inbox').click();
    await a.getByTestId('new-chat-button').click();
    await a.getByTestId('create-chat').click();
    await a.getByTestId('new-conversation-dialog').getByTestId('chat-with-colleagues').click();
    const dialog = a.getByTestId('new-internal-chat-dialog');
    await dialog.getByTestId('new-internal-to').fill(partner.email);
    await dialog.getByTestId('invite-external-option').click();
    await dialog.getByTestId('picked-external').waitFor();
    if (shots) await a.screenshot({ path: `${shots}/new-chat-external.png` });
    await dialog.getByTestId('start-internal-chat').click();
    await a.getByTestId('conversation').waitFor();
    expect(await a.getByTestId('external-badge').textContent()).toBe('External');
    expect(await a.getByTestId('invited-participant').textContent()).toContain('Invite on first message');
    // Adding the address sent nothing.
    expect(await app.server.db.prisma.devMail.count({ where: { to: partner.email } })).toBe(0);
    await a.getByTestId('composer-text').fill('Referral for Ms Patel: can you see her Thursday?');
    await a.getByTestId('send-button').click();
    await message(a, 'Referral for Ms Patel: can you see her Thursday?').waitFor();

    // Lena (an admin of the inviting org) reads the invitation in the Dev mailbox and passes the link on.
    const mailbox = await a.context().newPage();
    await mailbox.goto('/dev/mailbox');
    await mailbox.getByTestId('mail-item').filter({ hasText: 'sent you a message' }).first().click();
    const link = await mailbox.getByTestId('mail-view').getByTestId('mail-link').first().getAttribute('href');
    await mailbox.close();

    const { page: p } = await openAs(browser, app);
    await p.goto(link!);
    await p.getByTestId('get-started-form').waitFor();
    expect(await p.getByTestId('get-started-org').textContent()).toBe('Lakeside Clinic');
    await p.fill('#name', partner.name);
    await p.fill('#password', partner.password);
    if (shots) await p.screenshot({ path: `${shots}/external-get-started.png` });
    await p.getByTestId('get-started-submit').click();
    await p.waitForURL('**/inbox/*');
    await message(p, 'Referral for Ms Patel: can you see her Thursday?').waitFor();
    // Only the Inbox: no Settings, Directory, Comms or Analytics.
    expect(await p.getByTestId('nav-inbox').count()).toBe(1);
    for (const nav of ['nav-settings', 'nav-directory', 'nav-comms', 'nav-analytics']) expect(await p.getByTestId(nav).count()).toBe(0);
    await p.getByTestId('composer-text').fill('Yes, Thursday at 10.');
    await p.getByTestId('send-button').click();
    await message(a, 'Yes, Thursday at 10.').waitFor();
    await a.reload();
    await a.getByTestId('participant').filter({ hasText: partner.name }).getByText('External').waitFor();
    if (shots) {
      await a.screenshot({ path: `${shots}/inbox-external-conversation.png` });
      await p.screenshot({ path: `${shots}/external-inbox.png` });
    }
  });
});
