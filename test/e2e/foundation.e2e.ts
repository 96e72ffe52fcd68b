import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, openAs, type RunningApp, startApp } from './harness';
import { createOrg, fillSignUp, followInviteEmail, invite, inviteRow, memberRow, person, signUp } from './steps';

let app: RunningApp;
let browser: Browser;

beforeAll(async () => {
  app = await startApp();
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await app?.close();
});

const text = (page: Page, testId: string) => page.getByTestId(testId).textContent();

describe('Foundation: accounts, organizations and roles in the browser', () => {
  it('an admin signs up, creates an org and invites a coworker, who signs up from the email and joins; the role change shows in the audit log', async () => {
    const orgName = 'Maple Street Pediatrics';
    const dana = person('Dana Admin');
    const sam = person('Sam Nurse');

    // Dana creates the organization.
    const { page: admin } = await openAs(browser, app);
    await signUp(admin, dana);
    await createOrg(admin, orgName);
    expect(await text(admin, 'org-name')).toBe(orgName);
    expect(await text(admin, 'my-role')).toBe('owner');

    // ...and invites Sam as a member.
    await invite(admin, sam.email, 'member');
    expect(await inviteRow(admin, sam.email).textContent()).toContain('Member');

    // Sam, in another browser profile, opens the invite email and follows its link.
    const { page: invitee } = await openAs(browser, app);
    await followInviteEmail(invitee, orgName, admin);
    expect(await text(invitee, 'invite-org')).toBe(orgName);
    expect(await text(invitee, 'invite-role')).toBe('a member');
    expect(await text(invitee, 'invite-summary')).toContain(dana.name);
    expect(await text(invitee, 'invite-email')).toBe(sam.email);

    // Signed out, Sam creates an account (the email comes prefilled) and is brought into the org.
    await invitee.getByTestId('invite-sign-up').click();
    await invitee.waitForURL('**/sign-up?**');
    expect(await invitee.inputValue('#email')).toBe(sam.email);
    await fillSignUp(invitee, sam);
    await invitee.waitForURL('**/settings/members');
    await memberRow(invitee, sam.email).waitFor();
    expect(await text(invitee, 'org-name')).toBe(orgName);

    // As a member, Sam has no Plan tab, and its address says why.
    await invitee.getByTestId('settings-tabs').waitFor();
    expect(await invitee.getByTestId('tab-plan').count()).toBe(0);
    expect(await invitee.getByTestId('tab-audit').count()).toBe(0);
    await invitee.goto('/settings/plan');
    expect(await text(invitee, 'admin-only')).toBe('Only administrators can see the Plan tab. Ask an admin in your organization.');

    // Dana's members list updated live (no reload): Sam is there, and the invite is no longer pending.
    const samRow = memberRow(admin, sam.email);
    await samRow.waitFor();
    await inviteRow(admin, sam.email).waitFor({ state: 'detached' });
    expect(await samRow.getByTestId('member-role-select').inputValue()).toBe('member');

    // Dana makes Sam an admin.
    await samRow.getByTestId('member-role-select').selectOption('admin');
    await admin.getByTestId('notice').filter({ hasText: `${sam.name} is now an admin` }).waitFor();

    // Sam's app follows live: the Plan tab appears without a reload.
    await invitee.getByTestId('tab-plan').waitFor();
    await invitee.getByTestId('tab-plan').click();
    await invitee.getByTestId('plan-tab').waitFor();

    // The audit log shows the invite and the role change, with who did them.
    await admin.getByTestId('tab-audit').click();
    await admin.getByTestId('audit-table').waitFor();
    const invited = admin.locator('[data-testid="audit-row"][data-action="member.invited"]');
    const roleChanged = admin.locator('[data-testid="audit-row"][data-action="member.role_changed"]');
    expect(await invited.textContent()).toContain(`Invited ${sam.email} as member`);
    expect(await invited.textContent()).toContain(dana.name);
    expect(await roleChanged.textContent()).toContain(`Changed ${sam.email} from member to admin`);
    expect(await roleChanged.textContent()).toContain(dana.name);

    // Filtering by action narrows the log to the role change.
    await admin.getByTestId('audit-filter-action').selectOption('member.role_changed');
    await expect.poll(() => admin.getByTestId('audit-row').count()).toBe(1);
    expect(await admin.getByTestId('audit-row').first().getAttribute('data-action')).toBe('member.role_changed');
  });

  it('a removed member is told at once and lands on Welcome', async () => {
    const orgName = 'Harbor Family Practice';
    const lee = person('Lee Owner');
    const kim = person('Kim Frontdesk');

    const { page: owner } = await openAs(browser, app);
    await signUp(owner, lee);
    await createOrg(owner, orgName);
    await invite(owner, kim.email);

    const { page: member } = await openAs(browser, app);
    await followInviteEmail(member, orgName, owner);
    await member.getByTestId('invite-sign-up').click();
    await fillSignUp(member, kim);
    await member.waitForURL('**/settings/members');
    await member.getByTestId('tab-teams').click();
    await member.getByTestId('teams-tab').waitFor();

    await memberRow(owner, kim.email).getByTestId('member-remove').click();
    await owner.getByTestId('confirm-button').click();
    await memberRow(owner, kim.email).waitFor({ state: 'detached' });

    await member.waitForURL('**/welcome');
    expect(await text(member, 'welcome-notice')).toBe(`You were removed from ${orgName}.`);
  });
});
