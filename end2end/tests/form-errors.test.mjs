// With JavaScript on, a rejected form shows each message beside its field and keeps what the
// person typed.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, uniqueEmail } from './support.mjs';

let stack;
before(async () => {
  stack = await startStack();
});
after(async () => {
  await stack?.stop();
});

// Chromium logs every 4xx response to fetch() as a console error. These are the expected ones.
const expectedRejection = (endpoint, status) =>
  new RegExp(`^console error on .*status of ${status}\\b.*\\(at http://127\\.0\\.0\\.1:\\d+/api/${endpoint}\\)$`);

test('sign-up rejects a short password', async () => {
  const { context, assertClean, gotoHydrated } = await stack.newContext();
  const page = await context.newPage();
  const email = uniqueEmail('short');

  await gotoHydrated(page, '/sign-up');
  await page.getByLabel('Company name').fill('Rift Valley Credit');
  await page.locator('select[name=country]').selectOption('KE');
  await page.getByLabel('Your name').fill('Wanjiru Kamau');
  await page.getByLabel('Work email address').fill(email);
  await page.locator('input[name=password]').fill('too short');
  await page.locator('input[name=password_confirm]').fill('too short');
  await page.getByRole('button', { name: 'Create account' }).click();

  const message = page.locator('#field-password-message');
  await page.locator('#field-password-message:has-text("Use at least 12 characters.")').waitFor();
  assert.equal((await message.textContent()).trim(), 'Use at least 12 characters.');
  assert.equal(await page.locator('input[name=password]').getAttribute('aria-invalid'), 'true');
  assert.equal(await page.locator('input[name=password]').getAttribute('aria-describedby'), 'field-password-message');
  for (const other of ['company', 'country', 'name', 'email']) {
    assert.equal((await page.locator(`#field-${other}-message`).textContent()).trim(), '', `unexpected message for ${other}`);
  }

  assert.equal(new URL(page.url()).pathname, '/sign-up');
  assert.equal(await page.getByLabel('Company name').inputValue(), 'Rift Valley Credit');
  assert.equal(await page.locator('select[name=country]').inputValue(), 'KE');
  assert.equal(await page.getByLabel('Your name').inputValue(), 'Wanjiru Kamau');
  assert.equal(await page.getByLabel('Work email address').inputValue(), email);

  assertClean([expectedRejection('sign_up', 422)]);
  await context.close();
});

test('sign-in rejects a wrong password', async () => {
  const { context, assertClean, gotoHydrated } = await stack.newContext();
  const page = await context.newPage();
  const email = uniqueEmail('nobody');

  await gotoHydrated(page, '/sign-in');
  await page.getByLabel('Email address').fill(email);
  await page.locator('input[name=password]').fill('whatever it may be');
  await page.getByRole('button', { name: 'Sign in' }).click();

  const alert = page.getByRole('alert');
  await alert.waitFor();
  assert.equal((await alert.textContent()).trim(), 'The email address or password is incorrect.');
  assert.equal(new URL(page.url()).pathname, '/sign-in');
  assert.equal(await page.getByLabel('Email address').inputValue(), email);

  assertClean([expectedRejection('sign_in', 401)]);
  await context.close();
});
