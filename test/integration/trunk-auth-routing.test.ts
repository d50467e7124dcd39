/**
 * Trunk authentication and routing rules end to end: SIPp as carriers from different loopback sources against
 * one real bridge process, ws bots written here.
 *  - 127.0.0.4: trunk "pbx" needs digest credentials (and that source): 401 → retry → 200; wrong password → 403.
 *  - 127.0.0.6: no trunk allows it and no credentials apply → 403.
 *  - 127.0.0.5: trunk "strict" with requireE164From → 404 for From "anonymous".
 *  - 127.0.0.1: trunk "carrier-a" with routingHeader X-Agent-ID and maxConcurrentCalls 1 → header picks the
 *    bot; a second call while one is up → 486.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BridgeProcess } from './harness/bridge-process.js';
import { describeSipp, runSipp, type SippOptions } from './harness/sipp.js';
import { TestBotServer } from './harness/test-bot.js';
import { RtpListener } from './harness/rtp-listener.js';
import { reservePorts } from '../helpers/ports.js';
import { testConfig } from './harness/config.js';

let bridge: BridgeProcess;
let defaultBot: TestBotServer;
let agentBot: TestBotServer;
let listener: RtpListener;
let sipPort: number;

function sipp(scenario: string, extra: Partial<SippOptions> = {}) {
  return runSipp({
    scenario,
    target: { host: '127.0.0.1', port: sipPort },
    service: '+15550100',
    timeoutMs: 15_000,
    ...extra,
    keys: { rtp_port: listener.port, ...(extra.keys ?? {}) },
  });
}

beforeAll(async () => {
  const rtpBase = await reservePorts(8);
  defaultBot = await TestBotServer.start();
  agentBot = await TestBotServer.start();
  listener = await RtpListener.start();
  bridge = new BridgeProcess(
    testConfig({
      rtpPortMin: rtpBase,
      rtpPortMax: rtpBase + 7,
      allow: ['127.0.0.1'],
      bots: {
        main: `{ url: "${defaultBot.url}", sampleRate: 8000, connectTimeoutMs: 2000 }`,
        agent2: `{ url: "${agentBot.url}", sampleRate: 8000, connectTimeoutMs: 2000 }`,
        echo: '{ builtin: echo }',
      },
      numbers: { '+15550100': 'main' },
      trunkExtra: '    routingHeader: X-Agent-ID\n    maxConcurrentCalls: 1\n',
      extraTrunks: [
        '  - name: pbx',
        '    allow: ["127.0.0.4"]',
        '    credentials: [{ username: pbx1, password: Abcdefgh1234 }, { username: pbx2, password: Zyxwvuts9876 }]',
        '    realm: pbx.example.com',
        '    digestAlgorithms: [MD5, SHA-256]',
        '    bot: echo',
        '  - name: strict',
        '    allow: ["127.0.0.5"]',
        '    requireE164From: true',
        '    bot: echo',
      ].join('\n'),
    }),
  );
  await bridge.start();
  sipPort = bridge.sipPort();
});

afterAll(async () => {
  await bridge?.stop();
  await defaultBot?.close();
  await agentBot?.close();
  listener?.close();
});

describe('trunk authentication with SIPp', () => {
  it('digest: 401 with MD5 and SHA-256 challenges (MD5 first: SIPp takes the first), call completes', async () => {
    const run = await sipp('uac-digest-auth.xml', { localHost: '127.0.0.4', args: ['-au', 'pbx2', '-ap', 'Zyxwvuts9876'] });
    expect(run.code, describeSipp(run)).toBe(0);
    expect(run.messages).toMatch(/SIP\/2\.0 401 Unauthorized[\s\S]*WWW-Authenticate: Digest realm="pbx\.example\.com", nonce="[^"]+", algorithm=MD5, qop="auth"\r\nWWW-Authenticate: Digest [^\r]*algorithm=SHA-256/);
    expect(run.messages).toMatch(/Authorization: Digest username="pbx2"/);
    await bridge.waitForLog((l) => l.msg === 'call routed' && l.trunk === 'pbx');
  });

  it('digest: a wrong password gets 403 after the retry', async () => {
    const run = await sipp('uac-digest-wrong-password-expect-403.xml', { localHost: '127.0.0.4', args: ['-au', 'pbx1', '-ap', 'Wrongpass1234'] });
    expect(run.code, describeSipp(run)).toBe(0);
    await bridge.waitForLog((l) => l.msg === 'call rejected' && l.status === 403 && l.reason === 'bad-credentials');
  });

  it('an unknown source with no credentials to offer gets 403', async () => {
    const run = await sipp('uac-expect-403.xml', { localHost: '127.0.0.6' });
    expect(run.code, describeSipp(run)).toBe(0);
  });
});

describe('routing rules with SIPp', () => {
  it('a non-E.164 From on a requireE164From trunk gets 404', async () => {
    const run = await sipp('uac-non-e164-from-expect-404.xml', { localHost: '127.0.0.5' });
    expect(run.code, describeSipp(run)).toBe(0);
    await bridge.waitForLog((l) => l.msg === 'call rejected' && l.status === 404 && l.reason === 'from-not-e164');
  });

  it('X-Agent-ID naming a bot wins over the number; a second call over maxConcurrentCalls gets 486', async () => {
    const before = { main: defaultBot.connections.length, agent: agentBot.connections.length };
    const mark = bridge.logs.length;
    const first = sipp('uac-agent-header-call.xml', { keys: { agent: 'agent2' } });
    await bridge.waitForLog((l) => l.msg === 'call answered' && bridge.logs.indexOf(l) >= mark, 10_000).catch(async (e) => {
      const r = await first;
      throw new Error(`${String(e)}\n${describeSipp(r)}\n${bridge.logs.slice(mark).map((l) => JSON.stringify(l)).join('\n').slice(-4000)}`);
    });
    const busy = await sipp('uac-expect-486.xml');
    expect(busy.code, describeSipp(busy)).toBe(0);
    const run = await first;
    expect(run.code, describeSipp(run)).toBe(0);
    expect(agentBot.connections.length).toBe(before.agent + 1);
    expect(defaultBot.connections.length).toBe(before.main);
    // The slot is free again once the call ended.
    const again = await sipp('uac-agent-header-call.xml', { keys: { agent: 'agent2' } });
    expect(again.code, describeSipp(again)).toBe(0);
  });
});
