/**
 * The web console (/console) in a real headless browser (Debian's chromium driven by puppeteer-core) against the
 * real bridge process, with SIPp as the carrier:
 *  - sign in with an admin key; a bot and an inbound trunk with a number are created through the forms, and the
 *    API then has them; a SIPp call to that number is answered by that bot;
 *  - a SIPp call that speaks (g711a.pcap) appears in Live calls, which follows GET /v1/events, with its codec and
 *    two level meters (role="meter") whose values move; a transfer the bridge refuses shows its answer by the
 *    field; the call is hung up from its row: SIPp sees the BYE;
 *  - a bad CIDR shows the API's own message next to the "allow" field, and nothing is stored;
 *  - a test call from the Test call page (POST /v1/test-calls, run in the bridge) reaches the echo bot through the
 *    trunk the forms made (digest user and all): each step shows as it streams, then PASS; a bad URI's 400 shows
 *    next to the URI field;
 *  - "Check this bot" on the bots page runs bot-check on the bridge (POST /v1/bot-checks) against a Twilio echo
 *    bot in this test: its steps show, then PASS;
 *  - a `read` key sees every page but no New / Edit / Delete / Save / Run / Check button;
 *  - each page is saved as a screenshot under docs/console/ (shown in the README) when UPDATE_SCREENSHOTS=1, so an
 *    ordinary run leaves the tree clean; otherwise the shots go to a temp folder (still taken: a page that cannot render fails).
 */
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { BridgeProcess } from './harness/bridge-process.js';
import { describeSipp, runSipp } from './harness/sipp.js';
import { RtpListener } from './harness/rtp-listener.js';
import { testConfig } from './harness/config.js';
import { reservePorts } from '../helpers/ports.js';
import { waitFor } from '../helpers/wait-for.js';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
const SHOTS = process.env.UPDATE_SCREENSHOTS === '1' ? fileURLToPath(new URL('../../docs/console/', import.meta.url)) : mkdtempSync(join(tmpdir(), 'tb-console-shots-'));
const KEYS = { read: 'console-read-key-0123456', admin: 'console-admin-key-012345' } as const;
const NUMBER = '+15550199';
/** On the YAML's own trunk (carrier-a, source 127.0.0.2, no digest), so SIPp's waiting-for-BYE scenario needs no auth. */
const LIVE_NUMBER = '+15550177';

let bridge: BridgeProcess;
let listener: RtpListener;
let browser: Browser;
let page: Page;
/** Script errors and Content-Security-Policy refusals the page reported (API answers like 401 are expected). */
const pageProblems: string[] = [];
const base = (): string => `http://127.0.0.1:${bridge.metricsPort}`;

async function api(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${base()}${path}`, {
    method,
    headers: { Authorization: `Bearer ${KEYS.admin}`, 'Content-Type': 'application/json' },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

/** Clicks the first button whose text is `text` once it is there. */
async function clickButton(text: string): Promise<void> {
  await page.waitForFunction((t) => [...document.querySelectorAll('button')].some((b) => b.textContent?.trim() === t && !b.disabled), { timeout: 10_000 }, text);
  await page.evaluate((t) => [...document.querySelectorAll('button')].find((b) => b.textContent?.trim() === t)!.click(), text);
}

/** Types into a control once it is there (forms open after their data loads). */
async function type(selector: string, text: string): Promise<void> {
  await page.waitForSelector(selector, { timeout: 10_000 });
  await page.type(selector, text);
}

async function select(selector: string, value: string): Promise<void> {
  await page.waitForSelector(selector, { timeout: 10_000 });
  await page.select(selector, value);
}

/** Waits for the form's answer: the "Saved" notice, else fails with the error the page shows. */
async function saved(name: string): Promise<void> {
  await page.waitForFunction(() => document.querySelector('[role="status"], [role="alert"]') !== null, { timeout: 10_000 });
  const said = await page.$$eval('[role="status"], [role="alert"]', (es) => es.map((e) => e.textContent ?? '').join(' | '));
  expect(said).toContain(`Saved ${name}.`);
}

async function textOf(selector: string): Promise<string> {
  await page.waitForSelector(selector, { timeout: 10_000 });
  return page.$eval(selector, (e) => e.textContent ?? '');
}

async function go(hash: string, title: string): Promise<void> {
  await page.goto(`${base()}/console/${hash}`);
  // A goto to the URL already shown changes nothing: reload so each test starts from the page as loaded.
  await page.reload();
  await page.waitForFunction((t) => document.querySelector('#page-title')?.textContent === t, { timeout: 10_000 }, title);
}

async function signIn(key: string): Promise<void> {
  await page.goto(`${base()}/console/`);
  await page.evaluate(() => sessionStorage.clear());
  await page.reload();
  await page.waitForSelector('#api-key');
  await type('#api-key', key);
  await clickButton('Sign in');
  await page.waitForSelector('header .who');
}

/** A Twilio Media Streams bot that echoes each second of caller audio back with a mark after it (as bot-check.test.ts's). */
function twilioEchoBot(ws: WebSocket): void {
  let streamSid = '';
  let heard: Buffer[] = [];
  let answers = 0;
  ws.on('message', (data) => {
    const msg = JSON.parse(String(data)) as { event: string; start?: { streamSid: string }; media?: { payload: string } };
    if (msg.event === 'start') streamSid = msg.start!.streamSid;
    if (msg.event !== 'media') return;
    heard.push(Buffer.from(msg.media!.payload, 'base64'));
    if (heard.length < 50) return;
    const all = Buffer.concat(heard);
    heard = [];
    for (let i = 0; i < all.length; i += 320) ws.send(JSON.stringify({ event: 'media', streamSid, media: { payload: all.subarray(i, i + 320).toString('base64') } }));
    ws.send(JSON.stringify({ event: 'mark', streamSid, mark: { name: `answer-${++answers}` } }));
  });
}

const shot = (name: string): Promise<unknown> => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  const rtpBase = await reservePorts(10);
  listener = await RtpListener.start();
  const dataDir = join(mkdtempSync(join(tmpdir(), 'tb-console-')), 'data');
  // The YAML's own trunk takes another source, so the trunk the console creates owns 127.0.0.1's calls.
  const yaml = `${testConfig({ rtpPortMin: rtpBase, rtpPortMax: rtpBase + 9, allow: ['127.0.0.2'], bots: { echo: '{ builtin: echo }' }, numbers: { [LIVE_NUMBER]: 'echo' }, extraMedia: '  workers: 0' })}api:
  keys:
    - { name: viewer, role: read, key: ${KEYS.read} }
    - { name: root, role: admin, key: ${KEYS.admin} }
dataDir: ${dataDir}
`;
  bridge = new BridgeProcess(yaml);
  await bridge.start();
  if (!CHROMIUM) throw new Error('chromium is missing: run scripts/install-test-deps.sh');
  browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    // Root in a container has no user namespace sandbox; the page is our own, served from loopback.
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', '--disable-background-networking', '--disable-component-update'],
  });
  page = await browser.newPage();
  page.on('pageerror', (err) => pageProblems.push(`page error: ${String(err)}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy|Refused to/i.test(m.text())) pageProblems.push(`console: ${m.text()}`);
  });
  await page.setViewport({ width: 1280, height: 860 });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await bridge?.stop();
  listener?.close();
});

describe('web console', () => {
  it('serves the page and its bundle from the package, same-origin only', async () => {
    const res = await fetch(`${base()}/console/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
    const html = await res.text();
    expect(html).toContain('src="app.js"');
    const js = await fetch(`${base()}/console/app.js`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toContain('text/javascript');
    expect((await fetch(`${base()}/console/nope.js`)).status).toBe(404);
  });

  it('signs in with an admin key and shows the role', async () => {
    await page.goto(`${base()}/console/`);
    await page.waitForSelector('#api-key');
    await shot('sign-in');
    await page.type('#api-key', 'not-a-key-of-this-bridge');
    await clickButton('Sign in');
    expect(await textOf('#api-key-err')).toContain('not known');
    // By keyboard: the key field, then Enter submits the form.
    await page.$eval('#api-key', (e) => ((e as HTMLInputElement).value = ''));
    await page.reload();
    await type('#api-key', KEYS.admin);
    await page.keyboard.press('Enter');
    expect(await textOf('header .who')).toContain('root (role admin)');
  });

  it('creates a bot and an inbound trunk with a number through the forms; a SIPp call to it is answered', async () => {
    await go('#/bots', 'Bots');
    await clickButton('New');
    await type('#f-name', 'console-echo');
    await select('#f-builtin', 'echo');
    await clickButton('Save');
    await saved('console-echo');
    expect((await api('GET', '/v1/bots/console-echo')).body).toMatchObject({ name: 'console-echo', builtin: 'echo' });
    await shot('bots');

    await go('#/inbound', 'Inbound trunks');
    await clickButton('New');
    await type('#f-name', 'console-trunk');
    await type('#f-allow', '127.0.0.1/32');
    await type('#f-digestAlgorithms', 'MD5\nSHA-256');
    await clickButton('Add SIP user');
    await type('#user-0', 'carrier1');
    await type('#pass-0', 'short');
    expect(await textOf('#pass-0-advice')).toBe('needs at least 12 characters, an upper case letter, a digit');
    await type('#pass-0', '-Now-Long-Enough-9'); // appended: the password is now short-Now-Long-Enough-9
    expect(await textOf('#pass-0-advice')).toBe('meets the policy');
    await clickButton('Add number');
    await type('#num-0', NUMBER);
    await select('#numbot-0', 'console-echo');
    const carrier = await textOf('#carrier-text');
    expect(carrier).toContain(`SIP server: 127.0.0.1:${bridge.sipPort()} (UDP)`);
    expect(carrier).toContain(NUMBER);
    expect(carrier).toContain('username carrier1');
    await shot('inbound-trunk-form');
    await clickButton('Save');
    await saved('console-trunk');
    expect((await api('GET', '/v1/inbound-trunks/console-trunk')).body).toMatchObject({ name: 'console-trunk', allow: ['127.0.0.1/32'], digestAlgorithms: ['MD5', 'SHA-256'], credentials: [{ username: 'carrier1' }] });
    expect((await api('GET', `/v1/numbers/${encodeURIComponent(NUMBER)}`)).body).toMatchObject({ number: NUMBER, trunk: 'console-trunk', bot: 'console-echo' });
    await page.waitForFunction((n) => document.querySelector('table')?.textContent?.includes(`${n} → console-echo`), { timeout: 10_000 }, NUMBER);
    await shot('inbound-trunks');
    // The carrier's call to the number now reaches the bot the form named.
    // Address and digest both apply (allow + credentials); SIPp answers the first challenge, so MD5 is listed first.
    const run = await runSipp({ scenario: 'uac-digest-auth.xml', target: { host: '127.0.0.1', port: bridge.sipPort() }, service: NUMBER, timeoutMs: 15_000, keys: { rtp_port: listener.port }, args: ['-au', 'carrier1', '-ap', 'short-Now-Long-Enough-9'] });
    expect(run.code, describeSipp(run)).toBe(0);
    const routed = await bridge.waitForLog((l) => l.msg === 'call routed' && l.trunk === 'console-trunk');
    expect(routed.bot).toBe('console-echo');
  });

  it('shows the live call from the event stream with its codec and moving level meters; a bad transfer shows the API\'s answer; hung up from its row, SIPp sees the BYE', async () => {
    // The caller speaks (g711a.pcap) to the echo bot, so both meters have something to show.
    const sipp = runSipp({ scenario: 'uac-pcap-g711a-expect-bye.xml', target: { host: '127.0.0.1', port: bridge.sipPort() }, service: LIVE_NUMBER, localHost: '127.0.0.2', timeoutMs: 30_000, keys: { rtp_port: listener.port } });
    await go('#/calls', 'Live calls');
    await page.waitForSelector('tr[data-call-id]', { timeout: 15_000 });
    // The page follows GET /v1/events (not polling).
    await page.waitForFunction(() => document.querySelector('#stream-status')?.getAttribute('data-state') === 'live', { timeout: 10_000 });
    const row = await textOf('tr[data-call-id]');
    expect(row).toContain('carrier-a');
    expect(row).toContain(LIVE_NUMBER);
    expect(row).toContain('PCMA');
    // The figures move while the call runs: the packets the bridge has sent toward the caller are counted.
    await page.waitForFunction(() => /^\d+ \/ [1-9]\d*$/.test(document.querySelector('td[data-packets]')?.textContent?.trim() ?? ''), { timeout: 10_000 });
    // Two meters, each an ARIA meter with its value in dBFS and a label naming the direction.
    const meters = await page.$$eval('tr[data-call-id] [role="meter"]', (ms) => ms.map((m) => ({ level: m.getAttribute('data-level'), label: m.getAttribute('aria-label'), min: m.getAttribute('aria-valuemin'), max: m.getAttribute('aria-valuemax') })));
    expect(meters).toEqual([
      { level: 'callerToBot', label: 'Level from the caller +15551230001 to the bot', min: '-60', max: '0' },
      { level: 'botToCaller', label: 'Level from the bot to the caller +15551230001', min: '-60', max: '0' },
    ]);
    const level = (name: string): Promise<number> => page.$eval(`tr[data-call-id] [data-level="${name}"]`, (m) => Number(m.getAttribute('aria-valuenow')));
    const speaking = (name: string) => page.waitForFunction((n) => Number(document.querySelector(`tr[data-call-id] [data-level="${n}"]`)?.getAttribute('aria-valuenow')) > -60, { timeout: 10_000 }, name);
    await speaking('callerToBot');
    await speaking('botToCaller');
    // Read twice: the meter moves with the speech.
    const first = await level('callerToBot');
    await page.waitForFunction((v) => {
      const now = Number(document.querySelector('tr[data-call-id] [data-level="callerToBot"]')?.getAttribute('aria-valuenow'));
      return now > -60 && now !== v;
    }, { timeout: 10_000 }, first);
    expect(await level('callerToBot')).not.toBe(first);
    expect(await page.$eval('tr[data-call-id] [data-level="callerToBot"]', (m) => m.getAttribute('aria-valuetext'))).toMatch(/^-?\d+(\.\d)? dBFS$/);
    await shot('live-calls');
    // A transfer to a destination the bridge does not know: the API's answer shows next to the field; the call goes on.
    await clickButton('Transfer');
    await type('form.transfer input', 'no-such-destination');
    await page.click('form.transfer button[type="submit"]');
    expect(await textOf('form.transfer [data-field="to"]')).toMatch(/\S/);
    expect(await page.$eval('form.transfer input', (e) => e.getAttribute('aria-invalid'))).toBe('true');
    await clickButton('Cancel');
    await clickButton('Hang up');
    const run = await sipp;
    expect(run.code, describeSipp(run)).toBe(0);
    expect(run.messages).toMatch(/BYE sip:/);
    await page.waitForFunction(() => document.querySelector('tr[data-call-id]') === null, { timeout: 10_000 });
  });

  it('shows the API error for a bad CIDR next to the allow field, and stores nothing', async () => {
    const direct = await api('POST', '/v1/inbound-trunks', { name: 'bad-trunk', allow: ['10.0.0.0/99'] });
    expect(direct.status).toBe(400);
    const message: string = direct.body.issues.find((i: { field: string }) => i.field.startsWith('allow')).message;
    await go('#/inbound', 'Inbound trunks');
    await clickButton('New');
    await type('#f-name', 'bad-trunk');
    await type('#f-allow', '10.0.0.0/99');
    await clickButton('Save');
    const shown = await textOf('[data-field="allow"]');
    expect(shown).toContain(message);
    expect(await page.$eval('#f-allow', (e) => e.getAttribute('aria-invalid'))).toBe('true');
    expect(await page.$eval('#f-allow', (e) => e.getAttribute('aria-describedby'))).toContain('f-allow-err');
    await shot('inbound-trunk-error');
    expect((await api('GET', '/v1/inbound-trunks/bad-trunk')).status).toBe(404);
  });

  it('a number another trunk owns: the API\'s 409 beside the numbers, the trunk itself saved once', async () => {
    await go('#/inbound', 'Inbound trunks');
    await clickButton('New');
    await type('#f-name', 'second-trunk');
    await type('#f-allow', '127.0.0.9');
    await clickButton('Add number');
    await type('#num-0', NUMBER);
    await select('#numbot-0', 'console-echo');
    await clickButton('Save');
    expect(await textOf('[data-field="numbers"]')).toBe(`${NUMBER}: number "${NUMBER}" exists (owned by trunk "console-trunk")`);
    expect((await api('GET', '/v1/inbound-trunks/second-trunk')).status).toBe(200);
    expect((await api('GET', `/v1/numbers/${encodeURIComponent(NUMBER)}`)).body.trunk).toBe('console-trunk');
    // Saving again changes the stored trunk (PATCH) instead of creating it a second time (which would be 409).
    await clickButton('Remove');
    await clickButton('Save');
    await saved('second-trunk');
  });

  it('previews how the outbound trunk sends a number', async () => {
    await go('#/outbound', 'Outbound trunks');
    await clickButton('New');
    await type('#f-name', 'carrier-out');
    await type('#f-host', 'sip.carrier.example');
    await select('#f-numberFormat', 'e164-no-plus');
    expect(await textOf('#preview-out')).toBe('+1 202 555 0123 is sent as sip:12025550123@sip.carrier.example');
    await select('#f-numberFormat', 'national');
    await type('#f-country', 'US');
    await page.waitForFunction(() => document.querySelector('#preview-out')?.textContent === '+1 202 555 0123 is sent as sip:2025550123@sip.carrier.example', { timeout: 5000 });
    await shot('outbound-trunks');
    await clickButton('Save');
    await saved('carrier-out');
    expect((await api('GET', '/v1/outbound-trunks/carrier-out')).body).toMatchObject({ host: 'sip.carrier.example', numberFormat: 'national', country: 'US' });
    for (const [hash, title, name] of [['#/transfers', 'Transfer destinations', 'transfer-destinations'], ['#/registrations', 'Registrations', 'registrations']] as const) {
      await go(hash, title);
      await shot(name);
    }
  });

  it('places a test call from the console to the echo bot: the steps stream in, then PASS', async () => {
    await go('#/test-call', 'Test call');
    // The example URI is this bridge's own listener, as GET /v1/whoami reports it.
    expect(await page.$eval('#f-uri', (e) => e.getAttribute('placeholder'))).toBe(`sip:+15550100@127.0.0.1:${bridge.sipPort()}`);
    await type('#f-uri', 'tel:+15550100');
    await clickButton('Run');
    expect(await textOf('[data-field="uri"]')).toContain('must be sip:NUMBER@HOST[:PORT]');
    expect(await page.$eval('#f-uri', (e) => e.getAttribute('aria-invalid'))).toBe('true');

    await go('#/test-call', 'Test call');
    const logsBefore = bridge.logs.length;
    await type('#f-uri', `sip:${NUMBER}@127.0.0.1:${bridge.sipPort()}`);
    await type('#f-seconds', '2');
    await type('#f-user', 'carrier1');
    await type('#f-password', 'short-Now-Long-Enough-9');
    expect(await page.$eval('#f-expectEcho', (e) => (e as HTMLInputElement).checked)).toBe(true);
    await clickButton('Run');
    // Steps appear while the call runs, before the verdict.
    const answeredBeforeVerdict = await page
      .waitForFunction(() => [...document.querySelectorAll('#test-call-steps li')].some((li) => li.textContent?.startsWith('answered')) && document.querySelector('#test-call-result') === null, { timeout: 15_000 })
      .then(() => true, async () => page.$eval('main', (m) => m.textContent));
    expect(answeredBeforeVerdict).toBe(true);
    await page.waitForSelector('#test-call-result', { timeout: 20_000 });
    const steps = await page.$$eval('#test-call-steps li', (li) => li.map((l) => l.textContent ?? ''));
    expect(await textOf('#test-call-result'), steps.join('\n')).toBe('PASS');
    expect(steps[0]).toMatch(/^-> INVITE sip:\+15550199@127\.0\.0\.1:\d+ over udp/);
    expect(steps.join('\n')).toMatch(/<- 401 Unauthorized \(INVITE\)/);
    expect(steps.join('\n')).toMatch(/<- 200 OK \(INVITE\)/);
    expect(steps.some((s) => /^answered .*codec PCM[AU]\/8000/.test(s))).toBe(true);
    expect(steps.some((s) => /^echo: our 440 Hz tone came back, round trip \d+ ms$/.test(s))).toBe(true);
    expect(steps.at(-1)).toBe('PASS');
    // The bridge took the call on the console's trunk, like a carrier's; the run left its log lines (never the password).
    const since = (msg: string) => waitFor(() => bridge.logs.slice(logsBefore).find((l) => l.msg === msg), { timeoutMs: 10_000 });
    expect(await since('call routed')).toMatchObject({ trunk: 'console-trunk', number: NUMBER, bot: 'console-echo' });
    expect(await since('test call ended')).toMatchObject({ exitCode: 0, key: 'root' });
    expect(JSON.stringify(bridge.logs)).not.toContain('short-Now-Long-Enough-9');
    await shot('test-call');
  });

  it('checks a bot from the bots page: bot-check runs on the bridge, its steps stream in, then PASS', async () => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
    await new Promise<void>((r) => wss.once('listening', () => r()));
    wss.on('connection', twilioEchoBot);
    try {
      const url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/media`;
      expect((await api('POST', '/v1/bots', { name: 'twilio-echo', url, protocol: 'twilio' })).status).toBe(201);
      await go('#/bots', 'Bots');
      await page.waitForSelector('button[aria-label="Check bot twilio-echo"]', { timeout: 10_000 });
      await page.click('button[aria-label="Check bot twilio-echo"]');
      await page.waitForSelector('#bot-check-result', { timeout: 30_000 });
      const steps = await page.$$eval('#bot-check-steps li', (li) => li.map((l) => l.textContent ?? ''));
      expect(await textOf('#bot-check-result'), steps.join('\n')).toBe('PASS');
      for (const name of ['connect', 'handshake', 'audio', 'hang-up']) expect(steps.find((l) => l.includes(` ${name}:`)), name).toMatch(/^ok /);
      expect(await textOf('#bot-check-title')).toBe('Bot check: twilio-echo');
      await shot('bot-check');
    } finally {
      for (const c of wss.clients) c.terminate();
      await new Promise<void>((r) => wss.close(() => r()));
    }
  });

  it('a read key sees every page but no button that changes anything', async () => {
    await signIn(KEYS.read);
    expect(await textOf('header .who')).toContain('viewer (role read)');
    // Nor may the key run the tools through the API itself.
    for (const [path, body] of [['/v1/test-calls', { uri: `sip:${NUMBER}@127.0.0.1:${bridge.sipPort()}` }], ['/v1/bot-checks', { url: 'ws://127.0.0.1:9/bot' }]] as const) {
      const refused = await fetch(`${base()}${path}`, { method: 'POST', headers: { Authorization: `Bearer ${KEYS.read}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
      expect(refused.status, path).toBe(403);
    }
    for (const [hash, title] of [['#/inbound', 'Inbound trunks'], ['#/bots', 'Bots'], ['#/outbound', 'Outbound trunks'], ['#/transfers', 'Transfer destinations'], ['#/registrations', 'Registrations'], ['#/calls', 'Live calls'], ['#/test-call', 'Test call']] as const) {
      await go(hash, title);
      await page.waitForFunction(() => !document.querySelector('main')?.textContent?.includes('Loading'), { timeout: 10_000 });
      const buttons = await page.$$eval('main button', (bs) => bs.map((b) => b.textContent?.trim() ?? ''));
      expect(buttons.filter((b) => ['New', 'Edit', 'Delete', 'Save', 'Hang up', 'Transfer', 'Register now', 'Run', 'Check this bot'].includes(b)), title).toEqual([]);
    }
    await go('#/inbound', 'Inbound trunks');
    await clickButton('View');
    await page.waitForSelector('form.edit fieldset');
    expect(await page.$eval('form.edit fieldset', (f) => (f as HTMLFieldSetElement).disabled)).toBe(true);
    const inForm = await page.$$eval('form.edit button', (bs) => bs.map((b) => b.textContent?.trim() ?? ''));
    expect(inForm.sort()).toEqual(['Close', 'Copy']);
    expect(await page.$eval('form.edit button:not([type="submit"])', (b) => b.textContent?.trim() === 'Copy' && !(b as HTMLButtonElement).disabled)).toBe(true);
    await shot('read-only');
  });

  it('ran every page without a script error or a Content-Security-Policy refusal', () => {
    expect(pageProblems).toEqual([]);
  });
});
