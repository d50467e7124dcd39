/**
 * The SIP guards of issue #12 against real callers, one bridge process on loopback:
 *  - a brute force of our own from 127.0.0.7 (normal User-Agent, correct digests for wrong passwords) is locked
 *    out within 20 failures, the right password from there (even to a nonce it already holds) is refused,
 *    while the right password from 127.0.0.2 still gets in; the challenge quotes qop="auth" on the wire;
 *  - a SIPp INVITE flood from 127.0.0.3 is banned while a legitimate SIPp caller from 127.0.0.1 completes all
 *    its calls at 5 calls per second.
 * The real attack tools (sipvicious) are in sip-scanners.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BridgeProcess } from './harness/bridge-process.js';
import { challengeOf, DigestUac } from './harness/digest-uac.js';
import { metric } from './harness/metrics.js';
import { RtpListener } from './harness/rtp-listener.js';
import { PASSWORD, counter, guardConfig } from './harness/sip-guard-tools.js';
import { describeSipp, runSipp } from './harness/sipp.js';
import { reservePorts } from '../helpers/ports.js';

/** Distinct Call-IDs of responses SIPp received, from its -trace_msg file. */
function answeredCalls(messages: string): number {
  const ids = new Set<string>();
  for (const block of messages.split(/^-{10,}.*$/m)) {
    if (!/message received/.test(block) || !/^SIP\/2\.0 [1-6]\d\d/m.test(block)) continue;
    const id = /^Call-ID:\s*(\S+)/im.exec(block)?.[1];
    if (id) ids.add(id);
  }
  return ids.size;
}

describe('SIP guards with the default settings', () => {
  let bridge: BridgeProcess;
  let listener: RtpListener;
  let sipPort: number;

  beforeAll(async () => {
    listener = await RtpListener.start();
    bridge = new BridgeProcess(guardConfig(await reservePorts(40)));
    await bridge.start();
    sipPort = bridge.sipPort();
  });

  afterAll(async () => {
    await bridge?.stop();
    listener?.close();
  });

  it('a brute force from one address is locked out within 20 failures; the right password is refused there and accepted from 127.0.0.2', async () => {
    const target = { host: '127.0.0.1', port: sipPort };
    const attacker = await DigestUac.open('127.0.0.7', target);
    const pbx = await DigestUac.open('127.0.0.2', target);
    let answeredGuesses = 0;
    try {
      // A nonce the attacker holds from before the lockout: still valid for minutes.
      const held = await attacker.invite('held-1');
      expect(held.final?.status).toBe(401);
      // The challenge as written on the wire: qop quoted (RFC 7616 §3.3, RFC 3261 §25.1), MD5 first for this trunk.
      expect(held.raw.find((r) => r.startsWith('SIP/2.0 401'))).toMatch(/\r\nWWW-Authenticate: Digest realm="pbx\.example\.com", nonce="[^"]+", algorithm=MD5, qop="auth"\r\n/);
      await attacker.finish('held-1', held.final!);

      let attempts = 0;
      for (; attempts < 30; attempts++) {
        const id = `guess-${attempts}`;
        const first = await attacker.invite(id, 1000);
        if (!first.final) break; // silence: locked out
        expect(first.final.status).toBe(401);
        await attacker.finish(id, first.final);
        const guess = await attacker.inviteWithAuth(`${id}-auth`, challengeOf(first.final), '1000', `wrong-${attempts}`, 1000);
        if (!guess.final) break;
        answeredGuesses++;
        expect(guess.final.status).toBe(403);
        await attacker.finish(`${id}-auth`, guess.final);
      }
      expect(answeredGuesses).toBeGreaterThan(0);
      expect(answeredGuesses).toBeLessThanOrEqual(20);
      expect(attempts).toBeLessThan(30);
      // The right password from the locked-out address, to the nonce it held: no answer, no call.
      const right = await attacker.inviteWithAuth('right-from-attacker', challengeOf(held.final!), '1000', PASSWORD, 2500);
      expect(right.final).toBeUndefined();
      // The real PBX from another address, same username: in.
      const challenge = await pbx.invite('pbx-1');
      expect(challenge.final?.status).toBe(401);
      await pbx.finish('pbx-1', challenge.final!);
      const ok = await pbx.inviteWithAuth('pbx-1-auth', challengeOf(challenge.final!), '1000', PASSWORD, 5000);
      expect(ok.final?.status).toBe(200);
      await pbx.finish('pbx-1-auth', ok.final!);
    } finally {
      attacker.close();
      pbx.close();
    }
    const lockouts = bridge.logs.filter((l) => l.msg === 'digest authentication failing repeatedly: source locked out');
    expect(lockouts).toHaveLength(1);
    expect(lockouts[0]).toMatchObject({ source: '127.0.0.7', usernames: ['1000'] });
    expect(bridge.logs.some((l) => JSON.stringify(l).includes('wrong-1') || JSON.stringify(l).includes(PASSWORD))).toBe(false);
    const m = await metric(bridge.metricsPort, 'trunkbridge_sip_');
    expect(counter(m, 'trunkbridge_sip_auth_lockouts_total')).toBe(1);
    expect(counter(m, 'trunkbridge_sip_auth_failures_total')).toBe(answeredGuesses);
    expect(counter(m, 'trunkbridge_sip_guard_rejected_total{reason="locked-out"}')).toBeGreaterThanOrEqual(2);
  }, 120_000);

  it('a SIPp INVITE flood from 127.0.0.3 is banned while a SIPp caller from 127.0.0.1 completes every call at 5 cps', async () => {
    const target = { host: '127.0.0.1', port: sipPort };
    const flood = runSipp({
      scenario: 'uac-flood-invite-any-answer.xml',
      target,
      service: '+15550100',
      localHost: '127.0.0.3',
      calls: 1500,
      timeoutMs: 30_000,
      args: ['-r', '300', '-l', '1500'],
    });
    const legit = runSipp({
      scenario: 'uac-call-caller-hangup.xml',
      target,
      service: '+15550100',
      calls: 10,
      timeoutMs: 30_000,
      keys: { rtp_port: listener.port },
      args: ['-r', '5'],
    });
    const [f, l] = await Promise.all([flood, legit]);
    expect(l.code, describeSipp(l)).toBe(0);
    const answered = answeredCalls(f.messages);
    expect(answered).toBeGreaterThan(0);
    expect(answered / 1500).toBeLessThan(0.2);
    await bridge.waitForLog((x) => x.msg === 'SIP source over its message budget: banned' && x.source === '127.0.0.3');
    const m = await metric(bridge.metricsPort, 'trunkbridge_sip_');
    expect(counter(m, 'trunkbridge_sip_sources_banned_total')).toBe(1);
    expect(counter(m, 'trunkbridge_sip_guard_rejected_total{reason="banned"}')).toBeGreaterThan(1000);
    console.log(`flood: ${answered} of 1500 INVITEs answered (${((answered / 1500) * 100).toFixed(1)} %); legitimate caller: 10 of 10 calls completed`);
  }, 120_000);
});
