// ReconnectingBotSession on the manual clock: which closes reconnect, when the window ends, what the new socket
// is told (start again with resumed:true, then what was said meanwhile), and that nothing from a dead socket leaks.
import { describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/logger.js';
import {
  BaseBotSession,
  DIALECTS,
  DROP_CLOSE_CODES,
  isDropClose,
  ReconnectingBotSession,
  type BotCloseInfo,
  type BotLinkEvent,
  type BotSession,
  type BridgeEvent,
  type StartMessage,
} from '../../../src/bot/index.js';

const START: StartMessage = {
  type: 'start', callId: 'call-1', sipCallId: 'sip-1', from: '+15551230001', to: '+15550100', trunk: 'carrier-a',
  direction: 'inbound', headers: {}, media: { encoding: 'L16', sampleRate: 16000, channels: 1, frameMs: 20 },
};

/** One socket's session: records what it is sent; the test makes it talk and close. */
class FakeSocketSession extends BaseBotSession implements BotSession {
  readonly starts: StartMessage[] = [];
  /** `beforeAnswer` flags of each sendStart, in order. */
  readonly startFlags: boolean[] = [];
  readonly audio: Buffer[] = [];
  readonly events: BridgeEvent[] = [];
  readonly stops: string[] = [];
  dropped = 0;
  sendStart(msg: StartMessage, options?: { beforeAnswer?: boolean }): void {
    this.starts.push(msg);
    this.startFlags.push(options?.beforeAnswer === true);
  }
  sendAudio(frame: Buffer): void {
    this.audio.push(frame);
  }
  sendEvent(e: BridgeEvent): void {
    this.events.push(e);
  }
  stop(reason: string): void {
    this.stops.push(reason);
    this.close({ code: 1000, reason, initiatedByBot: false });
  }
  override get framesDropped(): number {
    return this.dropped;
  }
  close(info: BotCloseInfo): void {
    this.finish(info);
  }
}

/** Connection attempts the test answers one by one. */
function connector() {
  const attempts: Array<{ timeoutMs: number; abort: AbortSignal; open(): FakeSocketSession; refuse(): void }> = [];
  const connect = vi.fn(({ timeoutMs, abort }: { timeoutMs: number; abort: AbortSignal }) =>
    new Promise<BotSession>((resolve, reject) => {
      abort.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
      attempts.push({
        timeoutMs,
        abort,
        open: () => {
          const s = new FakeSocketSession();
          resolve(s);
          return s;
        },
        refuse: () => reject(new Error('ECONNREFUSED')),
      });
    }),
  );
  return { attempts, connect };
}

function setup(reconnectMs = 2000) {
  const clock = new ManualClock();
  const first = new FakeSocketSession();
  const c = connector();
  const session = new ReconnectingBotSession(first, { clock, logger: silentLogger(), reconnectMs, connect: c.connect });
  const links: BotLinkEvent[] = [];
  const closes: BotCloseInfo[] = [];
  const audio: Buffer[] = [];
  session.on('link', (e) => links.push(e));
  session.on('close', (i) => closes.push(i));
  session.on('audio', (pcm) => audio.push(pcm));
  return { clock, first, session, links, closes, audio, ...c };
}

/** Lets promise callbacks run (connect attempts settle on microtasks). */
const settle = () => new Promise<void>((r) => setTimeout(r, 0));

describe('isDropClose', () => {
  it.each([...DROP_CLOSE_CODES])('code %i from the bot is a drop', (code) => {
    expect(isDropClose({ code, reason: '', initiatedByBot: true })).toBe(true);
  });
  it.each([1000, 1005, 1008, 4000])('code %i from the bot is a hang-up', (code) => {
    expect(isDropClose({ code, reason: '', initiatedByBot: true })).toBe(false);
  });
  it('our own stop is never a drop; an explicit dropped flag always is', () => {
    expect(isDropClose({ code: 1006, reason: '', initiatedByBot: false })).toBe(false);
    expect(isDropClose({ code: 1000, reason: 'ping timeout', initiatedByBot: true, dropped: true })).toBe(true);
  });
});

describe('ReconnectingBotSession', () => {
  it('a bot that closes cleanly has hung up: the close passes at once, no reconnect is tried', () => {
    const { first, session, closes, links, connect } = setup();
    session.sendStart(START);
    first.close({ code: 1000, reason: 'bye', initiatedByBot: true });
    expect(closes).toEqual([{ code: 1000, reason: 'bye', initiatedByBot: true }]);
    expect(links).toEqual([]);
    expect(connect).not.toHaveBeenCalled();
  });

  it('a drop reconnects: the new socket gets start for the same call with resumed:true, then what was said meanwhile; audio flows again', async () => {
    const { clock, first, session, closes, links, audio, attempts } = setup();
    session.sendStart(START);
    session.sendAudio(Buffer.alloc(4, 1));
    expect(first.audio).toHaveLength(1);
    first.close({ code: 1006, reason: '', initiatedByBot: true });
    expect(links).toEqual([{ state: 'reconnecting', code: 1006, reason: '' }]);
    expect(attempts).toHaveLength(1);
    expect(attempts[0].timeoutMs).toBe(2000); // the whole window for the first attempt

    session.sendAudio(Buffer.alloc(4, 2)); // nobody to hear it
    session.sendEvent({ type: 'dtmf', digit: '5', durationMs: 100 });
    session.sendEvent({ type: 'mark', name: 'm1' });
    clock.advance(300);
    const second = attempts[0].open();
    await settle();

    expect(second.starts).toEqual([{ ...START, resumed: true }]);
    expect(second.events).toEqual([{ type: 'dtmf', digit: '5', durationMs: 100 }, { type: 'mark', name: 'm1' }]);
    expect(links[1]).toEqual({ state: 'resumed', downMs: 300, attempts: 1 });
    session.sendAudio(Buffer.alloc(4, 3));
    expect(second.audio).toEqual([Buffer.alloc(4, 3)]);
    first.emit('audio', Buffer.alloc(2, 9)); // the dead socket says nothing any more
    second.emit('audio', Buffer.alloc(2, 7));
    expect(audio).toEqual([Buffer.alloc(2, 7)]);
    expect(closes).toEqual([]);
    expect(session.reconnecting).toBe(false);
  });

  it('refused attempts are retried every 250 ms within the window; at exactly reconnectMs the link is lost and a dropped close follows', async () => {
    const { clock, first, session, closes, links, attempts } = setup(1000);
    session.sendStart(START);
    first.close({ code: 1006, reason: 'ECONNRESET', initiatedByBot: true });
    attempts[0].refuse();
    await settle();
    clock.advance(250);
    expect(attempts).toHaveLength(2);
    expect(attempts[1].timeoutMs).toBe(750); // what is left of the window
    attempts[1].refuse();
    await settle();
    clock.advance(250);
    expect(attempts).toHaveLength(3); // this one hangs (a blackholed host)
    clock.advance(499);
    expect(closes).toEqual([]);
    clock.advance(1);
    expect(links.at(-1)).toEqual({ state: 'lost', downMs: 1000, attempts: 3 });
    expect(closes).toEqual([{ code: 1006, reason: 'ECONNRESET', initiatedByBot: true, dropped: true }]);
    expect(attempts[2].abort.aborted).toBe(true);
    expect(clock.pending()).toBe(0); // no retry, no deadline left behind
  });

  it('a socket that opens after the window closed is stopped', async () => {
    const clock = new ManualClock();
    const first = new FakeSocketSession();
    let resolveLate: (s: BotSession) => void = () => {};
    const session = new ReconnectingBotSession(first, {
      clock, logger: silentLogger(), reconnectMs: 500,
      connect: () => new Promise<BotSession>((r) => (resolveLate = r)), // ignores the abort, as a slow connector might
    });
    const closes: BotCloseInfo[] = [];
    session.on('close', (i) => closes.push(i));
    first.close({ code: 1011, reason: 'server error', initiatedByBot: true });
    clock.advance(500);
    expect(closes).toHaveLength(1);
    const late = new FakeSocketSession();
    resolveLate(late);
    await settle();
    expect(late.stops).toEqual(['error']);
  });

  it('stop while reconnecting: the attempt is aborted and the session closes as ours (no lost event)', () => {
    const { first, session, closes, links, attempts, clock } = setup();
    first.close({ code: 1001, reason: 'going away', initiatedByBot: true });
    session.stop('caller-hangup');
    expect(attempts[0].abort.aborted).toBe(true);
    expect(closes).toEqual([{ code: 1000, reason: 'caller-hangup', initiatedByBot: false }]);
    expect(links.map((l) => l.state)).toEqual(['reconnecting']);
    clock.advance(5000);
    expect(closes).toHaveLength(1);
  });

  it('our own stop goes to the live socket once and never reconnects', () => {
    const { first, session, closes, connect } = setup();
    session.stop('bot-hangup');
    session.stop('error');
    expect(first.stops).toEqual(['bot-hangup']);
    expect(closes).toEqual([{ code: 1000, reason: 'bot-hangup', initiatedByBot: false }]);
    expect(connect).not.toHaveBeenCalled();
  });

  it('a drop before start: the new socket gets the first start, not a resumed one', async () => {
    const { first, session, attempts } = setup();
    first.close({ code: 1006, reason: '', initiatedByBot: true });
    session.sendStart(START);
    const second = attempts[0].open();
    await settle();
    expect(first.starts).toEqual([]);
    expect(second.starts).toEqual([START]);
  });

  it('before the answer a new socket gets start with beforeAnswer too; once answered, the live socket is let read', async () => {
    const { first, session, attempts } = setup();
    session.sendStart(START, { beforeAnswer: true });
    expect(first.startFlags).toEqual([true]);
    first.close({ code: 1006, reason: '', initiatedByBot: true });
    const second = attempts[0].open();
    await settle();
    expect(second.starts).toEqual([{ ...START, resumed: true }]);
    expect(second.startFlags).toEqual([true]);
    session.sendStart(START);
    expect(second.startFlags).toEqual([true, false]);
    second.close({ code: 1006, reason: '', initiatedByBot: true });
    const third = attempts[1].open();
    await settle();
    expect(third.startFlags).toEqual([false]);
  });

  it('an outbound call answered since: the resumed start no longer says early', async () => {
    const { first, session, attempts } = setup();
    session.sendStart({ ...START, direction: 'outbound', early: true });
    session.sendEvent({ type: 'answered' });
    first.close({ code: 1006, reason: '', initiatedByBot: true });
    const second = attempts[0].open();
    await settle();
    expect(second.starts).toEqual([{ ...START, direction: 'outbound', resumed: true }]);
  });

  it('frames dropped for backpressure are counted across sockets', async () => {
    const { first, session, attempts } = setup();
    first.dropped = 7;
    first.close({ code: 1006, reason: '', initiatedByBot: true });
    const second = attempts[0].open();
    await settle();
    second.dropped = 3;
    expect(session.framesDropped).toBe(10);
  });
});

describe('a resumed start, as each dialect frames it', () => {
  const ctx = (seed: number) => ({
    callId: '6151e6ff-0c3a-4832-a5d2-580e4b77d7b6', botName: 'b', sampleRate: 8000, parameters: {},
    randomBytes: (n: number) => Buffer.alloc(n, seed), wallClock: () => 1_700_000_000_000,
  });
  const resumed: StartMessage = { ...START, callId: '6151e6ff-0c3a-4832-a5d2-580e4b77d7b6', resumed: true };

  it('native: the same start with "resumed":true', () => {
    const [frame] = DIALECTS.native.open(ctx(1)).handshake(resumed);
    expect(JSON.parse(String(frame))).toEqual(resumed);
  });

  it.each([
    ['twilio', (m: Msg) => m.start?.callSid, (m: Msg) => m.start?.streamSid],
    ['telnyx', (m: Msg) => m.start?.call_control_id, (m: Msg) => m.stream_id],
  ] as const)('%s: the same call id on the new socket (a new stream id), and no field the provider does not have', (name, callOf, streamOf) => {
    const first = DIALECTS[name].open(ctx(1)).handshake(START_OF(resumed, false)).map((f) => JSON.parse(String(f)) as Msg);
    const again = DIALECTS[name].open(ctx(2)).handshake(resumed).map((f) => JSON.parse(String(f)) as Msg);
    expect(again.map((m) => m.event)).toEqual(['connected', 'start']);
    expect(callOf(again[1])).toBe(callOf(first[1]));
    expect(streamOf(again[1])).not.toBe(streamOf(first[1]));
    expect(JSON.stringify(again)).not.toContain('resumed');
  });
});

/** A dialect's JSON frame, as far as these checks read it. */
type Msg = { event?: string; stream_id?: unknown; start?: Record<string, unknown> };

/** `start` with or without the resumed flag. */
function START_OF(s: StartMessage, resumed: boolean): StartMessage {
  const { resumed: _r, ...rest } = s;
  return resumed ? { ...rest, resumed: true } : rest;
}
