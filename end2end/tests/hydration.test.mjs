// Proves that the WASM loads under the page's Content Security Policy and takes over the
// server-rendered HTML: the password show/hide button works only after hydration.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startStack } from './support.mjs';

let stack;
before(async () => {
  stack = await startStack();
});
after(async () => {
  await stack?.stop();
});

for (const pagePath of ['/sign-in', '/sign-up']) {
  test(`${pagePath} hydrates without browser errors`, async () => {
    const { context, assertClean, waitForHydration } = await stack.newContext();
    const page = await context.newPage();
    const assets = [];
    page.on('response', (response) => {
      if (new URL(response.url()).pathname.startsWith('/pkg/')) assets.push(`${response.status()} ${response.url()}`);
    });

    const response = await page.goto(pagePath);
    assert.equal(response.status(), 200);
    assert.match(response.headers()['content-security-policy'] ?? '', /script-src 'self' 'nonce-[^']+' 'wasm-unsafe-eval'/);
    await waitForHydration(page);

    const input = page.locator('input[name=password]');
    const toggle = page.locator('[data-testid=toggle-password]');
    assert.equal(await input.getAttribute('type'), 'password');
    assert.equal((await toggle.textContent()).trim(), 'Show');

    await page.locator('input[name=password]').fill('visible words');
    await toggle.click();
    await page.locator('input[name=password][type=text]').waitFor();
    assert.equal(await input.inputValue(), 'visible words', 'the typed password was lost');
    assert.equal(await toggle.getAttribute('aria-pressed'), 'true');
    assert.equal((await toggle.textContent()).trim(), 'Hide');

    await toggle.click();
    await page.locator('input[name=password][type=password]').waitFor();

    for (const kind of ['.js', '_bg.wasm', '.css']) {
      assert.ok(
        assets.some((line) => line.startsWith('200 ') && line.endsWith(kind)),
        `no successful /pkg/…${kind} response; /pkg/ responses were:\n${assets.join('\n') || 'none'}`,
      );
    }
    assertClean();
    await context.close();
  });
}
