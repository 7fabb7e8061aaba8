// With JavaScript on, a new Owner signs up, confirms the address through the emailed link,
// signs in to the portal shell and signs out.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { extractTokenLink, startStack, uniqueEmail } from './support.mjs';

let stack;
before(async () => {
  stack = await startStack();
});
after(async () => {
  await stack?.stop();
});

test('new owner from sign-up to sign-out', async () => {
  const { context, assertClean, gotoHydrated } = await stack.newContext();
  const page = await context.newPage();
  const company = 'Savannah Lending Ltd';
  const email = uniqueEmail('owner');
  const password = 'a long enough sentence';

  await gotoHydrated(page, '/sign-up');
  await page.getByLabel('Company name').fill(company);
  await page.locator('select[name=country]').selectOption('KE');
  await page.getByLabel('Your name').fill('Amina Otieno');
  await page.getByLabel('Work email address').fill(email);
  await page.locator('input[name=password]').fill(password);
  await page.locator('input[name=password_confirm]').fill(password);
  await page.getByRole('button', { name: 'Create account' }).click();

  await page.waitForURL((url) => url.pathname === '/check-email');
  await page.getByRole('heading', { name: 'Check your email' }).waitFor();

  const message = await stack.mail.waitFor(email, { subject: 'Confirm your email address', details: () => stack.portalLog() });
  assert.match(message.body, /Hello Amina Otieno,/);
  const link = extractTokenLink(message.body, stack.baseUrl, '/confirm-email');

  await page.goto(link);
  await page.getByRole('heading', { name: 'Confirm your email address' }).waitFor();
  await page.getByText('Your email address is confirmed.').waitFor();

  await gotoHydrated(page, '/sign-in');
  await page.getByLabel('Email address').fill(email);
  await page.locator('input[name=password]').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();

  await page.waitForURL((url) => url.pathname === '/');
  const accountName = page.locator('[data-testid=account-name]');
  await accountName.waitFor();
  assert.equal((await accountName.textContent()).trim(), company);
  assert.equal((await page.locator('[data-testid=partner-id]').textContent()).replace(/\s+/g, ' ').trim(), 'Partner ID 001');
  const nav = page.getByRole('navigation', { name: 'Portal areas' });
  await nav.waitFor();
  assert.equal(await nav.getByRole('link', { name: 'Home' }).getAttribute('href'), '/');
  await page.getByRole('heading', { name: 'Welcome, Amina Otieno' }).waitFor();

  await page.locator('[data-testid=account-menu]').click();
  await page.locator('[data-testid=sign-out]').click();
  await page.waitForURL((url) => url.pathname === '/sign-in');
  await page.getByText('You are signed out.').waitFor();

  await page.goto('/');
  await page.waitForURL((url) => url.pathname === '/sign-in');
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  assert.equal(await page.locator('[data-testid=account-name]').count(), 0, 'the shell is still shown after signing out');

  assertClean();
  await context.close();
});
