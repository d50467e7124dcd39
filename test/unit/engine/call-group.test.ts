// InProcessMediaEngine / InProcessCallGroup: one call's legs (real RTP ports from a real pool on loopback), its
// bot connection (a fake connector and session) and the router between them. Ports are checked back in the pool
// after every test. Sending is driven by the manual clock; arrivals on the sockets are awaited as conditions.
import { EventEmitter } from 'node:events';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import alawmulaw from 'alawmulaw';
import { ManualClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/logger.js';
import { PortPoolExhaustedError } from '../../../src/core/errors.js';
import { DEFAULT_LINK, type BotSession, type BotTarget, type ConnectContext } from '../../../src/bot/index.js';
import { codecRegistry, dbfsOfMeanSquare, encodeWav, RtpPortPool, SILENCE_DBFS, writeRtpPacket, type RtpHold } from '../../../src/media/index.js';
import type { RecordingEvent } from '../../../src/engine/recording/settings.js';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateTone, goertzel } from '../../helpers/audio.js';
import { InProcessMediaEngine, type InProcessCallGroup, type InProcessMediaLeg, type LegMediaOptions } from '../../../src/engine/index.js';
import { FarEnd, LOOPBACK } from '../media/helpers/far-end.js';
import { reservePorts } from '../../helpers/ports.js';
import { waitFor } from '../../helpers/wait-for.js';

const PCMU = codecRegistry.get('PCMU')!;
/** A bot without reconnects: the engine hands call control its session as it is (reconnects: below). */
const TARGET: BotTarget = { name: 'support', url: 'ws://bot.example/ws', sampleRate: 8000, connectTimeoutMs: 5000, link: { ...DEFAULT_LINK, reconnectMs: 0 } };

/** The bot's socket: emits 'audio' and 'command'; records what it is sent. */
class FakeBotSession extends EventEmitter {
  sendStart = vi.fn();
  sendAudio = vi.fn();
  sendEvent = vi.fn();
  stop = vi.fn();
  framesDropped = 0;
}

/** The connector behind the engine: opens at once, or waits for the test ('manual'). */
class FakeConnector {
  mode: 'open' | 'manual' = 'open';
  readonly contexts: ConnectContext[] = [];
  readonly targets: BotTarget[] = [];
  readonly sessions: FakeBotSession[] = [];
  private readonly pending: Array<(s: FakeBotSession) => void> = [];
  connect = (target: BotTarget, ctx: ConnectContext): Promise<BotSession> => {
    this.contexts.push(ctx);
    this.targets.push(target);
    return new Promise((resolve) => {
      const open = (s: FakeBotSession) => resolve(s as unknown as BotSession);
      if (this.mode === 'open') open(this.session());
      else this.pending.push(open);
    });
  };
  /** Opens the oldest pending connection. */
  openPending(): FakeBotSession {
    const s = this.session();
    this.pending.shift()!(s);
    return s;
  }
  private session(): FakeBotSession {
    const s = new FakeBotSession();
    this.sessions.push(s);
    return s;
  }
}

const PORTS = 40;
let pool: RtpPortPool;
beforeAll(async () => {
  const base = await reservePorts(PORTS);
  pool = new RtpPortPool({ min: base, max: base + PORTS - 1, host: LOOPBACK });
});

let clock: ManualClock;
let connector: FakeConnector;
let engine: InProcessMediaEngine;
let group: InProcessCallGroup;
const sockets: FarEnd[] = [];
beforeEach(() => {
  clock = new ManualClock(1000);
  connector = new FakeConnector();
  engine = new InProcessMediaEngine({ ports: pool, clock, connectBot: connector.connect });
  group = engine.openCall({ callId: 'call-1', logger: silentLogger() });
});
afterEach(() => {
  group.close();
  for (const s of sockets.splice(0)) s.socket.close();
  expect(engine.openCalls).toBe(0);
  expect(pool.inUse()).toBe(0);
});
afterAll(() => {
  expect(pool.inUse()).toBe(0);
});

/** A phone on loopback: a UDP socket sending and receiving RTP. */
async function phone(): Promise<FarEnd> {
  const p = await new FarEnd().bind();
  sockets.push(p);
  return p;
}

function legOptions(remotePort: number, over: Partial<LegMediaOptions> = {}): LegMediaOptions {
  return {
    logger: silentLogger(), codec: PCMU, payloadType: 0, remote: { address: LOOPBACK, port: remotePort },
    ptimeMs: 20, appSampleRate: 8000, idleFill: 'none', latching: 'off', ...over,
  };
}

/** A 20 ms PCMU packet of a 400 Hz tone; its payload decodes to exact 16-bit samples. */
function pcmuPacket(seq: number): { packet: Buffer; payload: Buffer } {
  const tone = Int16Array.from({ length: 160 }, (_, i) => Math.round(8000 * Math.sin((2 * Math.PI * 400 * i) / 8000)));
  const payload = Buffer.from(alawmulaw.mulaw.encode(tone));
  return { packet: writeRtpPacket({ payloadType: 0, sequenceNumber: seq, timestamp: seq * 160, ssrc: 0xabc }, payload), payload };
}
/** The L16 frame a PCMU payload decodes to at 8 kHz. */
const l16Of = (payload: Buffer): Buffer => Buffer.from(alawmulaw.mulaw.decode(payload).buffer);

describe('InProcessCallGroup: legs and ports', () => {
  it('allocates ports from the pool as legs leg1, leg2...; open makes media of the same name; the engine counts the call', async () => {
    expect(engine.openCalls).toBe(1);
    const a = await group.allocate();
    const b = await group.allocate({ holdEarlyPackets: true });
    expect([a.id, b.id]).toEqual(['leg1', 'leg2']);
    expect(a.port).not.toBe(b.port);
    expect(pool.inUse()).toBe(2);
    const media = a.open(legOptions(9));
    expect(media.id).toBe('leg1');
    expect(media.canSendDtmf).toBe(false);
    expect(media.stats).toMatchObject({ packetsReceived: 0, packetsSent: 0 });
    // Another call numbers its legs from 1 again.
    const other = engine.openCall({ callId: 'call-2', logger: silentLogger() });
    expect(engine.openCalls).toBe(2);
    expect((await other.allocate()).id).toBe('leg1');
    other.close();
    expect(engine.openCalls).toBe(1);
  });

  it('a leg opens once; release after open does nothing; release before open gives the port back, twice safely', async () => {
    const a = await group.allocate();
    const b = await group.allocate();
    const media = a.open(legOptions(9));
    expect(() => a.open(legOptions(9))).toThrow(/already open/);
    a.release();
    expect(pool.inUse()).toBe(2);
    b.release();
    b.release();
    expect(pool.inUse()).toBe(1);
    expect(() => b.open(legOptions(9))).toThrow(/already released/);
    media.close();
    media.close();
    expect(pool.inUse()).toBe(0);
  });

  it('close releases every port (opened or bare), stops a bot not stopped yet with error, and is safe twice', async () => {
    const a = await group.allocate();
    await group.allocate();
    await group.allocate({ holdEarlyPackets: true });
    a.open(legOptions(9)).start();
    await group.connectBot(TARGET);
    expect(pool.inUse()).toBe(3);
    group.close();
    group.close();
    expect(pool.inUse()).toBe(0);
    expect(engine.openCalls).toBe(0);
    expect(connector.sessions[0].stop.mock.calls).toEqual([['error']]);
  });

  it('after close, allocate and connectBot reject and route is ignored', async () => {
    group.close();
    await expect(group.allocate()).rejects.toThrow(/closed/);
    await expect(group.connectBot(TARGET)).rejects.toThrow(/closed/);
    expect(() => group.route({ bot: ['leg1'] })).not.toThrow();
    expect(connector.contexts).toEqual([]);
  });

  it('a port bound while the call closes is given back and allocate rejects', async () => {
    const pending = group.allocate();
    group.close();
    await expect(pending).rejects.toThrow(/ended/);
    expect(pool.inUse()).toBe(0);
  });

  it('a full pool rejects allocate with PortPoolExhaustedError', async () => {
    const legs: InProcessMediaLeg[] = [];
    for (let i = 0; i < pool.size; i++) legs.push(await group.allocate());
    await expect(group.allocate()).rejects.toBeInstanceOf(PortPoolExhaustedError);
    expect(pool.inUse()).toBe(pool.size);
  });
});

describe('InProcessCallGroup: the bot connection', () => {
  it('connects through the connector with the call id, the clock and the abort signal', async () => {
    const abort = new AbortController();
    await group.connectBot(TARGET, { abort: abort.signal });
    expect(connector.contexts).toHaveLength(1);
    expect(connector.contexts[0]).toMatchObject({ callId: 'call-1', clock, abort: abort.signal });
  });

  it('connectBot twice rejects (one bot per call)', async () => {
    await group.connectBot(TARGET);
    await expect(group.connectBot(TARGET)).rejects.toThrow(/already has a bot/);
    expect(connector.contexts).toHaveLength(1);
  });

  // The port allows one bot per call; the group checks `this.bot`, which is set only once a connection is open,
  // so a second request made while the first is pending opens a second socket and the first bot is orphaned:
  // close() then stops only the second one.
  it('a second connectBot while the first is still connecting rejects, and every bot opened is stopped at close', async () => {
    connector.mode = 'manual';
    const first = group.connectBot(TARGET);
    const second = group.connectBot(TARGET);
    const settled = Promise.allSettled([first, second]);
    while (connector.contexts.length > connector.sessions.length) connector.openPending();
    const [a, b] = await settled;
    group.close();
    expect(a.status).toBe('fulfilled');
    expect.soft(b.status, 'the second connectBot').toBe('rejected');
    expect.soft(connector.contexts, 'connection attempts').toHaveLength(1);
    expect(connector.sessions.map((s) => s.stop.mock.calls.length > 0), 'each bot session stopped').toEqual(connector.sessions.map(() => true));
  });

  it('a bot that connects after the call closed is stopped with error and connectBot rejects', async () => {
    connector.mode = 'manual';
    const pending = group.connectBot(TARGET);
    pending.catch(() => {});
    group.close();
    const session = connector.openPending();
    await expect(pending).rejects.toThrow(/ended/);
    expect(session.stop.mock.calls).toEqual([['error']]);
  });

  it("the bot's clear and mark stay in the engine; its other commands, close and protocol errors reach call control", async () => {
    const caller = await phone();
    const leg = await group.allocate();
    leg.open(legOptions(caller.port)).start();
    const control = await group.connectBot(TARGET);
    const session = connector.sessions[0];
    group.route({ leg1: ['bot'], bot: ['leg1'] });
    const commands: unknown[] = [];
    const closes: unknown[] = [];
    const errors: unknown[] = [];
    control.on('command', (c) => commands.push(c));
    control.on('close', (i) => closes.push(i));
    control.on('protocol-error', (e) => errors.push(e.message));

    session.emit('command', { type: 'clear' });
    session.emit('command', { type: 'mark', name: 'm1' }); // nothing queued: reached at once
    session.emit('command', { type: 'hangup', reason: 'bye' });
    session.emit('command', { type: 'dtmf', digits: '1', durationMs: 100 });
    session.emit('protocol-error', new Error('bad json'));
    session.emit('close', { code: 1000, reason: '', initiatedByBot: true });
    expect(session.sendEvent.mock.calls.map((c) => c[0])).toEqual([{ type: 'cleared', playedMs: 0 }, { type: 'mark', name: 'm1' }]);
    expect(commands).toEqual([{ type: 'hangup', reason: 'bye' }, { type: 'dtmf', digits: '1', durationMs: 100 }]);
    expect(closes).toEqual([{ code: 1000, reason: '', initiatedByBot: true }]);
    expect(errors).toEqual(['bad json']);

    control.sendStart({ type: 'start' } as never);
    control.sendEvent({ type: 'answered' });
    control.stop('bot-hangup');
    expect(session.sendStart).toHaveBeenCalledOnce();
    expect(session.sendEvent).toHaveBeenLastCalledWith({ type: 'answered' });
    expect(session.stop).toHaveBeenCalledWith('bot-hangup', undefined);
  });
});

describe('InProcessCallGroup: audio on real RTP', () => {
  it('caller RTP reaches the bot as a frame, and bot audio leaves as RTP to the caller within a send tick', async () => {
    const caller = await phone();
    const leg = await group.allocate();
    const media = leg.open(legOptions(caller.port));
    await group.connectBot(TARGET);
    const session = connector.sessions[0];
    group.route({ leg1: ['bot'], bot: ['leg1'] });
    media.start();

    const { packet, payload } = pcmuPacket(1);
    await caller.send(packet, leg.port);
    await waitFor(() => session.sendAudio.mock.calls.length === 1, { what: "the caller's frame at the bot" });
    expect(session.sendAudio.mock.calls[0][0]).toEqual(l16Of(payload));
    expect(media.stats.packetsReceived).toBe(1);

    // The bot answers with the same samples: they leave as the same PCMU bytes, on the next send tick.
    session.emit('audio', l16Of(payload));
    await waitFor(() => {
      clock.advance(20);
      return caller.packets.length === 1;
    }, { what: "the bot's audio at the caller" });
    expect(caller.packets[0].header.payloadType).toBe(0);
    expect(caller.packets[0].payload).toEqual(payload);
    expect(media.stats.packetsSent).toBe(1);
  });

  it('meters the leg both ways: the caller\'s decoded frames (received) and what it is sent (the bot), silence once each stops', async () => {
    const caller = await phone();
    const leg = await group.allocate();
    const media = leg.open(legOptions(caller.port));
    await group.connectBot(TARGET);
    const session = connector.sessions[0];
    group.route({ leg1: ['bot'], bot: ['leg1'] });
    media.start();
    expect(media.levels).toEqual({ received: SILENCE_DBFS, sent: SILENCE_DBFS });

    // 300 ms of a 400 Hz tone from the caller (one meter window): the level of the samples it decodes to.
    const { payload } = pcmuPacket(1);
    const decoded = new Int16Array(l16Of(payload).buffer.slice(0));
    const want = dbfsOfMeanSquare(decoded.reduce((sum, v) => sum + v * v, 0) / decoded.length);
    expect(want).toBeCloseTo(-15.3, 0); // a tone of peak 8000: 20·log10(8000/32768) = −12.2, −3 dB for a sine's RMS
    for (let seq = 1; seq <= 15; seq++) await caller.send(pcmuPacket(seq).packet, leg.port);
    await waitFor(() => session.sendAudio.mock.calls.length === 15, { what: "the caller's frames at the bot" });
    expect(media.levels).toEqual({ received: want, sent: SILENCE_DBFS });

    // The bot speaks 600 ms of the same tone back: what the caller is sent reads the same level (the second window
    // is all tone; the first began with the silent slot the send loop played at start).
    session.emit('audio', Buffer.concat(Array.from({ length: 30 }, () => l16Of(payload))));
    for (let i = 0; i < 30; i++) clock.advance(20);
    await waitFor(() => caller.packets.length >= 30, { what: "the bot's audio at the caller" });
    expect(media.levels?.sent).toBe(want);
    // Nothing more comes from the caller; the send loop goes on with silence: both meters fall to the floor.
    for (let i = 0; i < 45; i++) clock.advance(20);
    expect(media.levels).toEqual({ received: SILENCE_DBFS, sent: SILENCE_DBFS });
  });

  it('a recording taps what the caller hears behind the level meter: both get the bot\'s audio', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tb-group-rec-'));
    const events: RecordingEvent[] = [];
    const recEngine = new InProcessMediaEngine({ ports: pool, clock, connectBot: connector.connect, recordings: { dir, pattern: '{callId}.{ext}', format: 'wav', sampleRate: 8000 }, onRecording: (e) => events.push(e) });
    const recGroup = recEngine.openCall({ callId: 'rec-1', logger: silentLogger() });
    try {
      const caller = await phone();
      const leg = await recGroup.allocate();
      const media = leg.open(legOptions(caller.port));
      await recGroup.connectBot(TARGET);
      recGroup.route({ [leg.id]: ['bot'], bot: [leg.id] });
      media.start();
      expect(recGroup.record('start')).toBe('recording');
      const tone = Int16Array.from({ length: 2400 }, (_, i) => Math.round(16000 * Math.sin((2 * Math.PI * 1000 * i) / 8000)));
      connector.sessions.at(-1)!.emit('audio', Buffer.from(tone.buffer));
      for (let i = 0; i < 15; i++) clock.advance(20);
      expect(media.levels?.sent).toBeCloseTo(-9.2, 0);
      expect(recGroup.record('stop')).toBe('stopped');
      await waitFor(() => {
        clock.advance(100);
        return events.length > 0;
      }, { what: 'the recording finished' });
      const ready = events[0];
      if (ready.type !== 'recording-ready') throw new Error(`recording failed: ${ready.message}`);
      const wav = readFileSync(ready.file);
      const stereo = new Int16Array(wav.buffer.slice(wav.byteOffset + 44, wav.byteOffset + wav.length - ((wav.length - 44) % 4)));
      const right = Int16Array.from({ length: stereo.length / 2 }, (_, i) => stereo[2 * i + 1]);
      expect(goertzel(right, 8000, 1000)).toBeGreaterThan(5000);
    } finally {
      recGroup.close();
    }
  });

  it('packets held before the leg opened are replayed into the bot when the media starts', async () => {
    const callee = await phone();
    const leg = await group.allocate({ holdEarlyPackets: true });
    await group.connectBot(TARGET);
    const session = connector.sessions[0];
    const { packet, payload } = pcmuPacket(7);
    await callee.send(packet, leg.port);
    // The hold is the leg's own; its size is the only sign the packet arrived before anyone listened.
    const hold = (leg as unknown as { hold: RtpHold }).hold;
    await waitFor(() => hold.size === 1, { what: 'the early packet held' });
    leg.answered();
    const media = leg.open(legOptions(callee.port));
    group.route({ bot: ['leg1'] });
    expect(session.sendAudio).not.toHaveBeenCalled();
    media.start();
    expect(session.sendAudio.mock.calls.map((c) => c[0])).toEqual([l16Of(payload)]);
    expect(media.stats.packetsReceived).toBe(1);
  });

  it("a leg whose media closed leaves the router: its port goes back and the bot's audio reaches nobody", async () => {
    const caller = await phone();
    const leg = await group.allocate();
    const media = leg.open(legOptions(caller.port));
    await group.connectBot(TARGET);
    const session = connector.sessions[0];
    group.route({ leg1: ['bot'], bot: ['leg1'] });
    media.start();
    media.close();
    expect(pool.inUse()).toBe(0);
    expect(() => session.emit('audio', Buffer.alloc(320))).not.toThrow();
    expect(() => session.emit('command', { type: 'clear' })).not.toThrow();
    expect(session.sendEvent).toHaveBeenLastCalledWith({ type: 'cleared', playedMs: 0 });
  });
});

/** A WAV prompt of `hz` written to a temp file (8 kHz, `ms` long). */
function promptFile(hz: number, ms: number): string {
  const file = join(mkdtempSync(join(tmpdir(), 'tb-prompt-')), `tone-${hz}.wav`);
  writeFileSync(file, encodeWav(generateTone(hz, 8000, ms, { amplitude: 8000 }), 8000));
  return file;
}

/** The PCMU packets a phone got, decoded. */
const heard = (p: FarEnd): Int16Array => Int16Array.from(p.packets.flatMap((x) => Array.from(alawmulaw.mulaw.decode(x.payload))));

describe('InProcessCallGroup: prompts and reconnects', () => {
  it('play: a prompt file replaces what the leg had queued, plays out as RTP, and resolves once played', async () => {
    const caller = await phone();
    const leg = await group.allocate();
    const media = leg.open(legOptions(caller.port));
    media.start();
    let done = false;
    const played = group.play('leg1', promptFile(1000, 200)).then(() => (done = true));
    for (let t = 0; t < 180; t += 20) clock.advance(20);
    await Promise.resolve();
    expect(done).toBe(false);
    await waitFor(() => {
      clock.advance(20);
      return done;
    }, { what: 'the prompt played out' });
    await played;
    await waitFor(() => caller.packets.length >= 10, { what: 'the prompt at the caller' });
    const pcm = heard(caller);
    expect(goertzel(pcm.subarray(0, 1600), 8000, 1000)).toBeGreaterThan(5000);
    // A leg that closes while a prompt plays ends the wait too.
    const again = group.play('leg1', promptFile(500, 2000));
    media.close();
    await again;
    await expect(group.play('leg1', '/no/such/file.wav')).resolves.toBeUndefined(); // that leg is gone: nothing to play
  });

  it('a drop reconnects here: link events reach call control, hold audio covers the gap, the new socket resumes the call', async () => {
    const caller = await phone();
    const leg = await group.allocate();
    const media = leg.open(legOptions(caller.port));
    const target: BotTarget = { ...TARGET, link: { ...DEFAULT_LINK, reconnectMs: 1000, holdFile: promptFile(600, 1000) } };
    const control = await group.connectBot(target);
    group.route({ leg1: ['bot'], bot: ['leg1'] });
    media.start();
    const links: unknown[] = [];
    const closes: unknown[] = [];
    control.on('link', (e) => links.push(e));
    control.on('close', (i) => closes.push(i));
    control.sendStart({ type: 'start', callId: 'call-1' } as never);
    const first = connector.sessions[0];
    connector.mode = 'manual';

    first.emit('close', { code: 1006, reason: '', initiatedByBot: true });
    expect(links).toEqual([{ state: 'reconnecting', code: 1006, reason: '' }]);
    expect(connector.contexts).toHaveLength(2);
    expect(connector.contexts[1]).toMatchObject({ callId: 'call-1', abort: expect.any(AbortSignal) });
    // Hold audio is queued on the caller's leg at once (the bot had nothing queued), and plays as RTP.
    expect(media.sample().playoutMs).toBeGreaterThan(0);
    await waitFor(() => {
      clock.advance(20);
      return caller.packets.length >= 15;
    }, { what: 'hold audio at the caller' });
    expect(goertzel(heard(caller).subarray(0, 2400), 8000, 600)).toBeGreaterThan(5000);

    const second = connector.openPending();
    await waitFor(() => links.length === 2, { what: 'resumed' });
    expect(links[1]).toMatchObject({ state: 'resumed', attempts: 1 });
    expect(second.sendStart).toHaveBeenCalledExactlyOnceWith({ type: 'start', callId: 'call-1', resumed: true });
    expect(media.sample().playoutMs).toBe(0); // what was left of the hold audio is gone
    expect(closes).toEqual([]);
  });

  it('stopped while reconnecting (a transfer took the caller): the hold audio stops with it', async () => {
    const caller = await phone();
    const leg = await group.allocate();
    const media = leg.open(legOptions(caller.port));
    const target: BotTarget = { ...TARGET, link: { ...DEFAULT_LINK, reconnectMs: 5000, holdFile: promptFile(600, 1000) } };
    const control = await group.connectBot(target);
    group.route({ leg1: ['bot'], bot: ['leg1'] });
    media.start();
    control.sendStart({ type: 'start', callId: 'call-1' } as never);
    connector.mode = 'manual';
    connector.sessions[0].emit('close', { code: 1006, reason: '', initiatedByBot: true });
    expect(media.sample().playoutMs).toBeGreaterThan(0); // hold audio queued
    control.stop('transfer');
    group.route({ leg1: [], bot: [] }); // the caller no longer hears the bot: what it had queued goes
    for (let t = 0; t < 2000; t += 20) clock.advance(20);
    // A hold player still running would have topped the queue up again (it feeds whatever hears the bot).
    group.route({ leg1: ['bot'], bot: ['leg1'] });
    for (let t = 0; t < 200; t += 20) clock.advance(20);
    expect(media.sample().playoutMs).toBe(0);
  });

  it('a bot that does not come back within reconnectMs: lost, then one close with dropped: true', async () => {
    const target: BotTarget = { ...TARGET, link: { ...DEFAULT_LINK, reconnectMs: 800 } };
    const control = await group.connectBot(target);
    const links: Array<{ state: string }> = [];
    const closes: unknown[] = [];
    control.on('link', (e) => links.push(e));
    control.on('close', (i) => closes.push(i));
    connector.mode = 'manual';
    connector.sessions[0].emit('close', { code: 1006, reason: '', initiatedByBot: true });
    clock.advance(799);
    expect(closes).toEqual([]);
    clock.advance(1);
    expect(links.map((l) => l.state)).toEqual(['reconnecting', 'lost']);
    expect(closes).toEqual([{ code: 1006, reason: '', initiatedByBot: true, dropped: true }]);
    // The attempt still pending was aborted; the connector's own timeout was bounded by the window.
    expect(connector.contexts[1].abort?.aborted).toBe(true);
    expect(connector.targets[1].connectTimeoutMs).toBe(800);
  });
});
