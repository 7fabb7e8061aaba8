// The signed-out pages and the forms work as plain HTML when the browser runs no JavaScript.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { extractTokenLink, startStack, uniqueEmail } from './support.mjs';

let stack;
let context;
before(async () => {
  stack = await startStack();
  ({ context } = await stack.newContext({ javaScriptEnabled: false }));
});
after(async () => {
  await context?.close();
  await stack?.stop();
});

/** Returns the visible text of the element, with runs of white space made single. */
async function textOf(locator) {
  return (await locator.innerText()).replace(/\s+/g, ' ').trim();
}

const pages = [
  {
    path: '/sign-in',
    heading: 'Sign in',
    labels: ['Email address', 'Password'],
    button: 'Sign in',
  },
  {
    path: '/sign-up',
    heading: 'Create a partner account',
    labels: ['Company name', 'Country', 'Your name', 'Work email address', 'Password', 'Repeat the password'],
    button: 'Create account',
  },
  {
    path: '/forgot-password',
    heading: 'Reset your password',
    labels: ['Email address'],
    button: 'Send reset link',
  },
];

for (const expected of pages) {
  test(`${expected.path} renders without JavaScript`, async () => {
    const page = await context.newPage();
    const response = await page.goto(expected.path);
    assert.equal(response.status(), 200);
    assert.equal(await textOf(page.locator('h1')), expected.heading);
    const labels = await page.locator('form label').allInnerTexts();
    assert.deepEqual(
      labels.map((label) => label.trim()),
      expected.labels,
    );
    for (const label of expected.labels) {
      // Each label names a control the person can fill in.
      assert.equal(await page.getByLabel(label, { exact: true }).count(), 1, `no control for the label "${label}"`);
    }
    await page.getByRole('button', { name: expected.button }).waitFor();
    assert.equal(await page.locator('body[data-hydrated]').count(), 0, 'the page hydrated with JavaScript off');
    await page.close();
  });
}

test('sign-up and sign-in without JavaScript', async () => {
  const page = await context.newPage();
  const company = 'Kilimanjaro Payments';
  const email = uniqueEmail('nojs');
  const password = 'plain html forms still work';

  await page.goto('/sign-up');
  await page.getByLabel('Company name').fill(company);
  await page.getByLabel('Country').selectOption('KE');
  await page.getByLabel('Your name').fill('Baraka Mwangi');
  await page.getByLabel('Work email address').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByLabel('Repeat the password').fill(password);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.waitForURL((url) => url.pathname === '/check-email');
  assert.equal(await textOf(page.locator('h1')), 'Check your email');

  const message = await stack.mail.waitFor(email, { subject: 'Confirm your email address', details: () => stack.portalLog() });
  await page.goto(extractTokenLink(message.body, stack.baseUrl, '/confirm-email'));
  await page.getByText('Your email address is confirmed.').waitFor();

  await page.goto('/sign-in');
  await page.getByLabel('Email address').fill(email);
  await page.getByLabel('Password', { exact: true }).fill('not the password at all');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((url) => url.pathname === '/sign-in' && url.searchParams.has('__err'));
  assert.equal(await textOf(page.getByRole('alert')), 'The email address or password is incorrect.');
  assert.equal(await textOf(page.locator('h1')), 'Sign in');

  await page.getByLabel('Email address').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((url) => url.pathname === '/');
  assert.equal(await textOf(page.locator('[data-testid=account-name]')), company);
  assert.equal(await textOf(page.locator('[data-testid=partner-id]')), 'Partner ID 001');
  await page.close();
});
