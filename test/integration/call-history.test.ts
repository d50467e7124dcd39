/**
 * Call history end to end against the real bridge process, SIPp as the carrier and Debian's chromium (driven
 * by puppeteer-core) as the browser:
 *  - GET /v1/call-records after real calls (two answered and recorded, one refused with 404): newest first,
 *    the SIP outcome and quality of each, filters by trunk, number and result, pages through the cursor, a bad
 *    parameter's 400 naming it, and each recording link serving the WAV;
 *  - the console's Call history page lists those calls with their outcome, filters them, and plays a recording
 *    (the <audio> element gets a playable source with a duration);
 *  - the bot form sets a header and the signing secret; the API answers that they are set but never their
 *    values; "Check this bot" runs bot-check against the stored bot on the bridge, and the bot sees the header
 *    and a valid X-Trunkbridge-Signature on the upgrade: PASS;
 *  - the History page is saved as docs/console/call-history.png when UPDATE_SCREENSHOTS=1.
 */
import { createHmac } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import type { IncomingMessage } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { WebSocketServer } from 'ws';
import { BridgeProcess, SIPP_DIR } from './harness/bridge-process.js';
import { describeSipp, runSipp } from './harness/sipp.js';
import { RtpListener } from './harness/rtp-listener.js';
import { testConfig } from './harness/config.js';
import { reservePorts } from '../helpers/ports.js';
import { waitFor } from '../helpers/wait-for.js';
import { writePcmuPcap } from '../../src/bench/pcap.js';
import { twilioEchoBot, type TwilioStart } from './harness/twilio-echo-bot.js';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
const SHOTS = process.env.UPDATE_SCREENSHOTS === '1' ? fileURLToPath(new URL('../../docs/console/', import.meta.url)) : mkdtempSync(join(tmpdir(), 'tb-history-shots-'));
const KEYS = { read: 'history-read-key-0123456', admin: 'history-admin-key-012345' } as const;
const RECORDED = '+15550100';
const SHORT = '+15550101';
const UNROUTED = '+15550404';
const SECRET = 'bot-signing-secret-0123456789';

let bridge: BridgeProcess;
let listener: RtpListener;
let browser: Browser;
let page: Page;
let work: string;
/** The pcap caller scenario (a 440 Hz tone), relative to sipp/ as runSipp takes it. */
let toneScenario: string;
const pageProblems: string[] = [];
const base = (): string => `http://127.0.0.1:${bridge.metricsPort}`;

async function api(method: string, path: string, body?: unknown, key: string = KEYS.admin): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(`${base()}${path}`, {
    method,
    headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text && res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text, headers: res.headers };
}

async function call(scenario: string, service: string, args: string[] = []): Promise<void> {
  const run = await runSipp({ scenario, target: { host: '127.0.0.1', port: bridge.sipPort() }, service, keys: { rtp_port: listener.port }, args, timeoutMs: 20_000 });
  expect(run.code, describeSipp(run)).toBe(0);
}

/** Waits until the API lists `n` records (a record is written once its recording file is in place). */
async function recordsCount(n: number): Promise<any[]> {
  return waitFor(async () => {
    const r = await api('GET', '/v1/call-records?limit=200', undefined, KEYS.read);
    return r.status === 200 && r.body.items.length >= n ? r.body.items : undefined;
  }, { timeoutMs: 20_000, what: `${n} call records` });
}

async function clickButton(text: string): Promise<void> {
  await page.waitForFunction((t) => [...document.querySelectorAll('button')].some((b) => b.textContent?.trim() === t && !b.disabled), { timeout: 10_000 }, text);
  await page.evaluate((t) => [...document.querySelectorAll('button')].find((b) => b.textContent?.trim() === t)!.click(), text);
}

async function type(selector: string, text: string): Promise<void> {
  await page.waitForSelector(selector, { timeout: 10_000 });
  await page.type(selector, text);
}

async function go(hash: string, title: string): Promise<void> {
  await page.goto(`${base()}/console/${hash}`);
  await page.reload();
  await page.waitForFunction((t) => document.querySelector('#page-title')?.textContent === t, { timeout: 10_000 }, title);
}

/** The call ids of the history table's rows, once the table shows `n` of them. */
async function rows(n: number): Promise<string[]> {
  await page.waitForFunction((k) => document.querySelectorAll('#history tbody tr').length === k, { timeout: 10_000 }, n);
  return page.$$eval('#history tbody tr', (trs) => trs.map((tr) => tr.getAttribute('data-call-id') ?? ''));
}

/** The table's call ids once they are `ids` (a filter that keeps the row count needs its new rows waited for). */
async function rowsBecome(ids: string[]): Promise<string[]> {
  const shown = () => page.$$eval('#history tbody tr', (trs) => trs.map((tr) => tr.getAttribute('data-call-id') ?? ''));
  await waitFor(async () => JSON.stringify(await shown()) === JSON.stringify(ids), { onTimeout: 'resolve' });
  return shown();
}

/** The `start` messages the Twilio echo bot (harness/twilio-echo-bot.ts) got; it is reached only with the header and signature the bridge is configured to send. */
const starts: TwilioStart[] = [];


/** README "Signed start": HMAC-SHA256(secret, "<timestamp>.<callId>.<url>") in X-Trunkbridge-Signature. */
function signedBy(req: IncomingMessage, url: string, secret: string): boolean {
  const ts = String(req.headers['x-trunkbridge-timestamp']);
  const callId = String(req.headers['x-trunkbridge-call-id']);
  const mac = createHmac('sha256', secret).update(`${ts}.${callId}.${url}`).digest('hex');
  return req.headers['x-trunkbridge-signature'] === `v1=${mac}` && Math.abs(Date.now() / 1000 - Number(ts)) < 60;
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'tb-history-'));
  const pcap = join(work, 'caller-440.pcap');
  writePcmuPcap(pcap, { durationMs: 3000, toneHz: 440 });
  const copy = join(work, 'uac-pcap-file-caller-hangup.xml');
  writeFileSync(copy, readFileSync(join(SIPP_DIR, 'uac-pcap-file-caller-hangup.xml'), 'utf8').replaceAll('PCAP_FILE', pcap));
  toneScenario = relative(SIPP_DIR, copy);
  mkdirSync(SHOTS, { recursive: true });
  const rtpBase = await reservePorts(10);
  listener = await RtpListener.start();
  const yaml = `${testConfig({
    rtpPortMin: rtpBase,
    rtpPortMax: rtpBase + 9,
    bots: { echo: '{ builtin: echo }' },
    numbers: { [RECORDED]: 'echo', [SHORT]: 'echo' },
    trunkExtra: '    recording: always\n',
    extraMedia: '  workers: 0\n  latching: off',
  })}api:
  keys:
    - { name: viewer, role: read, key: ${KEYS.read} }
    - { name: root, role: admin, key: ${KEYS.admin} }
dataDir: ${join(work, 'data')}
callRecords: { dir: "${join(work, 'records')}", recordingWaitSec: 10 }
recordings: { dir: "${join(work, 'recordings')}" }
`;
  bridge = new BridgeProcess(yaml);
  await bridge.start();
  // Made one after the other, each record in place before the next call: the order is known.
  await call(toneScenario, RECORDED, ['-d', '1500']);
  await recordsCount(1);
  await call('uac-expect-404.xml', UNROUTED);
  await recordsCount(2);
  await call('uac-call-caller-hangup.xml', SHORT);
  await recordsCount(3);
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await bridge?.stop();
  listener?.close();
});

describe('GET /v1/call-records', () => {
  it('lists the calls newest first with their SIP outcome, quality and recording link', async () => {
    const items = await recordsCount(3);
    expect(items.map((r) => r.to)).toEqual([SHORT, UNROUTED, RECORDED]);
    const [short, unrouted, recorded] = items;
    expect(unrouted).toMatchObject({ sipStatus: 404, answeredAt: null, quality: null, recording: null, recordingUrl: null, endedBy: 'bridge' });
    expect(recorded).toMatchObject({ sipStatus: 200, trunk: 'carrier-a', bot: 'echo', codec: expect.stringMatching(/^PCM[AU]$/), recordingUrl: `/v1/calls/${recorded.callId}/recording` });
    // The caller's tone reached the bridge: packets counted, a MOS estimate from loss and jitter.
    expect(recorded.quality.received.packets).toBeGreaterThan(50);
    expect(recorded.quality.received.mos).toBeGreaterThanOrEqual(1);
    expect(recorded.quality.received.mos).toBeLessThanOrEqual(4.5);
    expect(short).toMatchObject({ sipStatus: 200, recordingUrl: `/v1/calls/${short.callId}/recording` });
    const wav = await fetch(`${base()}${recorded.recordingUrl}`, { headers: { Authorization: `Bearer ${KEYS.read}` } });
    expect(wav.status).toBe(200);
    expect(wav.headers.get('content-type')).toBe('audio/wav');
    expect(Buffer.from(await wav.arrayBuffer()).subarray(0, 4).toString('latin1')).toBe('RIFF');
  });

  it('filters by trunk, number and result', async () => {
    const all = await recordsCount(3);
    const q = async (query: string) => (await api('GET', `/v1/call-records?${query}`, undefined, KEYS.read)).body.items.map((r: { to: string }) => r.to);
    expect(await q(`number=${encodeURIComponent(RECORDED)}`)).toEqual([RECORDED]);
    expect(await q('number=15550101')).toEqual([SHORT]);
    expect(await q('result=404')).toEqual([UNROUTED]);
    expect(await q('result=answered')).toEqual([SHORT, RECORDED]);
    expect(await q('result=unanswered')).toEqual([UNROUTED]);
    expect(await q('trunk=carrier-a')).toEqual(all.filter((r) => r.trunk === 'carrier-a').map((r) => r.to));
    expect(await q('trunk=carrier-z')).toEqual([]);
    expect(await q(`from=${encodeURIComponent(all[0].endedAt)}`)).toEqual([SHORT]);
    expect(await q(`to=${encodeURIComponent(all[0].endedAt)}`)).toEqual([UNROUTED, RECORDED]);
  });

  it('pages through the cursor: each call once, in order, then no cursor', async () => {
    const all = await recordsCount(3);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const r: { status: number; body: any } = await api('GET', `/v1/call-records?limit=1${cursor ? `&cursor=${cursor}` : ''}`, undefined, KEYS.read);
      expect(r.status).toBe(200);
      seen.push(...r.body.items.map((i: { callId: string }) => i.callId));
      cursor = r.body.nextCursor;
      pages++;
    } while (cursor && pages < 10);
    expect(seen).toEqual(all.map((r) => r.callId));
  });

  it('a bad parameter is a 400 naming it; no key is a 401', async () => {
    for (const [query, field] of [['limit=500', 'limit'], ['result=busy', 'result'], ['cursor=xyz', 'cursor'], ['from=today', 'from'], ['trunks=a', 'trunks']] as const) {
      const r = await api('GET', `/v1/call-records?${query}`, undefined, KEYS.read);
      expect(r.status, query).toBe(400);
      expect(r.body.issues.map((i: { field: string }) => i.field), query).toContain(field);
    }
    expect((await fetch(`${base()}/v1/call-records`)).status).toBe(401);
  });
});

describe('console: Call history and the bot form', () => {
  beforeAll(async () => {
    if (!CHROMIUM) throw new Error('chromium is missing: run scripts/install-test-deps.sh');
    browser = await puppeteer.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--autoplay-policy=no-user-gesture-required'],
    });
    page = await browser.newPage();
    page.on('pageerror', (err) => pageProblems.push(`page error: ${String(err)}`));
    page.on('console', (m) => {
      if (m.type() === 'error' && /Content Security Policy|Refused to/i.test(m.text())) pageProblems.push(`console: ${m.text()}`);
    });
    await page.setViewport({ width: 1280, height: 860 });
    await page.goto(`${base()}/console/`);
    await type('#api-key', KEYS.admin);
    await clickButton('Sign in');
    await page.waitForSelector('header .who');
  }, 60_000);

  it('lists the calls SIPp made with their outcome and quality; the filter narrows them', async () => {
    const all = await recordsCount(3);
    await go('#/history', 'Call history');
    expect(await rows(3)).toEqual(all.map((r) => r.callId));
    const outcome = (id: string) => page.$eval(`tr[data-call-id="${id}"] td[data-outcome]`, (e) => e.textContent ?? '');
    expect(await outcome(all[1].callId)).toMatch(/^404 /);
    expect(await outcome(all[2].callId)).toMatch(/^200 /);
    expect(await page.$eval(`tr[data-call-id="${all[2].callId}"] td[data-quality]`, (e) => e.textContent ?? '')).toMatch(/^MOS [1-4](\.\d+)? in/);
    await page.select('#f-result', '404');
    await clickButton('Filter');
    expect(await rows(1)).toEqual([all[1].callId]);
    await page.select('#f-result', '');
    await type('#f-number', RECORDED);
    await clickButton('Filter');
    expect(await rowsBecome([all[2].callId])).toEqual([all[2].callId]);
  });

  it('plays a recorded call: the audio element gets a playable source', async () => {
    const all = await recordsCount(3);
    const recorded = all[2].callId;
    await go('#/history', 'Call history');
    await rows(3);
    await page.click(`button[aria-label="Play the recording of call ${recorded}"]`);
    const audio = `audio[data-recording="${recorded}"]`;
    await page.waitForSelector(audio, { timeout: 10_000 });
    await page.waitForFunction((sel) => {
      const a = document.querySelector(sel) as HTMLAudioElement | null;
      return a !== null && a.readyState >= 1 && Number.isFinite(a.duration) && a.duration > 0;
    }, { timeout: 10_000 }, audio);
    const duration = await page.$eval(audio, (a) => (a as HTMLAudioElement).duration);
    expect(duration).toBeGreaterThan(1);
    expect(await page.$eval(audio, (a) => (a as HTMLAudioElement).src)).toMatch(/^blob:/);
    await shot('call-history');
  });

  it('"Load more" fetches the next page', async () => {
    const all = await recordsCount(3);
    // 30 older calls, in a past day's file (the bridge never writes a past day again): more than a page of 25.
    const old = Array.from({ length: 30 }, (_, i) => JSON.stringify({ ...all[1], recordingUrl: undefined, callId: `0ld0${String(i).padStart(4, '0')}-0000-4000-8000-000000000000`, endedAt: `2026-01-01T10:${String(i).padStart(2, '0')}:00.000Z` }));
    writeFileSync(join(work, 'records', 'cdr', 'cdr-2026-01-01.jsonl'), `${old.join('\n')}\n`);
    await go('#/history', 'Call history');
    expect((await rows(25)).slice(0, 3)).toEqual(all.map((r) => r.callId));
    await clickButton('Load more');
    const ids = await rows(33);
    expect(ids.at(-1)).toBe('0ld00000-0000-4000-8000-000000000000');
    expect(new Set(ids).size).toBe(33);
    await page.waitForFunction(() => ![...document.querySelectorAll('main button')].some((b) => b.textContent?.trim() === 'Load more'), { timeout: 5000 });
  });

  it('sets a header and the secret in the bot form: the API hides them; "Check this bot" uses them on the bridge', async () => {
    const upgrades: Array<{ tenant: unknown; signed: boolean }> = [];
    let url = '';
    const wss = new WebSocketServer({
      host: '127.0.0.1',
      port: 0,
      perMessageDeflate: false,
      verifyClient: (info: { req: IncomingMessage }) => {
        const ok = { tenant: info.req.headers['x-tenant'], signed: signedBy(info.req, url, SECRET) };
        upgrades.push(ok);
        return ok.tenant === 'acme-tenant-7' && ok.signed;
      },
    });
    await new Promise<void>((r) => wss.once('listening', () => r()));
    wss.on('connection', (ws) => twilioEchoBot(ws, { onStart: (start) => starts.push(start) }));
    try {
      url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/media?room=7`;
      await go('#/bots', 'Bots');
      await clickButton('New');
      await type('#f-name', 'signed-bot');
      await type('#f-url', url);
      await page.select('#f-protocol', 'twilio');
      expect(await page.$eval('#secret-state', (e) => e.textContent)).toBe('(not set)');
      await type('#f-headers', 'X-Tenant: acme-tenant-7');
      await type('#f-secret', SECRET);
      await clickButton('Save');
      await page.waitForFunction(() => document.querySelector('[role="status"]')?.textContent === 'Saved signed-bot.', { timeout: 10_000 });
      const stored = await api('GET', '/v1/bots/signed-bot', undefined, KEYS.read);
      expect(stored.body).toMatchObject({ name: 'signed-bot', url, protocol: 'twilio', secretsSet: ['headers', 'secret'] });
      expect(stored.body.headers).toBeUndefined();
      expect(JSON.stringify(stored.body)).not.toContain(SECRET);
      expect(JSON.stringify((await api('GET', '/v1/bots')).body)).not.toMatch(/acme-tenant-7|bot-signing-secret/);

      // Edited without touching them: both stay stored (the form shows them as set).
      await page.waitForSelector('button[aria-label="Edit signed-bot"]', { timeout: 10_000 });
      await page.click('button[aria-label="Edit signed-bot"]');
      expect(await page.$eval('#secret-state', (e) => e.textContent)).toBe('(set)');
      expect(await page.$eval('#headers-state', (e) => e.textContent)).toBe('(set)');
      await clickButton('Save');
      await page.waitForFunction(() => document.querySelector('[role="status"]')?.textContent === 'Saved signed-bot.', { timeout: 10_000 });
      expect((await api('GET', '/v1/bots/signed-bot')).body.secretsSet).toEqual(['headers', 'secret']);

      // Custom parameters (set through the API: the form has no field for them) reach the bot in the check too.
      expect((await api('PATCH', '/v1/bots/signed-bot', { parameters: { campaign: 'spring' } })).status).toBe(200);
      await go('#/bots', 'Bots');
      await page.waitForSelector('button[aria-label="Check bot signed-bot"]', { timeout: 10_000 });
      await page.click('button[aria-label="Check bot signed-bot"]');
      await page.waitForSelector('#bot-check-result', { timeout: 30_000 });
      const steps = await page.$$eval('#bot-check-steps li', (li) => li.map((l) => l.textContent ?? ''));
      expect(await page.$eval('#bot-check-result', (e) => e.textContent?.trim()), steps.join('\n')).toBe('PASS');
      // The URL as the CLI shows it: without its query string (tokens live there); header names, never values.
      expect(steps[0]).toBe(`bot-check bot "signed-bot" at ${url.replace(/\?.*$/, '')} (twilio; headers: X-Tenant; signed)`);
      expect(upgrades.at(-1)).toEqual({ tenant: 'acme-tenant-7', signed: true });
      expect(starts.at(-1)?.customParameters).toMatchObject({ campaign: 'spring' });
      expect(steps.join('\n')).not.toContain(SECRET);
      expect(JSON.stringify(bridge.logs)).not.toContain(SECRET);
    } finally {
      for (const c of wss.clients) c.terminate();
      await new Promise<void>((r) => wss.close(() => r()));
    }
  });

  it('ran without a script error or a Content-Security-Policy refusal', () => {
    expect(pageProblems).toEqual([]);
  });
});

const shot = (name: string): Promise<unknown> => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
