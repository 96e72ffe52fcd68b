import type { Browser } from 'playwright-core';
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

const PHONE = '+13125554879';
/** PORTAL_SCREENSHOTS=<dir>: also save the thread with files, the recalled message and the portal there. */
const shots = process.env.PORTAL_SCREENSHOTS;


describe('Secure Chat with files, in the browser', () => {
  it('Inbox: attach an image (a wrong type refused), send secure -> the patient sees and downloads it -> the sender recalls it -> the portal says recalled, the link dies -> the owner retrieves it', async () => {
    const { page: staff } = await openAs(browser, app);
    await signUp(staff, person('Dana Reyes'));
    await createOrg(staff, 'Harbor Clinic');
    await upgradeToSms(staff);
    await createTeam(staff, 'Front Desk');
    await pickPhoneNumber(staff, '415', 'Front Desk');
    await trpc(staff, 'orgs.updatePolicies', { secureLinkExpiryHours: 72, quietHoursEnabled: false, quietHoursStart: '20:00', quietHoursEnd: '08:00', smsAllowed: true, externalChatAllowed: false });
    const patient = await trpc<{ id: string }>(staff, 'patients.create', { firstName: 'Lena', lastName: 'Ortiz', phone: PHONE, dob: '1982-09-21' });
    const team = await app.server.db.prisma.team.findFirstOrThrow({ where: { name: 'Front Desk', org: { name: 'Harbor Clinic' } } });
    const { conversationId } = await trpc<{ conversationId: string }>(staff, 'conversations.startSms', { teamId: team.id, patientId: patient.id });

    // A real picture to send: a screenshot of a colored box (any PNG's bytes would do).
    const scratch = await browser.newPage();
    await scratch.setContent('<div id="x" style="width:160px;height:120px;background:linear-gradient(135deg,#0ea5e9,#22c55e)"></div>');
    const image = await scratch.locator('#x').screenshot();
    await scratch.close();

    await staff.goto(`/inbox/${conversationId}`);
    await staff.getByTestId('composer-channel-secure').click();
    await staff.getByTestId('attach-button').waitFor();
    await staff.getByTestId('attach-input').setInputFiles([
      { name: 'wound-photo.png', mimeType: 'image/png', buffer: image },
      { name: 'notes.pdf', mimeType: 'application/pdf', buffer: Buffer.from('<html><script>alert(1)</script></html>') },
    ]);
    const refused = staff.getByTestId('draft-file').filter({ hasText: 'notes.pdf' });
    await refused.getByTestId('draft-file-error').waitFor();
    expect(await refused.getByTestId('draft-file-error').textContent()).toMatch(/not a type CareText accepts/);
    await staff.getByTestId('draft-file').filter({ hasText: 'wound-photo.png' }).and(staff.locator('[data-status="ready"]')).waitFor();
    await staff.getByTestId('composer-text').fill('Here is the photo from today; the wound is healing well.');
    if (shots) await staff.getByTestId('composer').screenshot({ path: `${shots}/inbox-attach-drafts.png` });
    await refused.getByTestId('draft-file-remove').click();
    expect(await staff.getByTestId('draft-file').count()).toBe(1);
    await staff.getByTestId('send-button').click();
    const mine = staff.getByTestId('message').filter({ hasText: 'the wound is healing well' });
    const thumb = mine.getByTestId('file-thumb').locator('img');
    await thumb.waitFor();
    await expect.poll(() => thumb.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBeGreaterThan(0);
    expect(await staff.getByTestId('draft-file').count()).toBe(0);
    if (shots) await staff.screenshot({ path: `${shots}/inbox-secure-files.png` });

    // The patient's phone: the link from the simulated SMS (which carries no file), in a fresh profile.
    let link: string | null = null;
    for (let i = 0; i < 200 && !link; i++) {
      await app.server.simulator!.settle();
      const text = app.server.simulator!.messages().find((m) => m.to === PHONE && m.body.includes('/p/'));
      link = text ? /(https?:\/\/\S+\/p\/[A-Za-z0-9_-]+)/.exec(text.body)![1]! : null;
      if (!link) await new Promise((r) => setTimeout(r, 50));
    }
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    const p = await phone.newPage();
    await p.goto(link!);
    await p.getByTestId('dob-month').selectOption('9');
    await p.getByTestId('dob-day').fill('21');
    await p.getByTestId('dob-year').fill('1982');
    await p.getByTestId('dob-submit').click();
    const file = p.getByTestId('portal-file').filter({ hasText: 'wound-photo.png' });
    await file.locator('img').waitFor();
    if (shots) await p.screenshot({ path: `${shots}/portal-files.png`, fullPage: true });
    // Download: the link opens the image's bytes, the same as sent.
    const [response] = await Promise.all([p.waitForResponse((r) => r.url().includes('/api/attachments/')  && r.request().resourceType() === 'document'), file.getByTestId('portal-file-link').click()]);
    expect(response.status()).toBe(200);
    expect(Buffer.from(await response.body()).equals(image)).toBe(true);
    const downloadUrl = response.url();
    await p.goBack();
    await p.getByTestId('portal-conversation').waitFor();

    // The sender recalls it from the thread.
    await mine.getByTestId('recall-message').click();
    await staff.getByTestId('recall-confirm').click();
    const recalled = staff.locator('[data-testid="message"][data-recalled="true"]');
    await recalled.getByTestId('message-recalled').waitFor();
    expect(await staff.getByText('the wound is healing well').count()).toBe(0);

    // The open portal page, without a reload (its version poll): "Message recalled", no file;
    // the earlier download link is dead.
    await p.getByTestId('portal-recalled').waitFor();
    expect(await p.getByTestId('portal-file').count()).toBe(0);
    expect(await p.content()).not.toContain('healing well');
    expect((await p.request.get(downloadUrl)).status()).toBe(410);
    await phone.close();

    // The owner (an admin on the team) retrieves it; recorded in the audit log.
    await recalled.getByTestId('retrieve-recalled').click();
    await staff.getByTestId('retrieved-body').waitFor();
    expect(await staff.getByTestId('retrieved-body').textContent()).toContain('the wound is healing well');
    expect(await staff.getByTestId('retrieved-file').textContent()).toBe('wound-photo.png');
    if (shots) await staff.screenshot({ path: `${shots}/inbox-recalled.png` });
    const org = await app.server.db.prisma.org.findFirstOrThrow({ where: { name: 'Harbor Clinic' } });
    expect(await app.server.db.prisma.auditEvent.count({ where: { orgId: org.id, action: { in: ['message.recalled', 'recall.retrieved'] } } })).toBe(2);
  }, 240_000);
});
