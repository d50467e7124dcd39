/**
 * The media engine that spreads calls over worker threads: each call's legs and bot socket live in one worker
 * (the least busy when the call starts), so every core carries media while SIP and call control stay on the main
 * thread. A worker that dies ends its own calls (their legs report 'failed'; call control sends the BYEs) and
 * is started again; calls on the other workers go on.
 */
import { Worker } from 'node:worker_threads';
import type { Logger } from '../../core/logger.js';
import { SystemClock, settledWithin, type Clock } from '../../core/clock.js';
import { WorkerWatchdog } from './watchdog.js';
import type { RecordingEvent, RecordingSettings } from '../recording/settings.js';
import type { FromWorker, LegStats, ToWorker } from './protocol.js';
import type { MediaWorkerData } from './media-worker.js';
import { WorkerCallGroup, errorFromWorker, type WorkerLink } from './worker-call-group.js';

/**
 * A media worker's young generation, MB (V8 splits it into two 2 MB semi-spaces and room for large objects), for
 * a bridge started without `--max-semi-space-size` (which overrides it; the image and `npm start` pass =2).
 * Why: V8 grows it to 32 MB under a call load's allocation rate, and that memory stays resident. With the media
 * path allocating about 50 MB/s at 200 calls, 2 MB semi-spaces measured no more CPU than 8 MB ones and about
 * 85 KB less RSS per call (docs/capacity-log.md, "Allocation").
 */
export const WORKER_YOUNG_GENERATION_MB = 6;

export interface WorkerMediaEngineOptions {
  workers: number;
  /** The RTP port range every worker allocates from (each starts its round robin at its own offset). */
  ports: { min: number; max: number; host: string };
  logLevel: string;
  logger: Logger;
  /** How often workers report leg figures and their event-loop delay, ms (default 1000). */
  statsIntervalMs?: number;
  /** The worker script (default: media-worker.js beside this file, as built). */
  workerUrl?: URL;
  /** Caller frames dropped because a bot was backed up, reported by the workers. */
  onFramesDropped?(count: number): void;
  /** Each worker's event-loop delay p99 since its last report, ms. */
  onEventLoopDelay?(worker: number, p99Ms: number): void;
  /** Live legs' jitter-buffer delay and playout depth, from each periodic report. */
  onSamples?(samples: Array<{ jitterDelayMs?: number; playoutMs: number }>): void;
  /** Sampled bot -> caller latencies (ms) from each periodic report. */
  onSendLatency?(samples: number[]): void;
  /** Where and how calls are recorded (config `recordings`), given to every worker. */
  recordings?: RecordingSettings;
  /** A call's recording finished (the file is in place) or failed, in whichever worker it ran. */
  onRecording?(e: RecordingEvent): void;
  /** Sampled caller -> bot latencies (ms) from each periodic report. */
  onReceiveLatency?(samples: number[]): void;
  /** Voice-AI figures from each periodic report, ms: answer -> first bot audio, clear -> old audio off the wire. */
  onVoiceFigures?(figures: { firstAudioMs: number[]; clearToSilenceMs: number[] }): void;
  /**
   * A worker not heard from for this long (they report every stats interval) is taken for hung: it is ended, its
   * calls with it (BYE, metrics), and a new one started, ms (default 10 000; 0: never).
   */
  unresponsiveMs?: number;
  /** A worker died (an uncaught error, the watchdog ended it, or it exited) and a new one was started. */
  onWorkerRestarted?(worker: number, reason: WorkerLossReason): void;
  /** Times the watchdog (default: real time). */
  clock?: Clock;
}

type Reply = Extract<FromWorker, { op: 'reply' }>;

/** Why a worker thread was replaced: an uncaught error, the watchdog, or it exited by itself. */
export type WorkerLossReason = 'crashed' | 'unresponsive' | 'exited';

/** How long a stopping worker may take to put its last recordings in place, ms. */
const DRAIN_MS = 3000;
/** A worker silent this long is taken for hung (it reports every second; a long GC pause is well under it), ms. */
const DEFAULT_UNRESPONSIVE_MS = 10_000;
/** How long a stopping engine waits for a worker to handle what was sent to it before ending the thread. */
const FLUSH_WAIT_MS = 500;


/** One worker thread and the calls on it; replaced by a fresh thread when it dies. */
class WorkerSlot implements WorkerLink {
  readonly groups = new Map<number, WorkerCallGroup>();
  private worker!: Worker;
  private readonly pending = new Map<number, { resolve: (r: Reply) => void; reject: (e: Error) => void }>();
  private nextReq = 0;
  private ready!: Promise<void>;
  stopping = false;
  /** The current thread has not exited (its exit rejects what is pending). */
  private alive = false;
  /** When the current thread last sent anything (clock ms): the watchdog's reading. */
  lastHeardAt = 0;
  /** The watchdog ended the current thread: its exit is reported as that. */
  private replacing = false;
  /** The current thread reported an uncaught error: its exit follows. */
  private crashed = false;

  constructor(
    readonly index: number,
    private readonly engine: WorkerMediaEngine,
    private readonly data: MediaWorkerData,
    private readonly url: URL,
    private readonly log: Logger,
  ) {
    this.spawn();
  }

  whenReady(): Promise<void> {
    return this.ready;
  }

  send(msg: ToWorker): void {
    this.worker.postMessage(msg);
  }

  nextRequestId(): number {
    return ++this.nextReq;
  }

  request(msg: ToWorker & { req: number }): Promise<Reply> {
    return new Promise<Reply>((resolve, reject) => {
      this.pending.set(msg.req, { resolve, reject });
      this.send(msg);
    }).then((reply) => {
      if (!reply.ok) throw errorFromWorker(reply.error);
      return reply;
    });
  }

  /**
   * Ends the thread, once it has handled what was sent to it (a call's bot `stop`, its group's close) and put its
   * last recordings in place, or after FLUSH_WAIT_MS when it does not answer (stalled, or already gone).
   */
  async terminate(): Promise<void> {
    this.stopping = true;
    // What was sent to the worker is handled first (a call's bot `stop`, its group's close)...
    const answered = await settledWithin(this.request({ op: 'flush', req: this.nextRequestId() }), FLUSH_WAIT_MS, this.engine.clock);
    // ...then the recordings of the calls just ended, finishing in the worker, go in place before it goes.
    // A worker already gone has nothing to drain (and would never answer); a stalled one is not waited for.
    if (answered) await this.settleRecordings(DRAIN_MS);
    await this.worker.terminate();
  }

  /** Resolves once the recordings the worker is finishing are in place (or `timeoutMs` passed, or it is gone). */
  async settleRecordings(timeoutMs: number): Promise<void> {
    if (this.alive) await settledWithin(this.request({ op: 'drain', req: this.nextRequestId(), timeoutMs }), timeoutMs + FLUSH_WAIT_MS, this.engine.clock);
  }

  /** Test hook: the worker throws from its event loop, as a bug would. */
  crash(): void {
    this.send({ op: 'crash' });
  }

  /** Test hook: the worker's event loop is blocked for `ms`. */
  stall(ms: number): void {
    this.send({ op: 'stall', ms });
  }

  /** The watchdog: this thread has been silent `silentMs`; it is ended and replaced (its calls end on its exit). */
  replaceUnresponsive(silentMs: number): void {
    if (!this.alive || this.stopping || this.replacing) return;
    this.replacing = true;
    this.log.error({ worker: this.index, silentMs: Math.round(silentMs), calls: this.groups.size }, 'media worker unresponsive; ending it and its calls');
    void this.worker.terminate();
  }

  private spawn(): void {
    this.lastHeardAt = this.engine.clock.now();
    this.replacing = false;
    this.crashed = false;
    const worker = new Worker(this.url, { workerData: this.data, resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB } });
    this.worker = worker;
    this.alive = true;
    this.ready = new Promise<void>((resolve, reject) => {
      const onExit = (code: number): void => reject(new Error(`media worker ${this.index} exited with ${code} before it was ready`));
      worker.once('exit', onExit);
      worker.once('message', () => {
        worker.off('exit', onExit);
        resolve();
      });
    });
    this.ready.catch(() => {}); // observed by start(); a respawn's failure is logged on exit
    worker.on('message', (msg: FromWorker) => this.onMessage(msg));
    worker.on('error', (err) => this.log.error({ err, worker: this.index }, 'media worker error'));
    worker.on('exit', (code) => this.onExit(worker, code));
  }

  private onMessage(msg: FromWorker): void {
    this.lastHeardAt = this.engine.clock.now();
    switch (msg.op) {
      case 'reply': {
        const p = this.pending.get(msg.req);
        this.pending.delete(msg.req);
        p?.resolve(msg);
        return;
      }
      case 'legStats':
      case 'stats':
        for (const l of msg.legs) this.groups.get(l.g)?.updateStats(l.leg, l.stats, l.quality, l.levels, l.final);
        if (msg.op === 'legStats') this.engine.reportSamples(msg.legs);
        else this.engine.reportStats(this.index, msg);
        return;
      case 'groupClosed':
        this.groups.get(msg.g)?.closedInWorker(msg.legs);
        return;
      case 'legEvent':
      case 'botEvent':
        this.groups.get(msg.g)?.deliver(msg);
        return;
      case 'crashed':
        this.crashed = true;
        this.log.error({ worker: this.index, why: msg.message, calls: this.groups.size }, 'media worker crashed');
        this.loseCalls(`media worker ${this.index} crashed: ${msg.message}`);
        return;
      case 'ready':
        return;
      case 'recording':
        this.engine.reportRecording(msg.event);
        return;
    }
  }

  private onExit(worker: Worker, code: number): void {
    if (worker !== this.worker) return;
    this.alive = false;
    const lost = this.loseCalls(this.replacing ? `media worker ${this.index} stopped answering` : `media worker ${this.index} exited with code ${code}`);
    if (this.stopping) return;
    this.log.error({ worker: this.index, code, callsEnded: lost }, 'media worker exited; starting a new one');
    this.engine.reportRestart(this.index, this.replacing ? 'unresponsive' : this.crashed ? 'crashed' : 'exited');
    this.spawn();
  }

  /** Every call on this worker ends (its legs report 'failed'); pending requests fail. Returns how many. */
  private loseCalls(reason: string): number {
    for (const p of this.pending.values()) p.reject(new Error(reason));
    this.pending.clear();
    const lost = [...this.groups.values()];
    this.groups.clear();
    for (const g of lost) g.workerLost(reason);
    return lost.length;
  }
}

export class WorkerMediaEngine {
  private readonly slots: WorkerSlot[] = [];
  private nextGroup = 0;
  /** @internal The slots' time (the watchdog's, their waits on a stopping worker). */
  readonly clock: Clock;
  private readonly watchdog: WorkerWatchdog;

  constructor(private readonly options: WorkerMediaEngineOptions) {
    this.clock = options.clock ?? new SystemClock();
    const { min, max } = options.ports;
    const share = Math.floor((max - min + 1) / options.workers);
    const url = options.workerUrl ?? new URL('./media-worker.js', import.meta.url);
    for (let i = 0; i < options.workers; i++) {
      const data: MediaWorkerData = {
        index: i,
        ports: { ...options.ports, start: min + i * share },
        logLevel: options.logLevel,
        statsIntervalMs: options.statsIntervalMs ?? 1000,
        ...(options.recordings ? { recordings: options.recordings } : {}),
      };
      this.slots.push(new WorkerSlot(i, this, data, url, options.logger));
    }
    this.watchdog = new WorkerWatchdog(this.clock, this.slots, options.unresponsiveMs ?? DEFAULT_UNRESPONSIVE_MS);
  }

  /** Resolves once every worker is up; from then on the watchdog looks for hung ones. */
  async start(): Promise<void> {
    await Promise.all(this.slots.map((s) => s.whenReady()));
    this.watchdog.start();
  }

  /** Opens a call on the worker with the fewest calls. */
  openCall(ctx: { callId: string; logger: Logger }): WorkerCallGroup {
    let slot = this.slots[0];
    for (const s of this.slots) if (s.groups.size < slot.groups.size) slot = s;
    const g = ++this.nextGroup;
    const { layer: _layer, ...bindings } = ctx.logger.bindings();
    slot.send({ op: 'open', g, bindings: { ...bindings, callId: ctx.callId } });
    const group = new WorkerCallGroup(g, slot, ctx.logger, () => slot.groups.delete(g));
    slot.groups.set(g, group);
    return group;
  }

  /** Calls open per worker. */
  get callsPerWorker(): number[] {
    return this.slots.map((s) => s.groups.size);
  }

  /** Test hook: worker `index` fails as a bug would (its calls end; it is started again). */
  crashWorker(index: number): void {
    this.slots[index]?.crash();
  }

  /** Test hook: worker `index`'s event loop is blocked for `ms`. */
  stallWorker(index: number, ms: number): void {
    this.slots[index]?.stall(ms);
  }

  /** Stops every worker (after call control ended the calls). */
  async stop(): Promise<void> {
    this.watchdog.stop();
    await Promise.all(this.slots.map((s) => s.terminate()));
  }

  /**
   * Resolves once every worker's recordings being finished are in place (their `recording-ready` reported first),
   * or after about `timeoutMs`: the app waits so the calls just ended have their files in their records.
   */
  async settleRecordings(timeoutMs: number): Promise<void> {
    await Promise.all(this.slots.map((s) => s.settleRecordings(timeoutMs)));
  }

  /** A worker died and is started again. */
  reportRestart(worker: number, reason: WorkerLossReason): void {
    this.options.onWorkerRestarted?.(worker, reason);
  }

  /** A recording finished or failed in a worker. */
  reportRecording(e: RecordingEvent): void {
    try {
      this.options.onRecording?.(e);
    } catch (err) {
      this.options.logger.error({ err }, 'recording listener failed');
    }
  }

  /** From a worker's periodic slice of its legs' figures. */
  reportSamples(legs: readonly LegStats[]): void {
    if (legs.length > 0) this.options.onSamples?.(legs.map((l) => l.sample));
  }

  /** From a worker's report: periodic (event-loop delay >= 0, samples) or a closing leg's last figures. */
  reportStats(worker: number, msg: Extract<FromWorker, { op: 'stats' }>): void {
    if (msg.framesDropped > 0) this.options.onFramesDropped?.(msg.framesDropped);
    if (msg.eventLoopP99Ms < 0) return;
    this.options.onEventLoopDelay?.(worker, msg.eventLoopP99Ms);
    if (msg.sendLatencyMs.length > 0) this.options.onSendLatency?.(msg.sendLatencyMs);
    if (msg.receiveLatencyMs.length > 0) this.options.onReceiveLatency?.(msg.receiveLatencyMs);
    const firstAudioMs = msg.firstAudioMs ?? [];
    const clearToSilenceMs = msg.clearToSilenceMs ?? [];
    if (firstAudioMs.length + clearToSilenceMs.length > 0) this.options.onVoiceFigures?.({ firstAudioMs, clearToSilenceMs });
  }
}
