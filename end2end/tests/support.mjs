// What every browser test needs: a real SMTP server that stores mail as a Maildir, the release
// portal binary with a fresh SQLite database, and Chromium. Everything listens on 127.0.0.1
// only. Every wait is a poll with a deadline whose error names what did not happen.

import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const testsDir = path.dirname(fileURLToPath(import.meta.url));
const end2end = path.resolve(testsDir, '..');

export const PORTAL_BIN = path.resolve(end2end, process.env.PORTAL_BIN || '../target/release/portal');
export const SITE_ROOT = path.resolve(end2end, process.env.SITE_ROOT || '../target/site');
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const PYTHON = '/usr/bin/python3';

// Deadlines for a server to come up, an email to arrive and a page to hydrate, and the
// interval between two polls.
const STARTUP_MS = 30_000;
const EMAIL_MS = 15_000;
const HYDRATION_MS = 15_000;
const POLL_MS = 50;

/** Returns a TCP port on 127.0.0.1 that nothing listens on right now. */
export async function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Calls `probe` until it returns a value other than undefined, null or false, and returns that
 * value. Throws when `timeoutMs` passes first, with `what` and `details()` in the message.
 */
export async function pollUntil(what, probe, { timeoutMs = STARTUP_MS, intervalMs = POLL_MS, details } = {}) {
  const deadline = Date.now() + timeoutMs;
  let lastError;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== null && value !== false) return value;
    } catch (error) {
      if (error instanceof Fatal) throw error;
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const cause = lastError ? `\nlast error: ${lastError.message}` : '';
      const extra = details ? `\n${details()}` : '';
      throw new Error(`${what}: not done after ${timeoutMs} ms${cause}${extra}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** An error that stops `pollUntil` at once, such as a server process that exited. */
class Fatal extends Error {}

/** A child process whose output is kept so that a failure can show its last lines. */
class Child {
  constructor(name, command, args, options) {
    this.name = name;
    this.lines = [];
    this.exit = null;
    this.process = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    this.exited = new Promise((resolve) => {
      this.process.on('exit', (code, signal) => {
        this.exit = { code, signal };
        resolve(this.exit);
      });
      this.process.on('error', (error) => {
        this.lines.push(`could not start ${command}: ${error.message}`);
        this.exit = { code: null, signal: null, error };
        resolve(this.exit);
      });
    });
    for (const stream of [this.process.stdout, this.process.stderr]) {
      let partial = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk) => {
        const parts = (partial + chunk).split('\n');
        partial = parts.pop();
        this.lines.push(...parts);
      });
      stream.on('end', () => partial && this.lines.push(partial));
    }
  }

  /** Returns the last `count` lines the process printed, for error messages. */
  tail(count = 40) {
    const lines = this.lines.slice(-count);
    return `--- last ${lines.length} lines of the ${this.name} log ---\n${lines.join('\n')}`;
  }

  /** Throws when the process has exited, so that a poll stops waiting for it. */
  assertRunning() {
    if (this.exit) {
      const how = this.exit.signal ? `signal ${this.exit.signal}` : `code ${this.exit.code}`;
      throw new Fatal(`the ${this.name} exited early (${how})\n${this.tail()}`);
    }
  }

  /** Sends SIGTERM and returns the exit status. Throws if the process does not exit in time. */
  async stop(timeoutMs = 10_000) {
    if (!this.exit) this.process.kill('SIGTERM');
    let timer;
    const timeout = new Promise((resolve) => {
      timer = setTimeout(resolve, timeoutMs, 'timeout');
    });
    const result = await Promise.race([this.exited, timeout]);
    clearTimeout(timer);
    if (result === 'timeout') {
      this.process.kill('SIGKILL');
      await this.exited;
      throw new Error(`the ${this.name} did not exit within ${timeoutMs} ms of SIGTERM\n${this.tail()}`);
    }
    return result;
  }
}

/** Resolves true when something accepts TCP connections on 127.0.0.1:`port`. */
function portAccepts(port) {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Starts aiosmtpd with its Mailbox handler: each message it receives becomes a file in
 * `maildir`/new/.
 */
export async function startSmtp(workDir) {
  const port = await freePort();
  const maildir = path.join(workDir, 'maildir');
  const child = new Child('SMTP server', PYTHON, ['-m', 'aiosmtpd', '-n', '-l', `127.0.0.1:${port}`, '-c', 'aiosmtpd.handlers.Mailbox', maildir], {
    cwd: workDir,
    env: { ...process.env, PYTHONUNBUFFERED: '1' },
  });
  await pollUntil(
    `SMTP server (${PYTHON} -m aiosmtpd) on 127.0.0.1:${port}`,
    async () => {
      child.assertRunning();
      return portAccepts(port);
    },
    { details: () => child.tail() },
  );
  return { port, maildir, child, url: `smtp://127.0.0.1:${port}` };
}

/** Starts the portal binary on a free port with a fresh DATA_DIR and waits for /healthz. */
export async function startPortal(workDir, smtpUrl, extraEnv = {}) {
  if (!existsSync(PORTAL_BIN)) {
    throw new Error(`no portal binary at ${PORTAL_BIN}: run \`make build\`, or set PORTAL_BIN`);
  }
  if (!existsSync(path.join(SITE_ROOT, 'pkg', 'build-name.txt'))) {
    throw new Error(`no browser files in ${SITE_ROOT}: run scripts/build-site.sh, or set SITE_ROOT`);
  }

  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const env = { ...process.env };
  // A PostgreSQL URL from the caller's environment would make the tests share a database.
  delete env.DATABASE_URL;
  Object.assign(env, {
    LISTEN_ADDR: `127.0.0.1:${port}`,
    PUBLIC_URL: baseUrl,
    DATA_DIR: path.join(workDir, 'data'),
    SITE_ROOT,
    SMTP_URL: smtpUrl,
    LOG_FORMAT: 'text',
    // Plain text, so that log lines quoted in a failure message have no colour codes.
    NO_COLOR: '1',
    RUST_LOG: process.env.RUST_LOG || 'info,sqlx=warn',
    ...extraEnv,
  });

  // The portal reads .env from its working folder or a parent of it. Running it in the
  // temporary folder keeps a developer's .env in the repository out of the tests.
  const child = new Child('portal', PORTAL_BIN, ['serve'], { cwd: workDir, env });
  await pollUntil(
    `portal at ${baseUrl}/healthz`,
    async () => {
      child.assertRunning();
      const response = await fetch(`${baseUrl}/healthz`);
      const body = await response.text();
      if (response.status !== 200 || body.trim() !== 'ok') {
        throw new Error(`GET /healthz returned ${response.status} ${JSON.stringify(body.slice(0, 200))}`);
      }
      return true;
    },
    { details: () => child.tail() },
  );
  return { port, baseUrl, child };
}

/** Launches Debian's Chromium headless with a profile of its own. */
export async function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/**
 * Starts an SMTP server, the portal and Chromium in a fresh temporary folder. Call `stop()`
 * at the end: it closes the browser, sends SIGTERM to both servers, checks that the portal
 * exited cleanly and removes the folder.
 */
export async function startStack() {
  const workDir = await mkdtemp(path.join(os.tmpdir(), 'portal-e2e-'));
  const started = [];
  try {
    const smtp = await startSmtp(workDir);
    started.push(smtp.child);
    const portal = await startPortal(workDir, smtp.url);
    started.push(portal.child);
    const browser = await launchBrowser();
    const mail = new MailReader(smtp.maildir);
    return {
      workDir,
      smtp,
      portal,
      browser,
      baseUrl: portal.baseUrl,
      mail,
      /** The portal's log so far, for assertion messages. */
      portalLog: (count) => portal.child.tail(count),
      newContext: (options) => newGuardedContext(browser, portal.baseUrl, options),
      async stop() {
        await stopAll(browser, smtp.child, portal.child, workDir);
      },
    };
  } catch (error) {
    await Promise.allSettled(started.map((child) => child.stop()));
    await rm(workDir, { recursive: true, force: true });
    throw error;
  }
}

async function stopAll(browser, smtpChild, portalChild, workDir) {
  const problems = [];
  try {
    await browser.close();
  } catch (error) {
    problems.push(`closing Chromium failed: ${error.message}`);
  }
  // The portal logs at ERROR level only for faults on its side, which no test expects.
  const errors = portalChild.tail(100000).split('\n').filter((line) => / ERROR /.test(line));
  if (errors.length > 0) {
    problems.push(`the portal logged ${errors.length} error(s):\n${errors.slice(0, 10).join('\n')}`);
  }
  try {
    const exit = await portalChild.stop();
    if (exit.code !== 0) {
      problems.push(`the portal exited with ${exit.signal ? `signal ${exit.signal}` : `code ${exit.code}`} after SIGTERM\n${portalChild.tail()}`);
    }
  } catch (error) {
    problems.push(error.message);
  }
  try {
    await smtpChild.stop();
  } catch (error) {
    problems.push(error.message);
  }
  if (problems.length === 0) {
    await rm(workDir, { recursive: true, force: true });
  } else {
    throw new Error(`${problems.join('\n')}\n(files kept in ${workDir})`);
  }
}

/**
 * Creates a browser context that records what a clean page never produces: console errors,
 * uncaught exceptions, failed requests and requests to any origin but the portal's (these are
 * blocked). `problems()` lists them, and `assertClean()` fails the test when there are any.
 */
async function newGuardedContext(browser, baseUrl, options = {}) {
  const context = await browser.newContext({ baseURL: baseUrl, ...options });
  const origin = new URL(baseUrl).origin;
  const problems = [];
  await context.route(
    (url) => url.origin !== origin,
    (route) => {
      problems.push(`request to another origin blocked: ${route.request().url()}`);
      return route.abort('blockedbyclient');
    },
  );
  const watch = (page) => {
    page.on('console', (message) => {
      if (message.type() === 'error') {
        const where = message.location()?.url;
        problems.push(`console error on ${page.url()}: ${message.text()}${where ? ` (at ${where})` : ''}`);
      }
    });
    page.on('pageerror', (error) => problems.push(`uncaught exception on ${page.url()}: ${error.message}`));
    page.on('requestfailed', (request) => {
      problems.push(`request failed: ${request.method()} ${request.url()}: ${request.failure()?.errorText}`);
    });
  };
  context.pages().forEach(watch);
  context.on('page', watch);

  // Waits until the WASM has hydrated the page (`<body data-hydrated>`). On a timeout the
  // error lists what the browser reported, such as a missing WASM file.
  const waitForHydration = async (page) => {
    try {
      await page.locator('body[data-hydrated="true"]').waitFor({ state: 'attached', timeout: HYDRATION_MS });
    } catch (error) {
      const reported = problems.length ? problems.join('\n') : 'nothing';
      const mismatch = problems.some((problem) => problem.includes('/hydration.rs:'))
        ? '\nA panic in tachys/src/hydration.rs means the HTML from the server is not what the WASM expects. ' +
          `Either ${SITE_ROOT} was built from other sources than ${PORTAL_BIN} (rebuild both), ` +
          'or the page renders differently on the server and in the browser.'
        : '';
      throw new Error(`${page.url()} did not hydrate: ${error.message}\nthe browser reported:\n${reported}${mismatch}`);
    }
  };
  // Opens `target` and waits until the WASM has hydrated the page.
  const gotoHydrated = async (page, target) => {
    const response = await page.goto(target);
    await waitForHydration(page);
    return response;
  };
  return {
    context,
    problems: () => [...problems],
    waitForHydration,
    gotoHydrated,
    /** Fails when anything was recorded, except entries that match one of `allowed`. */
    assertClean(allowed = []) {
      const left = problems.filter((problem) => !allowed.some((pattern) => pattern.test(problem)));
      if (left.length > 0) {
        throw new Error(`the browser reported ${left.length} problem(s):\n${left.join('\n')}`);
      }
    },
  };
}

/** Reads the messages that the SMTP server stored in its Maildir. */
export class MailReader {
  constructor(maildir) {
    this.maildir = maildir;
    this.returned = new Set();
  }

  async messages() {
    const folder = path.join(this.maildir, 'new');
    let names;
    try {
      names = (await readdir(folder)).sort();
    } catch (error) {
      if (error.code === 'ENOENT') return [];
      throw error;
    }
    const messages = [];
    for (const name of names) {
      const raw = await readFile(path.join(folder, name), 'utf8');
      messages.push({ file: name, ...parseMessage(raw) });
    }
    return messages;
  }

  /**
   * Waits for a message to `address` that this reader has not returned before (and whose
   * subject contains `subject`, when given) and returns it as { to, subject, body }.
   */
  async waitFor(address, { subject, timeoutMs = EMAIL_MS, details } = {}) {
    const expectedAddress = address.toLowerCase();
    let seen = [];
    const message = await pollUntil(
      `email to ${address}${subject ? ` with subject "${subject}"` : ''} in ${this.maildir}/new`,
      async () => {
        const all = await this.messages();
        seen = all.map((m) => `${m.file}: to ${m.to}, "${m.subject}"`);
        return all.find(
          (m) => !this.returned.has(m.file) && m.to.toLowerCase().includes(expectedAddress) && (!subject || m.subject.includes(subject)),
        );
      },
      {
        timeoutMs,
        details: () => `messages in the Maildir: ${seen.length ? `\n${seen.join('\n')}` : 'none'}${details ? `\n${details()}` : ''}`,
      },
    );
    this.returned.add(message.file);
    return message;
  }
}

/** Splits a stored message into headers and a decoded plain-text body. */
export function parseMessage(raw) {
  const text = raw.replace(/\r\n/g, '\n');
  const split = text.indexOf('\n\n');
  const head = split === -1 ? text : text.slice(0, split);
  const body = split === -1 ? '' : text.slice(split + 2);
  const headers = new Map();
  for (const line of head.replace(/\n[ \t]+/g, ' ').split('\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  const encoding = (headers.get('content-transfer-encoding') || '7bit').toLowerCase();
  return {
    to: headers.get('to') || '',
    subject: decodeHeader(headers.get('subject') || ''),
    headers,
    body: decodeBody(body, encoding),
  };
}

/** Decodes a transfer-encoded body: quoted-printable, base64, or as it is. */
export function decodeBody(body, encoding) {
  if (encoding === 'quoted-printable') return decodeQuotedPrintable(body);
  if (encoding === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  return body;
}

/** Removes soft line breaks (`=` at a line's end) and turns `=XX` into bytes, read as UTF-8. */
export function decodeQuotedPrintable(text) {
  const joined = text.replace(/=\r?\n/g, '');
  const bytes = [];
  for (let i = 0; i < joined.length; i++) {
    const hex = joined.slice(i + 1, i + 3);
    if (joined[i] === '=' && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(joined[i], 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** Decodes RFC 2047 encoded words such as =?utf-8?b?...?= in a header. */
function decodeHeader(value) {
  return value.replace(/=\?([^?]+)\?([bBqQ])\?([^?]*)\?=\s*/g, (_, _charset, kind, data) =>
    kind.toLowerCase() === 'b'
      ? Buffer.from(data, 'base64').toString('utf8')
      : decodeQuotedPrintable(data.replace(/_/g, ' ')),
  );
}

/**
 * Returns the link in `body` to `pathname` on the portal at `baseUrl` with a 64-hex-digit
 * token, such as http://127.0.0.1:4000/confirm-email?token=ab12…. Throws if there is none.
 */
export function extractTokenLink(body, baseUrl, pathname) {
  const escaped = `${baseUrl}${pathname}`.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  const match = body.match(new RegExp(`${escaped}\\?token=[0-9a-f]{64}(?![0-9a-zA-Z])`));
  if (!match) {
    throw new Error(`no ${baseUrl}${pathname}?token=<64 hex digits> link in the email body:\n${body}`);
  }
  return match[0];
}

/** Returns an email address that no other test in this run uses. */
let counter = 0;
export function uniqueEmail(label) {
  counter += 1;
  return `${label}-${process.pid}-${counter}@example.com`;
}
