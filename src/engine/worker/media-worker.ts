/**
 * A media worker thread: runs the in-process engine for the calls placed on it — their RTP legs, bot
 * sockets and the audio between them — and answers call control's messages ({@link ToWorker}). Only control
 * goes back ({@link FromWorker}).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createServer } from 'node:net';
import { performance } from 'node:perf_hooks';
import { SystemClock } from '../../core/clock.js';
import { loopDelayP99Ms, startLoopDelayMonitor } from '../../core/loop-delay.js';
import { IdleMemoryReclaimer, compactingGc } from '../../core/idle-memory.js';
import { createLogger, type Logger } from '../../core/logger.js';
import { connectBot } from '../../bot/index.js';
import { RtpPortPool } from '../../media/index.js';
import { InProcessMediaEngine } from '../in-process-engine.js';
import type { InProcessCallGroup, InProcessMediaLeg } from '../call-group.js';
import type { InProcessCallMedia } from '../call-media.js';
import type { BotControlView } from '../bot-control-view.js';
import type { RecordingSettings } from '../recording/settings.js';
import { recordingsSettled } from '../recording/call-recorder.js';
import { TrunkbridgeError } from '../../core/errors.js';
import { StatsSlices } from './stats-slices.js';
import { ThreadDemand } from './thread-demand.js';
import { fromWireCodecSwitch, fromWireLegOptions, type FromWorker, type LegStats, type ToWorker } from './protocol.js';

/** What the main thread gives a worker at start. */
export interface MediaWorkerData {
  index: number;
  ports: { min: number; max: number; host: string; start: number };
  logLevel: string;
  statsIntervalMs: number;
  /** Where and how calls are recorded (config `recordings`). */
  recordings?: RecordingSettings;
  /** Test hook (TRUNKBRIDGE_TEST_HOOKS): this start fails at once, as a broken start would. */
  failStart?: boolean;
}

interface GroupState {
  group: InProcessCallGroup;
  log: Logger;
  legs: Map<string, InProcessMediaLeg>;
  media: Map<string, InProcessCallMedia>;
  bot?: BotControlView;
  botAborts: Map<number, AbortController>;
}

const port = parentPort!;
const data = workerData as MediaWorkerData;
if (data.failStart === true) throw new Error('media worker start failure requested (test hook)');
const clock = new SystemClock();
const logger = createLogger({ level: data.logLevel }).child({ layer: 'media', worker: data.index });
let framesDropped = 0;
/** Sampled bot -> caller latencies since the last report (bounded: a burst cannot grow it). */
let sendLatencyMs: number[] = [];
let receiveLatencyMs: number[] = [];
/** Voice-AI figures since the last report (bounded like the latencies). */
let firstAudioMs: number[] = [];
let clearToSilenceMs: number[] = [];
const engine = new InProcessMediaEngine({
  onFirstBotAudio: (ms) => {
    if (firstAudioMs.length < 1000) firstAudioMs.push(ms);
  },
  onClearToSilence: (ms) => {
    if (clearToSilenceMs.length < 1000) clearToSilenceMs.push(ms);
  },
  onSendLatencySample: (ms) => {
    if (sendLatencyMs.length < 1000) sendLatencyMs.push(ms);
  },
  onReceiveLatencySample: (ms) => {
    if (receiveLatencyMs.length < 1000) receiveLatencyMs.push(ms);
  },
  ports: new RtpPortPool({ ...data.ports, rtcp: true }),
  clock,
  connectBot: (target, ctx) => connectBot(target, { ...ctx, onFrameDropped: () => framesDropped++ }),
  ...(data.recordings ? { recordings: data.recordings } : {}),
  onRecording: (event) => post({ op: 'recording', event }),
});
const groups = new Map<number, GroupState>();
/** How long a worker has had no call before its heap is compacted (a recording's last writes are done by then). */
const WORKER_QUIET_MS = 10_000;
const eventLoop = startLoopDelayMonitor();

/** Set once the worker is going down: only the 'crashed' report leaves it then (no bot close races it). */
let dying = false;

function post(msg: FromWorker): void {
  if (dying && msg.op !== 'crashed') return;
  port.postMessage(msg);
}

function fail(req: number, err: unknown): void {
  const e = err instanceof Error ? err : new Error(String(err));
  post({ op: 'reply', req, ok: false, error: { name: e.name, message: e.message, ...(e instanceof TrunkbridgeError ? { reason: e.reason } : {}) } });
}

/** Test hook: holds the thread as a long GC pause or a CPU-hungry neighbour would. */
function blockFor(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // busy: nothing else on this thread runs meanwhile
  }
}

/** Test hook: 18 ms of every 20 ms spent spinning, for `ms`; I/O and timers still run in the gaps. */
function busyFor(ms: number): void {
  const until = performance.now() + ms;
  const spin = setInterval(() => {
    if (performance.now() >= until) clearInterval(spin);
    else blockFor(18);
  }, 20);
}

function legStats(g: number, id: string, m: InProcessCallMedia): LegStats {
  const levels = m.levels;
  return { g, leg: id, stats: { ...m.stats }, quality: m.quality, sample: m.sample(), ...(levels ? { levels } : {}) };
}

async function allocate(state: GroupState, g: number, req: number, hold: boolean): Promise<void> {
  try {
    const leg = await state.group.allocate({ holdEarlyPackets: hold });
    state.legs.set(leg.id, leg);
    post({ op: 'reply', req, ok: true, leg: { id: leg.id, port: leg.port } });
  } catch (err) {
    fail(req, err);
  }
}

async function connect(state: GroupState, g: number, msg: Extract<ToWorker, { op: 'connectBot' }>): Promise<void> {
  const abort = new AbortController();
  state.botAborts.set(msg.req, abort);
  try {
    const bot = await state.group.connectBot(msg.target, { abort: abort.signal });
    state.bot = bot;
    bot.on('command', (cmd) => post({ op: 'botEvent', g, e: 'command', cmd }));
    bot.on('close', (info) => post({ op: 'botEvent', g, e: 'close', info }));
    bot.on('protocol-error', (err) => post({ op: 'botEvent', g, e: 'protocol-error', message: err.message }));
    // Reconnects run here, next to the socket: call control is told only how they went.
    bot.on('link', (link) => post({ op: 'botEvent', g, e: 'link', link }));
    post({ op: 'reply', req: msg.req, ok: true });
  } catch (err) {
    fail(msg.req, err);
  } finally {
    state.botAborts.delete(msg.req);
  }
}

async function play(state: GroupState, msg: Extract<ToWorker, { op: 'play' }>): Promise<void> {
  try {
    await state.group.play(msg.leg, msg.file);
    post({ op: 'reply', req: msg.req, ok: true });
  } catch (err) {
    fail(msg.req, err);
  }
}

function openLeg(state: GroupState, g: number, msg: Extract<ToWorker, { op: 'legOpen' }>): void {
  const leg = state.legs.get(msg.leg);
  if (!leg) return;
  const media = leg.open(fromWireLegOptions(msg.options, state.log));
  state.media.set(msg.leg, media);
  media.on('dtmf', (press) => post({ op: 'legEvent', g, leg: msg.leg, e: 'dtmf', press: { digit: press.digit, durationMs: press.durationMs } }));
  media.on('rtp-timeout', () => post({ op: 'legEvent', g, leg: msg.leg, e: 'rtp-timeout' }));
  media.on('rtcp', (input) => post({ op: 'legEvent', g, leg: msg.leg, e: 'rtcp', input: { ...(input.rttMs !== undefined ? { rttMs: input.rttMs } : {}), bye: input.bye } }));
}

function onMedia(state: GroupState, g: number, msg: Extract<ToWorker, { op: 'media' }>): void {
  const media = state.media.get(msg.leg);
  if (!media) return;
  switch (msg.m) {
    case 'start':
      return media.start();
    case 'close':
      // Its last figures go back first: call control reports them when the call ends.
      post({ op: 'stats', legs: [{ ...legStats(g, msg.leg, media), final: true }], framesDropped: 0, eventLoopP99Ms: -1, sendLatencyMs: [], receiveLatencyMs: [] });
      media.close();
      state.media.delete(msg.leg);
      state.legs.delete(msg.leg);
      return;
    case 'sendDtmf':
      return media.sendDtmf(msg.digits, msg.durationMs);
    case 'updateRemote':
      return media.updateRemote(msg.remote);
    case 'setDirection':
      return media.setDirection(msg.direction);
    case 'switchCodec':
      return media.switchCodec(fromWireCodecSwitch(msg.change));
  }
}

function onBot(state: GroupState, msg: Extract<ToWorker, { op: 'bot' }>): void {
  const bot = state.bot;
  if (!bot) return;
  if (msg.m === 'sendStart') bot.sendStart(msg.msg, msg.beforeAnswer === true ? { beforeAnswer: true } : undefined);
  else if (msg.m === 'sendEvent') bot.sendEvent(msg.event);
  // The figures in `stop` are taken here, where the media runs, not from the last report call control has.
  else bot.stop(msg.reason, msg.quality ? { quality: state.group.homeQuality() ?? msg.quality } : undefined);
}

function handle(msg: ToWorker): void {
  if (msg.op === 'crash') throw new Error('media worker crash requested (test hook)');
  if (msg.op === 'stall') return blockFor(msg.ms);
  if (msg.op === 'busy') return busyFor(msg.ms);
  if (msg.op === 'drain') {
    void recordingsSettled(clock, msg.timeoutMs).then((settled) => post({ op: 'reply', req: msg.req, ok: true, state: settled ? 'settled' : 'timeout' }));
    return;
  }
  if (msg.op === 'flush') {
    // Messages are handled in order; setImmediate lets this turn's socket writes leave first.
    setImmediate(() => post({ op: 'reply', req: msg.req, ok: true }));
    return;
  }
  if (msg.op === 'open') {
    const log = logger.child(msg.bindings);
    groups.set(msg.g, { group: engine.openCall({ callId: String(msg.bindings.callId ?? msg.g), logger: log }), log, legs: new Map(), media: new Map(), botAborts: new Map() });
    return;
  }
  const state = groups.get(msg.g);
  if (!state) {
    if ('req' in msg && msg.op !== 'abortBot') fail(msg.req, new Error('the call media is closed'));
    // Call control waits for this answer to forget the group (a worker started again never knew it).
    if (msg.op === 'close') post({ op: 'groupClosed', g: msg.g, legs: [] });
    return;
  }
  switch (msg.op) {
    case 'allocate':
      return void allocate(state, msg.g, msg.req, msg.hold);
    case 'leg':
      if (msg.m === 'answered') state.legs.get(msg.leg)?.answered();
      else state.legs.get(msg.leg)?.release();
      return;
    case 'legOpen':
      return openLeg(state, msg.g, msg);
    case 'media':
      return onMedia(state, msg.g, msg);
    case 'connectBot':
      return void connect(state, msg.g, msg);
    case 'abortBot':
      return state.botAborts.get(msg.req)?.abort();
    case 'bot':
      return onBot(state, msg);
    case 'route':
      return state.group.route(msg.routes);
    case 'play':
      return void play(state, msg);
    case 'record':
      try {
        post({ op: 'reply', req: msg.req, ok: true, state: state.group.record(msg.action) });
      } catch (err) {
        fail(msg.req, err);
      }
      return;
    case 'close': {
      const legs = [...state.media].map(([id, media]): LegStats => ({ ...legStats(msg.g, id, media), final: true }));
      state.group.close();
      groups.delete(msg.g);
      post({ op: 'groupClosed', g: msg.g, legs });
      return;
    }
  }
}

port.on('message', (msg: ToWorker) => {
  if (dying) return;
  try {
    handle(msg);
  } catch (err) {
    // A bad command must not take the other calls down; a thrown test hook is the exception (see below).
    if (msg.op === 'crash') throw err;
    logger.error({ err, op: msg.op }, 'media worker command failed');
  }
});

/**
 * The worker's heap grows with a burst of calls and, like the main thread's, is not given back while nothing
 * allocates (the soak saw 10-29 MB stay with two workers): compacted once it has had no call for a while. A
 * worker holds no SIP transactions, so its calls' state is garbage as soon as they close.
 */
const reclaimer = new IdleMemoryReclaimer({ clock, logger, quietMs: WORKER_QUIET_MS, collect: compactingGc() });

/** Legs' figures in slices spread over the stats interval (stats-slices.ts); the worker's own once per interval. */
const statsSlices = new StatsSlices<InProcessCallMedia>(10);

function legsInSlice(slice: number): LegStats[] {
  const legs: LegStats[] = [];
  for (const [g, state] of groups) for (const [id, m] of state.media) if (statsSlices.has(m, slice)) legs.push(legStats(g, id, m));
  return legs;
}

/** The event loop's busy share since the last report, and the thread's share of wanting a core (thread-demand.ts). */
let lastUtilization = performance.eventLoopUtilization();
const demand = new ThreadDemand();
demand.sample(performance.now());

/** How busy this worker is, 0..1: the event loop's utilization, or the thread's demand for a core when more. */
function utilizationSinceLastReport(): number {
  const now = performance.eventLoopUtilization();
  const loop = performance.eventLoopUtilization(now, lastUtilization).utilization;
  lastUtilization = now;
  return Math.min(1, Math.max(loop, demand.sample(performance.now()) ?? 0));
}

const statsTimer = setInterval(() => {
  const slice = statsSlices.nextTick();
  const legs = legsInSlice(slice);
  if (legs.length > 0) post({ op: 'legStats', legs });
  if (slice !== 0) return;
  reclaimer.sample(groups.size > 0);
  const utilization = utilizationSinceLastReport();
  post({ op: 'stats', legs: [], framesDropped, eventLoopP99Ms: loopDelayP99Ms(eventLoop), sendLatencyMs, receiveLatencyMs, firstAudioMs, clearToSilenceMs, utilization });
  framesDropped = 0;
  sendLatencyMs = [];
  receiveLatencyMs = [];
  firstAudioMs = [];
  clearToSilenceMs = [];
  eventLoop.reset();
}, data.statsIntervalMs / statsSlices.slices);
statsTimer.unref();

// A bug that escapes: tell every bot the call is over and free the ports before the thread dies, so callers
// get their BYE from call control and nothing is left bound.
process.on('uncaughtException', (err) => {
  if (dying) return;
  dying = true;
  logger.error({ err }, 'media worker crashed; ending its calls');
  for (const state of groups.values()) {
    try {
      state.bot?.stop('error');
      state.group.close();
    } catch {
      // Best effort while dying: the thread's exit closes whatever is left.
    }
  }
  post({ op: 'crashed', message: err instanceof Error ? err.message : String(err) });
  // A moment for the `stop` messages and RTCP BYEs to leave their sockets before the thread goes.
  setTimeout(() => process.exit(1), 200);
});

// The first TCP use on an event loop makes libuv reserve one file descriptor (/dev/null) for good. Take it now,
// before any call, so each call's descriptors (ports, bot socket) come back to the same count after it.
const warmUp = createServer();
warmUp.listen(0, '127.0.0.1', () => warmUp.close(() => post({ op: 'ready' })));
