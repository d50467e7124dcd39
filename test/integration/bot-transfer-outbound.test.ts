/**
 * A bot link that never strands a caller, the remaining cases, end to end: SIPp as the carrier, as the transfer
 * destination and as the callee of outbound calls; the bridge as a child process (media on worker threads); real
 * `ws` bots written here.
 *
 * - The bot asks for a bridged transfer and leaves while the destination rings (its socket drops, or it closes it
 *   as Pipecat does after handing a call over, or drops while the engine tries in vain to reopen it with hold
 *   audio playing): the transfer goes on, the destination answers and talks with the caller, each side gets
 *   exactly one BYE, nothing is left behind. If that transfer then fails, the number's fallback (a prompt) runs.
 * - Outbound calls (POST /v1/calls) get the outbound trunk's fallback: a bot that cannot be reached, or one that
 *   drops mid-call, leaves the callee with the prompt, then BYE.
 *
 * The RTP range holds two legs: a port left behind by one case fails the next.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import alawmulaw from 'alawmulaw';
import { BridgeProcess } from './harness/bridge-process.js';
import { describeSipp, runSipp, tracedMessages, type SippRun } from './harness/sipp.js';
import { PathBots } from './harness/path-bots.js';
import { RtpListener } from './harness/rtp-listener.js';
import { startSippUas } from './harness/sipp-uas.js';
import { AgentMedia } from './harness/agent-media.js';
import { metric } from './harness/metrics.js';
import { goertzelAmplitude, strongestWindow } from './harness/signal.js';
import { testConfig } from './harness/config.js';
import { reservePort, reservePorts } from '../helpers/ports.js';
import { generateTone } from '../helpers/audio.js';
import { waitFor } from '../helpers/wait-for.js';
import { encodeWav } from '../../src/media/index.js';

const RING_MS = 1500;
const PROMPT_HZ = 800;
const HOLD_HZ = 600;

let bridge: BridgeProcess;
let bots: PathBots;
let agentPort: number;
let calleePort: number;
let sipPort: number;

beforeAll(async () => {
  agentPort = await reservePort();
  calleePort = await reservePort();
  const rtpBase = await reservePorts(4);
  bots = await PathBots.start();
  const dir = mkdtempSync(join(tmpdir(), 'tb-transfer-outbound-'));
  const sorry = join(dir, 'sorry.wav');
  writeFileSync(sorry, encodeWav(generateTone(PROMPT_HZ, 8000, 1500, { amplitude: 12000 }), 8000));
  const hold = join(dir, 'hold.wav');
  writeFileSync(hold, encodeWav(generateTone(HOLD_HZ, 8000, 1000, { amplitude: 12000 }), 8000));
  const b = bots.base;
  const ws = (path: string, extra = '') => `{ url: "${b}${path}", sampleRate: 8000, connectTimeoutMs: 1500${extra} }`;
  bridge = new BridgeProcess(
    testConfig({
      rtpPortMin: rtpBase,
      rtpPortMax: rtpBase + 3,
      extraMedia: '  latching: off',
      bots: {
        drops: ws('/drops', ', reconnectMs: 0'),
        leaves: ws('/leaves'),
        retries: ws('/retries', `, reconnectMs: 5000, holdFile: "${hold}"`),
        dropsfail: ws('/dropsfail', ', reconnectMs: 0'),
        refuser: ws('/refuse'),
        outdrops: ws('/outdrops', ', reconnectMs: 0'),
      },
      numbers: {
        '+15550130': 'drops',
        '+15550131': 'leaves',
        '+15550133': 'retries',
        '+15550132': `dropsfail, fallback: { action: play, file: "${sorry}" }`,
      },
    }) +
      `
transferDestinations:
  agent-desk: { uri: "sip:agent@127.0.0.1:${agentPort}", method: bridge, ringTimeoutSec: 10 }
  slow-desk: { uri: "sip:agent@127.0.0.1:${agentPort}", method: bridge, ringTimeoutSec: 2 }
outboundTrunks:
  - { name: out-play, host: 127.0.0.1, port: ${calleePort}, fallback: { action: play, file: "${sorry}" } }
`,
  );
  await bridge.start();
  sipPort = bridge.sipPort();
});

afterAll(async () => {
  await bridge?.stop();
  await bots?.close();
});

function call(scenario: string, service: string, listener: RtpListener, args: string[] = []): Promise<SippRun> {
  return runSipp({ scenario, target: { host: '127.0.0.1', port: sipPort }, service, keys: { rtp_port: listener.port }, args, timeoutMs: 25_000 });
}

/** What the caller heard, decoded (PCMU or PCMA), in arrival order. */
function heard(listener: RtpListener): Int16Array {
  return Int16Array.from(listener.packets.flatMap((p) => Array.from(p.payloadType === 8 ? alawmulaw.alaw.decode(p.payload) : alawmulaw.mulaw.decode(p.payload))));
}

/** What an agent/callee phone heard (PCMA payloads), decoded. */
function heardBy(media: AgentMedia): Int16Array {
  return Int16Array.from(media.received.flatMap((p) => Array.from(alawmulaw.alaw.decode(p))));
}

/** Received requests/responses of a SIPp run whose first line starts with `start`. */
const received = (run: SippRun, start: string) => tracedMessages(run).filter((m) => m.dir === 'received' && m.line.startsWith(start));

const at = (l: Record<string, unknown>): number => Date.parse(String(l.time));

/** The bridge's `call ended` lines since `t0`, once the first has been written. */
async function endedSince(t0: number) {
  await bridge.waitForLog((l) => l.msg === 'call ended' && at(l) >= t0, 15_000);
  return bridge.logs.filter((l) => l.msg === 'call ended' && at(l) >= t0);
}

/** No call left answered: the gauge is back to 0. */
async function noCallLeft(): Promise<void> {
  await waitFor(async () => / 0$/m.test(await metric(bridge.metricsPort, 'trunkbridge_active_calls')), { timeoutMs: 5000, what: 'active calls back to 0' });
}

/** A native bot that asks for a transfer at start and leaves (`how`) when told the destination rings. */
function transferThenLeave(path: string, to: string, how: 'drop' | 'close'): { leftAt: () => number } {
  let leftAt = 0;
  bots.behaviour = (p, c) => {
    if (p !== path) return;
    c.ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      const e = JSON.parse(String(data)) as { type: string; status?: string };
      if (e.type === 'start') c.sendJson({ type: 'transfer', to });
      if (e.type === 'transfer' && e.status === 'ringing' && leftAt === 0) {
        leftAt = Date.now();
        if (how === 'drop') c.ws.terminate();
        else c.ws.close(1000, 'handed over');
      }
    });
  };
  return { leftAt: () => leftAt };
}

/** Arrival times of the caller-side packets where `hz` dominates. */
function toneArrivals(listener: RtpListener, hz: number): number[] {
  return listener.packets
    .filter((p) => goertzelAmplitude(p.payloadType === 8 ? alawmulaw.alaw.decode(p.payload) : alawmulaw.mulaw.decode(p.payload), 8000, hz) > 2000)
    .map((p) => p.at!);
}

describe('the bot leaves while its own transfer rings', () => {
  it.each([
    { how: 'drop' as const, path: '/drops', number: '+15550130' },
    { how: 'close' as const, path: '/leaves', number: '+15550131' },
    // Reopened in vain (every new upgrade refused) while hold audio plays: the answer ends the attempts and the hold.
    { how: 'drop' as const, path: '/retries', number: '+15550133' },
  ])('its socket $how ($path): the transfer goes on, the destination answers, one BYE each side, nothing left', async ({ how, path, number }) => {
    const bot = transferThenLeave(path, 'agent-desk', how);
    bots.upgrade = (p, n) => (p === '/retries' && n > 1 ? { refuse: 503 } : 'accept');
    const media = await AgentMedia.start(1000);
    const uas = await startSippUas({ scenario: 'uas-ring-then-answer-media-by-key.xml', port: agentPort, keys: { agent_rtp_port: media.port }, args: ['-d', String(RING_MS)] });
    const listener = await RtpListener.start();
    const t0 = Date.now();
    try {
      const run = await call('uac-pcap-g711a-caller-hangup.xml', number, listener, ['-d', '6000']);
      expect(run.code, describeSipp(run)).toBe(0);
      const agentRun = await uas.done;
      expect(agentRun.code, describeSipp(agentRun)).toBe(0);
      // The bot left before the destination answered.
      const answeredAt = tracedMessages(agentRun).find((m) => m.dir === 'sent' && m.line.startsWith('SIP/2.0 200'))!.at;
      expect(bot.leftAt()).toBeGreaterThan(0);
      expect(bot.leftAt()).toBeLessThan(answeredAt);
      // Caller and destination heard each other.
      expect(strongestWindow(heard(listener), 8000, 1000, 4000, 800).level).toBeGreaterThan(2000);
      expect(media.received.length).toBeGreaterThan(50);
      // The caller hung up: it got no BYE from us; the destination got exactly one.
      expect(received(run, 'BYE')).toEqual([]);
      expect(received(agentRun, 'BYE')).toHaveLength(1);
      const ended = await endedSince(t0);
      expect(ended.map((l) => l.reason)).toEqual(['caller-hangup']);
      // Without a reconnect window the drop reaches call control at once; with one, the engine is still reopening
      // the socket when the destination answers (and the bot is let go then).
      const left = path === '/retries' ? 'bot connection dropped; the engine is reconnecting' : 'bot left during a transfer; the transfer goes on';
      await bridge.waitForLog((l) => l.msg === left && at(l) >= t0);
      await bridge.waitForLog((l) => l.msg === 'bridged transfer answered' && at(l) >= t0);
      if (path === '/retries') {
        // Hold audio while the bot was away, none once the destination talked.
        const holdAt = toneArrivals(listener, HOLD_HZ);
        const agentAt = toneArrivals(listener, 1000);
        expect(holdAt.length).toBeGreaterThan(10);
        expect(holdAt[holdAt.length - 1]).toBeLessThan(agentAt[0] + 200);
        expect(bots.upgrades.filter((u) => u.path === '/retries').length).toBeGreaterThanOrEqual(2);
      }
      await noCallLeft();
    } finally {
      bots.upgrade = () => 'accept';
      uas.kill();
      media.close();
      listener.close();
    }
  });

  it('the transfer then fails (no answer within ringTimeoutSec): the fallback prompt plays, then BYE (bot-lost)', async () => {
    transferThenLeave('/dropsfail', 'slow-desk', 'drop');
    const uas = await startSippUas({ scenario: 'uas-ring-no-answer.xml', port: agentPort });
    const listener = await RtpListener.start();
    const t0 = Date.now();
    try {
      const run = await call('uac-expect-bye-from-bridge.xml', '+15550132', listener);
      expect(run.code, describeSipp(run)).toBe(0);
      const agentRun = await uas.done;
      expect(agentRun.code, describeSipp(agentRun)).toBe(0); // rang, then CANCEL
      expect(received(agentRun, 'CANCEL')).toHaveLength(1);
      const { level, win } = strongestWindow(heard(listener), 8000, PROMPT_HZ, 4000, 800);
      expect(level).toBeGreaterThan(5000);
      expect(goertzelAmplitude(win, 8000, 1000)).toBeLessThan(level / 20);
      expect(received(run, 'BYE')).toHaveLength(1);
      const ended = await endedSince(t0);
      expect(ended.map((l) => l.reason)).toEqual(['bot-lost']);
      await bridge.waitForLog((l) => l.msg === 'the transfer failed after the bot left' && at(l) >= t0);
      await noCallLeft();
    } finally {
      uas.kill();
      listener.close();
    }
  });
});

describe('outbound calls: the outbound trunk\'s fallback', () => {
  async function place(bot: string): Promise<{ status: number; body: Record<string, unknown> }> {
    const res = await fetch(`http://127.0.0.1:${bridge.metricsPort}/v1/calls`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ to: '+15557654321', trunk: 'out-play', bot }),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  it.each([
    { what: 'the bot cannot be reached: the call rings on and the callee', bot: 'refuser', reason: 'bot-unavailable' },
    { what: 'the bot drops mid-call: the callee', bot: 'outdrops', reason: 'bot-lost' },
  ])('$what hears the prompt, then BYE ($reason)', async ({ bot, reason }) => {
    bots.behaviour = (p, c) => {
      if (p === '/outdrops') c.ws.once('message', () => setTimeout(() => c.ws.terminate(), 500));
    };
    const media = await AgentMedia.start(1000);
    const uas = await startSippUas({ scenario: 'uas-answer-media-by-key.xml', port: calleePort, keys: { agent_rtp_port: media.port } });
    const t0 = Date.now();
    try {
      const res = await place(bot);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body).toMatchObject({ status: 'answered' });
      const calleeRun = await uas.done;
      expect(calleeRun.code, describeSipp(calleeRun)).toBe(0);
      expect(received(calleeRun, 'BYE')).toHaveLength(1);
      const { level } = strongestWindow(heardBy(media), 8000, PROMPT_HZ, 4000, 800);
      expect(level).toBeGreaterThan(5000);
      const ended = await endedSince(t0);
      expect(ended.map((l) => l.reason)).toEqual([reason]);
      await noCallLeft();
    } finally {
      uas.kill();
      media.close();
    }
  });
});

describe('the bridge itself', () => {
  it('logged no error', () => {
    expect(bridge.logs.filter((l) => l.level >= 50)).toEqual([]);
  });
});
