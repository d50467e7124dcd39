/**
 * The SIP guards of issue #12 against the real attack tools (sipvicious), each against its own bridge on loopback:
 *  - svmap finds nothing (scanner User-Agent dropped) and svcrack gets no answer at all;
 *  - with the scanner list emptied, the lockout stops svcrack itself (svcrack 0.3.3 ignores its -b option and
 *    sends from 127.0.0.1, so there no trunk allows 127.0.0.1).
 * Both mostly wait for the tools' own silences: vitest.config.ts runs this file in the lane for such tests.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BridgeProcess } from './harness/bridge-process.js';
import { metric } from './harness/metrics.js';
import { PASSWORD, counter, dictionary, guardConfig, sipvicious } from './harness/sip-guard-tools.js';
import { reservePorts } from '../helpers/ports.js';

describe('SIP guards with the default settings', () => {
  let bridge: BridgeProcess;
  let sipPort: number;

  beforeAll(async () => {
    bridge = new BridgeProcess(guardConfig(await reservePorts(40)));
    await bridge.start();
    sipPort = bridge.sipPort();
  });

  afterAll(async () => {
    await bridge?.stop();
  });

  it('svmap finds nothing and svcrack (User-Agent friendly-scanner) gets no answer', async () => {
    const map = await sipvicious('svmap', ['-b', '127.0.0.8', '-p', String(sipPort), '127.0.0.1']);
    expect(map.out).toMatch(/found nothing/);
    expect(map.out).not.toMatch(/trunkbridge/);
    expect(map.out).not.toMatch(/127\.0\.0\.1:\d+\s*\|/);
    const crack = await sipvicious('svcrack', ['-p', String(sipPort), '-u', '1000', '-m', 'INVITE', '-d', dictionary(30), '127.0.0.1']);
    expect(crack.out).not.toContain(PASSWORD);
    const m = await metric(bridge.metricsPort, 'trunkbridge_sip_guard_rejected_total');
    expect(counter(m, 'trunkbridge_sip_guard_rejected_total{reason="scanner"}')).toBeGreaterThanOrEqual(2);
    expect(bridge.logs.filter((l) => l.msg === 'incoming call' && l.source === '127.0.0.8')).toEqual([]);
  }, 120_000);
});

describe('the lockout against svcrack itself (scanner list emptied)', () => {
  let bridge: BridgeProcess;
  let sipPort: number;

  beforeAll(async () => {
    bridge = new BridgeProcess(guardConfig(await reservePorts(40), '  security: { scannerUserAgents: [] }', ['127.0.0.5']));
    await bridge.start();
    sipPort = bridge.sipPort();
  });

  afterAll(async () => {
    await bridge?.stop();
  });

  it('svcrack -m INVITE with a dictionary ending in the real password: at most 20 guesses answered, password not found', async () => {
    const crack = await sipvicious('svcrack', ['-p', String(sipPort), '-u', '1000', '-m', 'INVITE', '-d', dictionary(60), '127.0.0.1']);
    expect(crack.out).not.toContain(PASSWORD);
    expect(crack.out).not.toMatch(/password for 1000 is/i);
    const m = await metric(bridge.metricsPort, 'trunkbridge_sip_');
    const failures = counter(m, 'trunkbridge_sip_auth_failures_total');
    expect(failures, `${crack.out}\n${m}\n${bridge.logs.filter((l) => /call|SIP/.test(String(l.msg))).slice(0, 30).map((l) => JSON.stringify(l)).join('\n')}`).toBeGreaterThan(0);
    expect(failures).toBeLessThanOrEqual(20);
    expect(counter(m, 'trunkbridge_sip_auth_lockouts_total')).toBe(1);
    expect(bridge.logs.filter((l) => l.msg === 'call answered')).toEqual([]);
    console.log(`svcrack: ${failures} guesses answered before the lockout; output tail: ${crack.out.trim().split('\n').slice(-2).join(' | ')}`);
  }, 120_000);
});
