/**
 * A bot connection that never strands a caller, end to end: SIPp as the carrier (and as the transfer
 * destination), the bridge as a child process with its media on worker threads, and real `ws` bots written here.
 * Bot refuses (each fallback: 503, a prompt heard by frequency, a transfer the destination answers), bot dies
 * mid-call and reconnects (resumed start, audio both ways again, hold audio in the gap), bot dies and the fallback
 * transfer happens, a clean close hangs up within 2 s without a reconnect, a frozen bot is caught by pings, bot
 * audio beyond maxPlayoutSec is refused (playout-overflow, status), and the signed upgrade verifies with the
 * README's own recipes. (A bot that never reads: bot-backpressure.test.ts.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IncomingMessage } from 'node:http';
import alawmulaw from 'alawmulaw';
import { BridgeProcess } from './harness/bridge-process.js';
import { describeSipp, runSipp, type SippRun } from './harness/sipp.js';
import { PathBots } from './harness/path-bots.js';
import { RtpListener } from './harness/rtp-listener.js';
import { startSippUas } from './harness/sipp-uas.js';
import { AgentMedia } from './harness/agent-media.js';
import { dominantTones, goertzelAmplitude, sineL16, strongestWindow } from './harness/signal.js';
import { testConfig } from './harness/config.js';
import { reservePort, reservePorts } from '../helpers/ports.js';
import { generateTone } from '../helpers/audio.js';
import { encodeWav } from '../../src/media/index.js';
import { nodeRecipe, pythonRecipe } from '../helpers/readme-recipes.js';

const SECRET = 'lifecycle-secret-0123456789';

let bridge: BridgeProcess;
let bots: PathBots;
let agentPort: number;
let sipPort: number;
const prompts = mkdtempSync(join(tmpdir(), 'tb-lifecycle-'));
/** A WAV prompt of one tone (8 or 16 kHz). */
function prompt(name: string, hz: number, ms: number, rate: number): string {
  const file = join(prompts, name);
  writeFileSync(file, encodeWav(generateTone(hz, rate, ms, { amplitude: 12000 }), rate));
  return file;
}

beforeAll(async () => {
  agentPort = await reservePort();
  const rtpBase = await reservePorts(20);
  bots = await PathBots.start();
  const sorry = prompt('sorry.wav', 1000, 1500, 16000); // resampled to the call's rate by the bridge
  const hold = prompt('hold.wav', 600, 1000, 8000);
  const b = bots.base;
  const ws = (path: string, extra = '') => `{ url: "${b}${path}", sampleRate: 8000, connectTimeoutMs: 1500${extra} }`;
  bridge = new BridgeProcess(
    testConfig({
      rtpPortMin: rtpBase,
      rtpPortMax: rtpBase + 19,
      extraMedia: '  latching: off', // RTP goes to the SDP's port (the listener), not to SIPp's pcap source port
      bots: {
        refuser: ws('/refuse'),
        live: ws('/live', `, reconnectMs: 3000, holdFile: "${hold}"`),
        dies: ws('/dies', ', reconnectMs: 1000'),
        clean: ws('/clean', ', reconnectMs: 3000'),
        frozen: ws('/frozen', ', reconnectMs: 3000, pingIntervalMs: 500, pingTimeoutMs: 500'),
        signed: ws('/signed?tenant=acme', `, secret: "${SECRET}"`),
        wrongsecret: ws('/signed?tenant=acme', ', secret: "not-the-bots-secret-000"'),
        greedy: ws('/greedy', ', maxPlayoutSec: 1'),
      },
      numbers: {
        '+15550101': 'refuser',
        '+15550102': `refuser, fallback: { action: play, file: "${sorry}" }`,
        '+15550103': 'refuser, fallback: { action: transfer, to: agent-desk }',
        '+15550104': 'live',
        '+15550105': 'dies, fallback: { action: transfer, to: agent-desk }',
        '+15550106': 'clean',
        '+15550107': 'frozen',
        '+15550108': 'signed',
        '+15550109': 'wrongsecret',
        '+15550110': 'greedy',
      },
    }) +
      `
transferDestinations:
  agent-desk: { uri: "sip:agent@127.0.0.1:${agentPort}", method: bridge, ringTimeoutSec: 5 }
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

async function withListener<T>(fn: (l: RtpListener) => Promise<T>): Promise<T> {
  const l = await RtpListener.start();
  try {
    return await fn(l);
  } finally {
    l.close();
  }
}

/** When the bridge wrote a log line (its ISO timestamp), ms since the epoch. */
const at = (l: Record<string, unknown>): number => Date.parse(String(l.time));

/** The call's `call ended` line (by SIP Call-ID prefix SIPp uses: one call at a time here, so the last one). */
async function endedLine(after: number) {
  return bridge.waitForLog((l) => l.msg === 'call ended' && at(l) >= after, 10_000);
}

/** Runs a SIPp destination with agent media talking a 1 kHz tone back once it hears the bridge. */
async function destination() {
  const media = await AgentMedia.start(1000);
  const uas = await startSippUas({ scenario: 'uas-answer-media-by-key.xml', port: agentPort, keys: { agent_rtp_port: media.port } });
  return { media, uas };
}

describe('the bot cannot be reached: the fallback', () => {
  it('reject (the default): 503, never answered', async () => {
    await withListener(async (l) => {
      const run = await call('uac-expect-503.xml', '+15550101', l);
      expect(run.code, describeSipp(run)).toBe(0);
      expect(run.messages).not.toContain('SIP/2.0 200 OK');
    });
  });

  it('play: answered, the caller hears the prompt (1 kHz), then BYE', async () => {
    const t0 = Date.now();
    await withListener(async (l) => {
      const run = await call('uac-expect-bye-from-bridge.xml', '+15550102', l);
      expect(run.code, describeSipp(run)).toBe(0);
      const pcm = heard(l);
      const { level, win } = strongestWindow(pcm, 8000, 1000, 4000, 800);
      expect(level).toBeGreaterThan(5000);
      expect(goertzelAmplitude(win, 8000, 600)).toBeLessThan(level / 20);
      // About the prompt's 1.5 s, then the BYE: not a call left open.
      expect(pcm.length).toBeGreaterThan(8000 * 1.3);
      expect(pcm.length).toBeLessThan(8000 * 3);
    });
    const ended = await endedLine(t0);
    expect(ended.reason).toBe('bot-unavailable');
  });

  it('transfer: answered and bridged to the destination (SIPp), whose 1 kHz reaches the caller', async () => {
    const { media, uas } = await destination();
    try {
      await withListener(async (l) => {
        const run = await call('uac-pcap-g711a-caller-hangup.xml', '+15550103', l, ['-d', '5000']);
        expect(run.code, describeSipp(run)).toBe(0);
        const agentRun = await uas.done;
        expect(agentRun.code, describeSipp(agentRun)).toBe(0); // answered, then BYE from the bridge when the caller left
        const { level } = strongestWindow(heard(l), 8000, 1000, 4000, 800);
        expect(level).toBeGreaterThan(2000);
        expect(media.received.length).toBeGreaterThan(50); // the caller's audio reached the destination
      });
    } finally {
      uas.kill();
      media.close();
    }
  });
});

describe('the bot drops mid-call', () => {
  it('reconnects: the new socket gets start with resumed:true for the same call; hold audio fills the gap; audio flows both ways again', async () => {
    bots.upgrade = (path, n) => (path === '/live' && n === 2 ? { delayMs: 800 } : 'accept');
    bots.behaviour = (path, c, n) => {
      if (path !== '/live') return;
      c.ws.once('message', () => {
        if (n === 1) {
          c.sendPcm(sineL16(400, 8000, 1000)); // 1 s of speech, then the connection dies
          setTimeout(() => c.ws.terminate(), 1200);
        } else {
          c.sendPcm(sineL16(1000, 8000, 1500));
        }
      });
    };
    const t0 = Date.now();
    await withListener(async (l) => {
      const run = await call('uac-pcap-g711a-caller-hangup.xml', '+15550104', l, ['-d', '6000']);
      expect(run.code, describeSipp(run)).toBe(0);
      const [first, second] = bots.conns('/live');
      expect(bots.conns('/live')).toHaveLength(2);
      await second.until(() => second.closeCode !== undefined, 5000, 'close');
      const start1 = first.event('start')!;
      const start2 = second.event('start')!;
      expect(start1.resumed).toBeUndefined();
      expect(start2).toEqual({ ...start1, resumed: true });
      expect(second.event('stop')).toMatchObject({ reason: 'caller-hangup' });
      // The caller's speech reaches the new socket.
      const loud = second.frames.filter((f) => rms(f) > 300).length;
      expect(loud).toBeGreaterThan(40);
      // At the caller: the first bot's 400 Hz, then hold (600 Hz), then the new bot's 1 kHz, in that order,
      // and no more than 0.5 s of silence between the first bot going quiet and the hold.
      const tones = dominantTones(heard(l), 8000, [400, 600, 1000]);
      const [BOT1, HOLD, BOT2] = [0, 1, 2];
      const firstOf = (i: number) => tones.indexOf(i);
      const lastOf = (i: number) => tones.lastIndexOf(i);
      expect(tones.filter((t) => t === BOT1).length, tones.join(',')).toBeGreaterThanOrEqual(8); // ~1 s of the first bot
      expect(firstOf(HOLD), tones.join(',')).toBeGreaterThan(lastOf(BOT1));
      expect(firstOf(BOT2), tones.join(',')).toBeGreaterThan(lastOf(HOLD));
      expect(firstOf(HOLD) - lastOf(BOT1), tones.join(',')).toBeLessThanOrEqual(5);
      expect(tones.filter((t) => t === HOLD).length, tones.join(',')).toBeGreaterThanOrEqual(4); // the 0.8 s the bot took to come back
      expect(tones.filter((t) => t === BOT2).length, tones.join(',')).toBeGreaterThanOrEqual(12); // ~1.5 s of the new bot
    });
    const resumed = await bridge.waitForLog((l) => l.msg === 'bot connection resumed' && at(l) >= t0);
    expect(Number(resumed.downMs)).toBeLessThan(3000);
    expect((await endedLine(t0)).reason).toBe('caller-hangup');
  });

  it('does not come back within reconnectMs: the fallback transfer happens and the destination answers', async () => {
    bots.upgrade = (path, n) => (path === '/dies' && n > 1 ? { refuse: 503 } : 'accept');
    bots.behaviour = (path, c) => {
      if (path === '/dies') c.ws.once('message', () => setTimeout(() => c.ws.terminate(), 500));
    };
    const { media, uas } = await destination();
    const t0 = Date.now();
    try {
      await withListener(async (l) => {
        const run = await call('uac-pcap-g711a-caller-hangup.xml', '+15550105', l, ['-d', '7000']);
        expect(run.code, describeSipp(run)).toBe(0);
        expect((await uas.done).code).toBe(0);
        expect(strongestWindow(heard(l), 8000, 1000, 4000, 800).level).toBeGreaterThan(2000);
      });
    } finally {
      uas.kill();
      media.close();
    }
    const lost = await bridge.waitForLog((l) => l.msg === 'bot did not come back within reconnectMs' && at(l) >= t0);
    expect(Number(lost.downMs)).toBeGreaterThanOrEqual(1000);
    expect(Number(lost.attempts)).toBeGreaterThanOrEqual(2);
    expect(bots.upgrades.filter((u) => u.path === '/dies').length).toBeGreaterThanOrEqual(3);
    await bridge.waitForLog((l) => l.msg === 'bridged transfer answered' && at(l) >= t0);
  });

  it('a bot that closes cleanly has hung up: BYE within 2 s, no reconnect', async () => {
    let closedAt = 0;
    bots.upgrade = () => 'accept';
    bots.behaviour = (path, c) => {
      if (path === '/clean') c.ws.once('message', () => setTimeout(() => {
        closedAt = Date.now();
        c.ws.close(1000, 'done');
      }, 500));
    };
    await withListener(async (l) => {
      const run = await call('uac-expect-bye-from-bridge.xml', '+15550106', l);
      expect(run.code, describeSipp(run)).toBe(0);
    });
    const ended = await endedLine(closedAt);
    expect(ended.reason).toBe('bot-closed');
    expect(at(ended) - closedAt).toBeLessThan(2000);
    expect(bots.conns('/clean')).toHaveLength(1);
  });

  it('a bot that stops answering pings is treated as dropped and reconnected', async () => {
    bots.behaviour = (path, c, n) => {
      if (path !== '/frozen') return;
      c.ws.once('message', () => {
        if (n === 1) (c.ws as unknown as { _socket: { pause(): void } })._socket.pause(); // frozen: reads nothing, answers no ping
        else setTimeout(() => c.sendJson({ type: 'hangup' }), 500);
      });
    };
    const t0 = Date.now();
    await withListener(async (l) => {
      const run = await call('uac-expect-bye-from-bridge.xml', '+15550107', l);
      expect(run.code, describeSipp(run)).toBe(0);
    });
    await bridge.waitForLog((l) => l.msg === 'bot did not answer a ping in time; treating the connection as dropped' && at(l) >= t0);
    const second = bots.conns('/frozen')[1];
    expect(second.event('start')).toMatchObject({ resumed: true });
    expect((await endedLine(t0)).reason).toBe('bot-hangup');
  });
});

describe('backpressure, visible to the bot', () => {
  it('bot audio beyond maxPlayoutSec is refused with playout-overflow; status tells the depth and what was refused', async () => {
    bots.behaviour = (path, c) => {
      if (path !== '/greedy') return;
      c.ws.once('message', () => {
        for (let i = 0; i < 30; i++) c.sendPcm(sineL16(1000, 8000, 100)); // 3 s at once, 1 s allowed
        c.sendJson({ type: 'status' });
        setTimeout(() => c.sendJson({ type: 'hangup' }), 2500);
      });
    };
    await withListener(async (l) => {
      const run = await call('uac-expect-bye-from-bridge.xml', '+15550110', l);
      expect(run.code, describeSipp(run)).toBe(0);
      // The caller heard about the 1 s that was taken, not 3 s.
      const tones = dominantTones(heard(l), 8000, [1000]);
      const toneBlocks = tones.filter((t) => t === 0).length;
      expect(toneBlocks, tones.join(',')).toBeGreaterThanOrEqual(8);
      expect(toneBlocks, tones.join(',')).toBeLessThanOrEqual(12);
    });
    const c = bots.conns('/greedy')[0];
    const errors = c.events.filter((e) => e.type === 'error');
    expect(errors).toEqual([{ type: 'error', code: 'playout-overflow', message: expect.stringMatching(/1000 ms/) }]);
    const status = c.event('status') as { playoutMs: number; maxPlayoutMs: number; refusedMs: number; framesDropped: number };
    expect(status.maxPlayoutMs).toBe(1000);
    expect(status.playoutMs).toBeGreaterThan(800);
    expect(status.playoutMs).toBeLessThanOrEqual(1000);
    expect(status.refusedMs).toBeGreaterThanOrEqual(1900);
    expect(status.framesDropped).toBe(0);
  });
});

describe('signed start', () => {
  it('the upgrade verifies with the README recipes (Node and Python); a bridge with another secret is refused', async () => {
    const verify = await nodeRecipe();
    const url = `${bots.base}/signed?tenant=acme`;
    bots.verify = (headers, path) => !path.startsWith('/signed') || verify(headers, SECRET, url);
    bots.behaviour = (path, c) => {
      if (path.startsWith('/signed')) c.ws.once('message', () => setTimeout(() => c.sendJson({ type: 'hangup' }), 300));
    };
    try {
      await withListener(async (l) => {
        const run = await call('uac-expect-bye-from-bridge.xml', '+15550108', l);
        expect(run.code, describeSipp(run)).toBe(0);
        const refused = await call('uac-expect-503.xml', '+15550109', l);
        expect(refused.code, describeSipp(refused)).toBe(0);
      });
    } finally {
      bots.verify = undefined;
    }
    const [good, bad] = bots.upgrades.filter((u) => u.path.startsWith('/signed'));
    const start = bots.conns('/signed?tenant=acme')[0].event('start')!;
    expect(good.headers['x-trunkbridge-call-id']).toBe(start.callId);
    const asStrings = (h: IncomingMessage['headers']) => Object.fromEntries(Object.entries(h).map(([k, v]) => [k, String(v)]));
    expect(pythonRecipe(asStrings(good.headers), SECRET, url)).toBe(true);
    expect(pythonRecipe(asStrings(bad.headers), SECRET, url)).toBe(false);
    expect(verify(bad.headers, SECRET, url)).toBe(false);
    // The secret itself is never in the bridge's logs.
    expect(JSON.stringify(bridge.logs)).not.toContain(SECRET);
  });
});

describe('the bridge itself', () => {
  it('logged no error through all of that (a lost bot is a warning, not a fault of ours)', () => {
    expect(bridge.logs.filter((l) => l.level >= 50)).toEqual([]);
  });
});

function rms(frame: Buffer): number {
  let sum = 0;
  for (let i = 0; i + 1 < frame.length; i += 2) sum += frame.readInt16LE(i) ** 2;
  return Math.sqrt(sum / (frame.length / 2));
}
