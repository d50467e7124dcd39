/**
 * The web console's calls and tools (/console) in a real headless browser (Debian's chromium driven by
 * puppeteer-core) against the real bridge process, with SIPp as the carrier:
 *  - a SIPp call that speaks (g711a.pcap) appears in Live calls, which follows GET /v1/events, with its codec and
 *    two level meters (role="meter") whose values move; a transfer the bridge refuses shows its answer by the
 *    field; the call is hung up from its row: SIPp sees the BYE;
 *  - a test call from the Test call page (POST /v1/test-calls, run in the bridge) reaches the echo bot through an
 *    inbound trunk with a digest user (made through the API here; web-console-forms.test.ts makes the same one
 *    through the forms): each step shows as it streams, then PASS; a bad URI's 400 shows next to the URI field;
 *  - "Check this bot" on the bots page runs bot-check on the bridge (POST /v1/bot-checks) against a Twilio echo
 *    bot in this test: its steps show, then PASS;
 *  - each page is saved as a screenshot (harness/console-session.ts says where).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'puppeteer-core';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import type { BridgeProcess } from './harness/bridge-process.js';
import type { RtpListener } from './harness/rtp-listener.js';
import { describeSipp, runSipp } from './harness/sipp.js';
import { ConsoleSession, KEYS, LIVE_NUMBER, NUMBER } from './harness/console-session.js';
import { waitFor } from '../helpers/wait-for.js';
import { twilioEchoBot } from './harness/twilio-echo-bot.js';

const session = new ConsoleSession();
const { api, clickButton, type, textOf, go, signIn, shot } = session;
let bridge: BridgeProcess;
let listener: RtpListener;
let page: Page;
let pageProblems: string[];

beforeAll(async () => {
  await session.start();
  ({ bridge, listener, page, pageProblems } = session);
  // The inbound trunk, bot and number web-console-forms.test.ts makes through the forms, made here through the API.
  expect((await api('POST', '/v1/bots', { name: 'console-echo', builtin: 'echo' })).status).toBe(201);
  const trunk = { name: 'console-trunk', allow: ['127.0.0.1/32'], digestAlgorithms: ['MD5', 'SHA-256'], credentials: [{ username: 'carrier1', password: 'short-Now-Long-Enough-9' }] };
  expect((await api('POST', '/v1/inbound-trunks', trunk)).status).toBe(201);
  expect((await api('POST', '/v1/numbers', { number: NUMBER, trunk: 'console-trunk', bot: 'console-echo' })).status).toBe(201);
  await signIn(KEYS.admin);
}, 60_000);

afterAll(() => session.close());

describe('web console: calls and tools', () => {
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

  it('ran every page without a script error or a Content-Security-Policy refusal', () => {
    expect(pageProblems).toEqual([]);
  });
});
