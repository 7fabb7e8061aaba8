// An Owner of an enterprise account invites an Admin and an Operator by email; each accepts
// from the email and sees the navigation of their role; the Owner removes the Operator, whose
// next click lands on the no-longer-a-member page.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { PORTAL_BIN, extractTokenLink, startStack, uniqueEmail } from './support.mjs';

const run = promisify(execFile);
const PASSWORD = 'a long enough sentence';

let stack;
before(async () => {
  stack = await startStack();
});
after(async () => {
  await stack?.stop();
});

/** Signs up, confirms through the emailed link and signs in, all in `page`. */
async function newOwner(page, gotoHydrated, company, email) {
  await gotoHydrated(page, '/sign-up');
  await page.getByLabel('Company name').fill(company);
  await page.locator('select[name=country]').selectOption('NG');
  await page.getByLabel('Your name').fill('Ngozi Owner');
  await page.getByLabel('Work email address').fill(email);
  await page.locator('input[name=password]').fill(PASSWORD);
  await page.locator('input[name=password_confirm]').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.waitForURL((url) => url.pathname === '/check-email');

  const message = await stack.mail.waitFor(email, { subject: 'Confirm your email address', details: () => stack.portalLog() });
  await page.goto(extractTokenLink(message.body, stack.baseUrl, '/confirm-email'));
  await page.getByText('Your email address is confirmed.').waitFor();

  await gotoHydrated(page, '/sign-in');
  await page.getByLabel('Email address').fill(email);
  await page.locator('input[name=password]').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('[data-testid=account-name]').waitFor();
}

/** Sends one invitation from the team page and waits for its row in the pending list. */
async function invite(page, email, role) {
  await page.getByLabel('Email addresses').fill(email);
  await page.getByLabel('Role', { exact: true }).selectOption({ label: role });
  await page.getByRole('button', { name: 'Send invitations' }).click();
  await page.locator(`[data-testid=invitation-row][data-email="${email}"]`).waitFor();
}

/** Opens the emailed invitation in a fresh browser context and creates the login. */
async function acceptAsNewPerson(email, name, role) {
  const guarded = await stack.newContext();
  const page = await guarded.context.newPage();
  const message = await stack.mail.waitFor(email, { subject: 'invited you to', details: () => stack.portalLog() });
  assert.match(message.body, new RegExp(`as an ${role}`));
  const link = extractTokenLink(message.body, stack.baseUrl, '/invitation');

  await guarded.gotoHydrated(page, link);
  assert.equal((await page.locator('[data-testid=invited-role]').textContent()).trim(), role);
  await page.getByLabel('Your name').fill(name);
  await page.locator('input[name=password]').fill(PASSWORD);
  await page.locator('input[name=password_confirm]').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create login and join' }).click();
  await page.waitForURL((url) => url.pathname === '/');
  await page.getByRole('heading', { name: `Welcome, ${name}` }).waitFor();
  return { ...guarded, page };
}

async function navLinks(page) {
  const nav = page.getByRole('navigation', { name: 'Portal areas' });
  await nav.waitFor();
  return (await nav.getByRole('link').allTextContents()).map((text) => text.trim());
}

test('owner invites an admin and an operator, then removes the operator', async () => {
  const owner = await stack.newContext();
  const page = await owner.context.newPage();
  await newOwner(page, owner.gotoHydrated, 'Lagos Credit Union', uniqueEmail('owner'));

  // The operator's CLI makes the account enterprise, which allows the Operator role.
  const env = { ...process.env, DATA_DIR: path.join(stack.workDir, 'data') };
  delete env.DATABASE_URL;
  const { stdout } = await run(PORTAL_BIN, ['partner', 'set-plan', '001', 'enterprise'], { env, cwd: stack.workDir });
  assert.match(stdout, /plan changed from standard to enterprise/);

  await owner.gotoHydrated(page, '/team');
  assert.deepEqual(await navLinks(page), ['Home', 'Team', 'Invite team members']);
  const adminEmail = uniqueEmail('admin');
  const operatorEmail = uniqueEmail('operator');
  await invite(page, adminEmail, 'Admin');
  await invite(page, operatorEmail, 'Operator');

  const admin = await acceptAsNewPerson(adminEmail, 'Adaeze Admin', 'Admin');
  assert.deepEqual(await navLinks(admin.page), ['Home', 'Team', 'Invite team members']);
  const operator = await acceptAsNewPerson(operatorEmail, 'Obi Operator', 'Operator');
  assert.deepEqual(await navLinks(operator.page), ['Home']);

  // The owner's team page now lists both as members and no pending invitation.
  await owner.gotoHydrated(page, '/team');
  const operatorRow = page.locator(`[data-testid=member-row][data-email="${operatorEmail}"]`);
  await operatorRow.waitFor();
  await page.locator(`[data-testid=member-row][data-email="${adminEmail}"]`).waitFor();
  assert.equal(await page.locator('[data-testid=invitation-row]').count(), 0);

  await operatorRow.getByText('Remove…').click();
  await operatorRow.getByRole('button', { name: 'Remove member' }).click();
  await operatorRow.waitFor({ state: 'detached' });

  // The operator's next click, in the tab they already had open.
  await operator.page.getByRole('navigation', { name: 'Portal areas' }).getByRole('link', { name: 'Home' }).click();
  await operator.page.locator('[data-testid=not-a-member]').waitFor();

  // The admin keeps working.
  await admin.gotoHydrated(admin.page, '/team');
  await admin.page.locator(`[data-testid=member-row][data-email="${adminEmail}"]`).waitFor();

  owner.assertClean();
  admin.assertClean();
  operator.assertClean();
  await Promise.all([owner.context.close(), admin.context.close(), operator.context.close()]);
});

test('second account: join, then switch from header', async () => {
  const alpha = await stack.newContext();
  const alphaPage = await alpha.context.newPage();
  await newOwner(alphaPage, alpha.gotoHydrated, 'Alpha Microfinance', uniqueEmail('alpha'));
  const beta = await stack.newContext();
  const betaPage = await beta.context.newPage();
  const betaEmail = uniqueEmail('beta');
  await newOwner(betaPage, beta.gotoHydrated, 'Beta Payments', betaEmail);
  const betaNumber = (await betaPage.locator('[data-testid=partner-id]').textContent()).trim();

  await alpha.gotoHydrated(alphaPage, '/team');
  await invite(alphaPage, betaEmail, 'Admin');
  const message = await stack.mail.waitFor(betaEmail, { subject: 'invited you to', details: () => stack.portalLog() });
  await beta.gotoHydrated(betaPage, extractTokenLink(message.body, stack.baseUrl, '/invitation'));
  await betaPage.getByRole('button', { name: 'Accept and join' }).click();
  await betaPage.waitForURL((url) => url.pathname === '/');
  await betaPage.locator('[data-testid=account-name]', { hasText: 'Alpha Microfinance' }).waitFor();

  await beta.waitForHydration(betaPage);
  await betaPage.locator('[data-testid=account-menu]').click();
  await betaPage.locator('[data-testid=switch-account]', { hasText: 'Beta Payments' }).click();
  await betaPage.locator('[data-testid=account-name]', { hasText: 'Beta Payments' }).waitFor();
  assert.equal((await betaPage.locator('[data-testid=partner-id]').textContent()).trim(), betaNumber);

  alpha.assertClean();
  beta.assertClean();
  await Promise.all([alpha.context.close(), beta.context.close()]);
});
