// AudioRouter: the audio inside one call, moved by the table call control sets (sink <- sources). Fake legs (the
// MediaSession surface the router uses) and a fake bot session; every frame is checked by identity (passed
// through untouched) or sample by sample (mixed). These are the assertions BridgedCall and TransferController
// made on moving frames, clear/cleared, marks and the listen mix before the media engine took the audio over.
import { EventEmitter } from 'node:events';
import { beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/core/logger.js';
import { ManualClock } from '../../../src/core/clock.js';
import { AudioRouter, BOT, type RoutedLeg } from '../../../src/engine/audio-router.js';
import type { BotCommand, BotSession, BridgeEvent } from '../../../src/bot/index.js';
import { mixL16, type PlayoutClearResult } from '../../../src/media/index.js';

/** A leg as the router sees it: emits 'frame' and 'mark'; plays, marks and clears the bot's audio. */
class FakeLeg extends EventEmitter {
  readonly played: Buffer[] = [];
  /** Audio queued and not played, ms: each test sets what the "playout queue" holds. */
  bufferedMs = 0;
  readonly marks: string[] = [];
  clears = 0;
  clearResult: PlayoutClearResult = { playedMs: 0, segmentPlayedMs: 0, discardedMs: 0, discardedMarks: [] };
  playAudio(pcm: Buffer): void {
    this.played.push(pcm);
  }
  mark(name: string): void {
    this.marks.push(name);
  }
  clear(): PlayoutClearResult {
    this.clears++;
    return this.clearResult;
  }
}

/** The bot's socket: emits 'audio' and 'command'; is sent audio and events. */
class FakeBotSession extends EventEmitter {
  readonly sent: Buffer[] = [];
  readonly events: BridgeEvent[] = [];
  sendStart(): void {}
  sendAudio(frame: Buffer): void {
    this.sent.push(frame);
  }
  sendEvent(e: BridgeEvent): void {
    this.events.push(e);
  }
  stop(): void {}
  framesDropped = 0;
}

/** 20 ms of L16 at 8 kHz: a constant, or samples from a function of the index. */
function frame(value: number | ((i: number) => number), samples = 160): Buffer {
  const b = Buffer.alloc(samples * 2);
  for (let i = 0; i < samples; i++) b.writeInt16LE(typeof value === 'number' ? value : value(i), i * 2);
  return b;
}
type Routes = Readonly<Record<string, readonly string[]>>;
const asLeg = (leg: FakeLeg): RoutedLeg => leg as unknown as RoutedLeg;
const samplesOf = (b: Buffer): number[] => Array.from({ length: b.length / 2 }, (_, i) => b.readInt16LE(i * 2));

let router: AudioRouter;
let caller: FakeLeg;
let agent: FakeLeg;
let bot: FakeBotSession;
beforeEach(() => {
  router = new AudioRouter(silentLogger());
  caller = new FakeLeg();
  agent = new FakeLeg();
  bot = new FakeBotSession();
  router.addLeg('caller', asLeg(caller));
  router.addLeg('agent', asLeg(agent));
  router.setBot(bot as unknown as BotSession);
});

/** The tables call control sets (bridged-call.ts, transfer.ts, pstn-call.ts, outbound-call-handler.ts). */
const START = { caller: [BOT], [BOT]: ['caller'] };
const TRANSFER = { caller: ['agent'], agent: ['caller'], [BOT]: [] };
const LISTEN = { caller: ['agent'], agent: ['caller'], [BOT]: ['caller', 'agent'] };
const PSTN = { caller: ['agent'], agent: ['caller'] };
const EARLY = { [BOT]: ['agent'] };

describe('AudioRouter: relaying', () => {
  const cases: Array<{ name: string; routes: Routes; heard: Record<'caller' | 'agent' | 'bot', string[]> }> = [
    { name: 'call start: caller to bot, bot to caller', routes: START, heard: { caller: ['bot'], agent: [], bot: ['caller'] } },
    { name: 'bridged transfer: caller and destination hear each other, the bot nothing', routes: TRANSFER, heard: { caller: ['agent'], agent: ['caller'], bot: [] } },
    { name: 'pstn forward: a and b hear each other', routes: PSTN, heard: { caller: ['agent'], agent: ['caller'], bot: [] } },
    { name: 'outbound early media: the bot hears the callee, who hears nothing', routes: EARLY, heard: { caller: [], agent: [], bot: ['agent'] } },
    { name: 'one source, two sinks', routes: { agent: ['caller'], [BOT]: ['caller'] }, heard: { caller: [], agent: ['caller'], bot: ['caller'] } },
    { name: 'no table: nothing moves', routes: {}, heard: { caller: [], agent: [], bot: [] } },
  ];
  it.each(cases)('$name', (c) => {
    router.route(c.routes);
    const from = { caller: frame(1), agent: frame(2), bot: frame(3) };
    caller.emit('frame', from.caller);
    agent.emit('frame', from.agent);
    bot.emit('audio', from.bot);
    // Passed through untouched: the very buffer its source emitted.
    const nameOf = (b: Buffer): string => Object.entries(from).find(([, f]) => f === b)?.[0] ?? 'a new buffer';
    expect({ caller: caller.played.map(nameOf), agent: agent.played.map(nameOf), bot: bot.sent.map(nameOf) }).toEqual(c.heard);
    expect(bot.events).toEqual([]);
  });

  it('a new table replaces the old one: after a transfer the caller hears the destination, not the bot', () => {
    router.route(START);
    bot.emit('audio', frame(3));
    expect(caller.played).toHaveLength(1);
    router.route(TRANSFER);
    bot.emit('audio', frame(3));
    caller.emit('frame', frame(1));
    agent.emit('frame', frame(2));
    expect(caller.played.map((b) => b.readInt16LE(0))).toEqual([3, 2]);
    expect(agent.played.map((b) => b.readInt16LE(0))).toEqual([1]);
    expect(bot.sent).toEqual([]);
  });

  it('a leg removed (its media closed) is played to no more; the others go on', () => {
    router.route(PSTN);
    router.removeLeg('agent');
    caller.emit('frame', frame(1));
    expect(agent.played).toEqual([]);
    router.addLeg('agent2', asLeg(agent));
    router.route({ agent2: ['caller'] });
    caller.emit('frame', frame(1));
    expect(agent.played).toHaveLength(1);
  });
});

describe('AudioRouter: a leg that stops hearing the bot drops what it had queued', () => {
  const cases: Array<{ name: string; from: Routes; to: Routes; cleared: string[] }> = [
    { name: 'start -> bridged transfer', from: START, to: TRANSFER, cleared: ['caller'] },
    { name: 'start -> listening transfer', from: START, to: LISTEN, cleared: ['caller'] },
    { name: 'the bot mixed with another source -> the other alone', from: { caller: [BOT, 'agent'] }, to: { caller: ['agent'] }, cleared: ['caller'] },
    { name: 'start -> an empty table', from: START, to: {}, cleared: ['caller'] },
    { name: 'the same table again', from: START, to: START, cleared: [] },
    { name: 'the bot kept among other sources', from: { caller: [BOT] }, to: { caller: ['agent', BOT] }, cleared: [] },
    { name: 'early media -> answered (the callee starts hearing the bot)', from: EARLY, to: { agent: [BOT], [BOT]: ['agent'] }, cleared: [] },
    { name: 'pstn -> nothing (no leg heard the bot)', from: PSTN, to: {}, cleared: [] },
  ];
  it.each(cases)('$name: cleared $cleared', (c) => {
    router.route(c.from);
    expect(caller.clears + agent.clears).toBe(0);
    router.route(c.to);
    expect([...(caller.clears ? ['caller'] : []), ...(agent.clears ? ['agent'] : [])]).toEqual(c.cleared);
    expect(caller.clears + agent.clears).toBe(c.cleared.length);
    // A silent drop: the bot asked for nothing, so it is sent no `cleared`.
    expect(bot.events).toEqual([]);
  });
});

describe('AudioRouter: the listen mix (bot hears caller + destination)', () => {
  beforeEach(() => router.route(LISTEN));

  it('mixes sample by sample (mixL16), while caller and destination still hear each other untouched', () => {
    const fromAgent = frame((i) => i * 3 - 200);
    const fromCaller = frame((i) => 500 - i * 7);
    agent.emit('frame', fromAgent);
    caller.emit('frame', fromCaller);
    expect(bot.sent).toHaveLength(1);
    expect(samplesOf(bot.sent[0])).toEqual(Array.from({ length: 160 }, (_, i) => 500 - i * 7 + (i * 3 - 200)));
    expect(bot.sent[0]).toEqual(mixL16(fromCaller, fromAgent));
    expect(caller.played).toEqual([fromAgent]);
    expect(caller.played[0]).toBe(fromAgent);
    expect(agent.played[0]).toBe(fromCaller);
  });

  const clipping = [
    { caller: 30000, agent: 10000, out: 32767 },
    { caller: -30000, agent: -10000, out: -32768 },
    { caller: 32767, agent: 1, out: 32767 },
    { caller: -32768, agent: -1, out: -32768 },
    { caller: 32767, agent: -32768, out: -1 },
    { caller: 1000, agent: -1000, out: 0 },
  ];
  it.each(clipping)('caller $caller + destination $agent = $out (clipped to 16 bits)', (c) => {
    agent.emit('frame', frame(c.agent));
    caller.emit('frame', frame(c.caller));
    expect(samplesOf(bot.sent[0])).toEqual(new Array(160).fill(c.out));
  });

  it("a short destination frame is mixed into the caller's first samples; the rest is the caller alone", () => {
    agent.emit('frame', frame(10, 80));
    caller.emit('frame', frame(100));
    expect(samplesOf(bot.sent[0])).toEqual([...new Array(80).fill(110), ...new Array(80).fill(100)]);
  });

  it("the caller sets the pace: destination frames alone send nothing; each caller frame sends one, mixed with the destination's oldest", () => {
    for (const v of [1, 2, 3]) agent.emit('frame', frame(v));
    expect(bot.sent).toEqual([]);
    const callerFrames = [0, 0, 0, 0, 0].map(() => frame(100));
    for (const f of callerFrames) caller.emit('frame', f);
    expect(bot.sent.map((b) => b.readInt16LE(0))).toEqual([101, 102, 103, 100, 100]);
    // Nothing queued from the destination: the caller's frame goes as it is.
    expect(bot.sent[3]).toBe(callerFrames[3]);
  });

  it('the destination backlog is bounded to 10 frames: the oldest are dropped', () => {
    for (let v = 1; v <= 15; v++) agent.emit('frame', frame(v));
    for (let n = 0; n < 11; n++) caller.emit('frame', frame(100));
    expect(bot.sent.map((b) => samplesOf(b))).toEqual([6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0].map((v) => new Array(160).fill(100 + v)));
  });
});

describe("AudioRouter: the bot's playout commands on its home leg", () => {
  const clears = [
    { name: 'a mark was reached', result: { playedMs: 420, segmentPlayedMs: 200, discardedMs: 80, lastMark: 'm1', discardedMarks: ['m2'] }, event: { type: 'cleared', playedMs: 420, lastMark: 'm1' } },
    { name: 'no mark reached: no lastMark', result: { playedMs: 0, segmentPlayedMs: 0, discardedMs: 0, discardedMarks: [] }, event: { type: 'cleared', playedMs: 0 } },
  ];
  it.each(clears)('clear is answered cleared with playedMs and lastMark from the home leg ($name)', (c) => {
    router.route(START);
    caller.clearResult = c.result;
    expect(router.botCommand({ type: 'clear' })).toBe(true);
    expect([caller.clears, agent.clears]).toEqual([1, 0]);
    expect(bot.events).toEqual([c.event]);
  });

  const homes: Array<{ name: string; tables: Routes[]; home: 'caller' | 'agent' | undefined }> = [
    { name: 'no table yet: no home leg', tables: [], home: undefined },
    { name: 'early media only (the bot feeds no leg): no home leg', tables: [EARLY], home: undefined },
    { name: 'call start: the caller', tables: [START], home: 'caller' },
    { name: 'after a transfer: still the caller', tables: [START, LISTEN], home: 'caller' },
    { name: 'early media then answered: the callee', tables: [EARLY, { agent: [BOT], [BOT]: ['agent'] }], home: 'agent' },
    { name: 'the first leg the bot fed stays home when another one hears it later', tables: [START, { agent: [BOT], caller: [BOT] }], home: 'caller' },
  ];
  it.each(homes)('home leg, $name: clear, mark, and which marks go back', (c) => {
    for (const t of c.tables) router.route(t);
    const legs = { caller, agent };
    const home = c.home === undefined ? undefined : legs[c.home];
    const clearsBefore = caller.clears + agent.clears;
    if (home) home.clearResult = { playedMs: 60, segmentPlayedMs: 60, discardedMs: 0, discardedMarks: [] };

    expect(router.botCommand({ type: 'clear' })).toBe(true);
    expect(bot.events.splice(0)).toEqual([{ type: 'cleared', playedMs: home ? 60 : 0 }]);
    expect(caller.clears + agent.clears - clearsBefore).toBe(home ? 1 : 0);
    if (home) expect(home.clears).toBeGreaterThan(0);

    // A mark is placed on the home leg's playout, or reached at once when there is none.
    expect(router.botCommand({ type: 'mark', name: 'm2' })).toBe(true);
    expect([caller.marks, agent.marks]).toEqual([c.home === 'caller' ? ['m2'] : [], c.home === 'agent' ? ['m2'] : []]);
    expect(bot.events.splice(0)).toEqual(home ? [] : [{ type: 'mark', name: 'm2' }]);

    // Only the home leg's marks go back to the bot.
    caller.emit('mark', 'from-caller');
    agent.emit('mark', 'from-agent');
    expect(bot.events).toEqual(c.home ? [{ type: 'mark', name: `from-${c.home}` }] : []);
  });

  const others: BotCommand[] = [
    { type: 'hangup', reason: 'done' },
    { type: 'dtmf', digits: '12#', durationMs: 100 },
    { type: 'transfer', to: 'sip:agent@pbx.example', method: 'bridge', listen: true },
  ];
  it.each(others)('$type is not the router\'s: returns false and touches nothing', (cmd) => {
    router.route(START);
    expect(router.botCommand(cmd)).toBe(false);
    expect([caller.clears, caller.marks, agent.clears, agent.marks, bot.events]).toEqual([0, [], 0, [], []]);
  });
});

describe('AudioRouter: the bot\'s buffer limits', () => {
  /** A router whose bot speaks 8 kHz L16 and may queue at most 1 s on the caller. */
  function limited(): AudioRouter {
    const r = new AudioRouter(silentLogger());
    r.addLeg('caller', asLeg(caller));
    r.addLeg('agent', asLeg(agent));
    r.setBot(bot as unknown as BotSession, { sampleRate: 8000, maxPlayoutMs: 1000 });
    r.route(START);
    return r;
  }
  const ms = (n: number): Buffer => frame(1000, 8 * n); // n ms of 8 kHz audio

  it('refuses a chunk that would queue beyond maxPlayoutMs with one playout-overflow error per overflow, and takes audio again once it fits', () => {
    limited();
    caller.bufferedMs = 900;
    bot.emit('audio', ms(100)); // exactly to the limit: taken
    expect(caller.played).toHaveLength(1);
    caller.bufferedMs = 1000;
    bot.emit('audio', ms(20));
    bot.emit('audio', ms(20));
    bot.emit('audio', ms(40));
    expect(caller.played).toHaveLength(1);
    expect(bot.events).toEqual([{ type: 'error', code: 'playout-overflow', message: expect.stringMatching(/1000 ms/) }]);
    caller.bufferedMs = 500; // played out meanwhile
    bot.emit('audio', ms(20));
    expect(caller.played).toHaveLength(2);
    caller.bufferedMs = 1000;
    bot.emit('audio', ms(20)); // a new overflow is reported again
    expect(bot.events.filter((e) => e.type === 'error')).toHaveLength(2);
  });

  it('status answers the playout depth, the limit, frames dropped and audio refused', () => {
    const r = limited();
    caller.bufferedMs = 1000;
    bot.emit('audio', ms(100));
    bot.emit('audio', ms(60));
    bot.events.length = 0;
    caller.bufferedMs = 733.4;
    bot.framesDropped = 12;
    expect(r.botCommand({ type: 'status' })).toBe(true);
    expect(bot.events).toEqual([{ type: 'status', playoutMs: 733, maxPlayoutMs: 1000, framesDropped: 12, refusedMs: 160 }]);
  });

  it('no limit without a playout setting (the echo bot), and none once the bot no longer reaches the caller', () => {
    caller.bufferedMs = 60_000;
    router.route(START);
    bot.emit('audio', ms(20));
    expect(caller.played).toHaveLength(1);
    const r = limited();
    r.route(TRANSFER);
    caller.bufferedMs = 60_000;
    bot.emit('audio', ms(20));
    expect(bot.events).toEqual([]);
  });

  it('hold audio goes where the bot\'s would, past the limit; dropBotAudio clears the legs that hear the bot, silently', () => {
    const r = limited();
    caller.bufferedMs = 5000;
    r.playAsBot(ms(100));
    expect(caller.played).toHaveLength(1);
    expect(r.homeDepthMs()).toBe(5000);
    r.dropBotAudio();
    expect([caller.clears, agent.clears]).toEqual([1, 0]);
    expect(bot.events).toEqual([]);
  });
});

describe('AudioRouter voice-AI figures', () => {
  it("answer -> the bot's first audio, once per call, timed from the first route that feeds a leg from the bot", () => {
    const clock = new ManualClock(1000);
    const firsts: number[] = [];
    const r = new AudioRouter(silentLogger(), { clock, onFirstBotAudio: (ms) => firsts.push(ms) });
    const leg = new FakeLeg();
    const b = new FakeBotSession();
    r.addLeg('caller', asLeg(leg));
    r.setBot(b as unknown as BotSession);
    r.route({ [BOT]: ['caller'] }); // early media: the bot hears, nobody hears the bot yet
    clock.advance(300);
    b.emit('audio', frame(100));
    expect(firsts).toEqual([]);
    r.route(START);
    clock.advance(1250);
    b.emit('audio', frame(100));
    clock.advance(20);
    b.emit('audio', frame(100));
    expect(firsts).toEqual([1250]);
  });

  it("only the bot's clear arms the clear figure, for its home leg, once", () => {
    router.route(START);
    expect(router.takeBotClear('caller')).toBe(false);
    router.botCommand({ type: 'clear' } as BotCommand);
    expect(caller.clears).toBe(1);
    expect(router.takeBotClear('agent')).toBe(false);
    expect(router.takeBotClear('caller')).toBe(true);
    expect(router.takeBotClear('caller')).toBe(false);
    router.dropBotAudio(); // hold audio dropped: a clear, but not the bot's
    expect(router.takeBotClear('caller')).toBe(false);
  });
});
