/**
 * The console's Registrations page follows the event stream (GET /v1/events) in a real headless browser: a
 * registration whose registrar is not there yet shows `failed`; once a registrar (SIPp) answers on that port the
 * bridge's retry registers it, and the row turns `registered` by itself — no reload, no second GET of the list.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BridgeProcess } from './harness/bridge-process.js';
import { describeSipp } from './harness/sipp.js';
import { startSippUas, type SippUas } from './harness/sipp-uas.js';
import { openConsole, type ConsoleBrowser } from './harness/console-browser.js';
import { reservePort, reservePorts } from '../helpers/ports.js';

const KEY = 'live-registrations-key-012345';
let bridge: BridgeProcess;
let registrar: SippUas | undefined;
let web: ConsoleBrowser;
let registrarPort: number;

beforeAll(async () => {
  registrarPort = await reservePort();
  const rtpBase = await reservePorts(4);
  // T1 = 50 ms: an unanswered REGISTER fails (Timer F) in 3.2 s; retried every second.
  bridge = new BridgeProcess(`sip:
  listen: [{ transport: udp, host: 127.0.0.1, port: 0 }]
  timers: { t1Ms: 50 }
media: { rtpPortMin: ${rtpBase}, rtpPortMax: ${rtpBase + 3} }
bots:
  echo: { builtin: echo }
registrations:
  - { name: pbx-main, server: 127.0.0.1, port: ${registrarPort}, username: alice, password: s3cret-pw, extension: "1001", expires: 60, retrySec: 1, retryMaxSec: 2, bot: echo }
logging: { level: debug }
metrics: { enabled: true, host: 127.0.0.1, port: 0 }
api:
  keys: [{ name: viewer, role: read, key: ${KEY} }]
`);
  await bridge.start();
  web = await openConsole();
}, 60_000);

afterAll(async () => {
  await web?.close();
  registrar?.kill();
  await bridge?.stop();
});

describe('console: live registration state', () => {
  it('a registration going from failed to registered updates its row without a reload', async () => {
    const { page } = web;
    const listLoads: string[] = [];
    page.on('request', (r) => {
      if (r.method() === 'GET' && new URL(r.url()).pathname === '/v1/registrations') listLoads.push(r.url());
    });
    await web.signIn(`http://127.0.0.1:${bridge.metricsPort}`, KEY);
    await web.go('#/registrations', 'Registrations');
    await page.waitForSelector('#registration-stream[data-state="live"]', { timeout: 10_000 });
    // Nobody answers yet: the REGISTER times out and the row says so.
    await bridge.waitForLog((l) => l.msg === 'registration failed', 10_000);
    await page.waitForSelector('[data-registration="pbx-main"][data-state="failed"]', { timeout: 10_000 });
    const loads = listLoads.length;
    expect(loads).toBeGreaterThanOrEqual(1);
    // A marker a reload would wipe out.
    await page.evaluate(() => ((window as unknown as { marker: number }).marker = 1));

    registrar = await startSippUas({ scenario: 'uas-registrar-401-then-grant.xml', port: registrarPort, keys: { granted: 60 }, timeoutMs: 20_000 });
    await bridge.waitForLog((l) => l.msg === 'registered', 12_000);
    await page.waitForSelector('[data-registration="pbx-main"][data-state="registered"]', { timeout: 10_000 });
    expect(await page.$eval('[data-registration="pbx-main"]', (e) => e.textContent)).toBe('registered');
    expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(1);
    expect(listLoads.length).toBe(loads);
    // A single node: no Node column.
    expect(await page.$$eval('th', (ths) => ths.map((t) => t.textContent))).not.toContain('Node');
    const run = await registrar.done;
    expect(run.code, describeSipp(run)).toBe(0);
    expect(web.problems).toEqual([]);
  }, 40_000);
});
