/**
 * One media worker thread and the calls on it: requests and replies, its figures, and its replacement when it
 * dies. A thread that dies before it was ready (a start that fails: out of memory, a bad build, a resource limit)
 * is started again after a wait that doubles with each failure in a row, so a failing start does not spin a
 * core and flood the log; calls go to the workers that are ready meanwhile.
 */
import { Worker } from 'node:worker_threads';
import type { Logger } from '../../core/logger.js';
import { settledWithin, type TimerHandle } from '../../core/clock.js';
import type { FromWorker, ToWorker } from './protocol.js';
import type { MediaWorkerData } from './media-worker.js';
import { WorkerCallGroup, errorFromWorker, type WorkerLink } from './worker-call-group.js';
import type { WorkerLossReason, WorkerMediaEngine } from './worker-engine.js';

/**
 * A media worker's young generation, MB (V8 splits it into two 2 MB semi-spaces and room for large objects), for
 * a bridge started without `--max-semi-space-size` (which overrides it; the image and `npm start` pass =2).
 * Why: V8 grows it to 32 MB under a call load's allocation rate, and that memory stays resident. With the media
 * path allocating about 50 MB/s at 200 calls, 2 MB semi-spaces measured no more CPU than 8 MB ones and about
 * 85 KB less RSS per call (docs/capacity-log.md, "Allocation").
 */
const WORKER_YOUNG_GENERATION_MB = 6;

type Reply = Extract<FromWorker, { op: 'reply' }>;

/** The wait before starting a thread again after its start failed once, ms; it doubles with each failure in a row. */
const RESTART_BACKOFF_MS = 1000;
/** The longest wait between failed starts, ms. */
export const RESTART_BACKOFF_MAX_MS = 30_000;

/** How long to wait before starting a thread again after `failedStarts` starts in a row failed (0: at once). */
export function restartDelayMs(failedStarts: number): number {
  return failedStarts === 0 ? 0 : Math.min(RESTART_BACKOFF_MAX_MS, RESTART_BACKOFF_MS * 2 ** Math.min(failedStarts - 1, 16));
}

/** How long a stopping worker may take to put its last recordings in place, ms. */
const DRAIN_MS = 3000;
/** How long a stopping engine waits for a worker to handle what was sent to it before ending the thread. */
const FLUSH_WAIT_MS = 500;

/** One worker thread and the calls on it; replaced by a fresh thread when it dies. */
export class WorkerSlot implements WorkerLink {
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
  /** The current thread has said it is ready (and has not exited since): calls go to ready workers first. */
  isReady = false;
  /** Starts in a row whose thread exited before it was ready: they set the wait before the next one. */
  private failedStarts = 0;
  /** A new thread is due after a failed start. */
  private restartTimer: TimerHandle | undefined;
  /**
   * How busy the thread is, 0..1 (protocol.ts `utilization`): its reports (one a second) smoothed, each weighing
   * half, so one GC-heavy second moves it half way and a few saturated seconds in a row put it over a limit.
   */
  utilization = 0;
  /** Test hook (TRUNKBRIDGE_TEST_HOOKS): this many starts from the next one fail, as a broken start would. */
  failNextStarts = 0;

  constructor(
    readonly index: number,
    private readonly engine: WorkerMediaEngine,
    private readonly data: MediaWorkerData,
    private readonly url: URL,
    private readonly log: Logger,
  ) {
    this.spawn();
  }

  /** A thread is up or starting (not waiting to be started again). */
  get running(): boolean {
    return this.alive;
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
    this.restartTimer?.cancel();
    if (!this.alive) return; // gone, waiting to be started again: nothing to flush or end
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

  /** Test hook: the worker's event loop is kept 90 % busy for `ms`. */
  keepBusy(ms: number): void {
    this.send({ op: 'busy', ms });
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
    this.isReady = false;
    this.utilization = 0;
    const failStart = this.failNextStarts > 0;
    if (failStart) this.failNextStarts--;
    const workerData: MediaWorkerData = failStart ? { ...this.data, failStart } : this.data;
    const worker = new Worker(this.url, { workerData, resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB } });
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
        else {
          if (msg.utilization !== undefined) {
            this.utilization = (this.utilization + msg.utilization) / 2;
            this.engine.reportUtilization(this.index, this.utilization);
          }
          this.engine.reportStats(this.index, msg);
        }
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
        this.isReady = true;
        if (this.failedStarts > 0) this.log.info({ worker: this.index, failedStarts: this.failedStarts }, 'media worker started again');
        this.failedStarts = 0;
        return;
      case 'recording':
        this.engine.reportRecording(msg.event);
        return;
    }
  }

  private onExit(worker: Worker, code: number): void {
    if (worker !== this.worker) return;
    this.alive = false;
    const wasReady = this.isReady;
    this.isReady = false;
    const lost = this.loseCalls(this.replacing ? `media worker ${this.index} stopped answering` : `media worker ${this.index} exited with code ${code}`);
    if (this.stopping) return;
    if (!wasReady) this.failedStarts++;
    const reason: WorkerLossReason = this.replacing ? 'unresponsive' : this.crashed ? 'crashed' : wasReady ? 'exited' : 'start-failed';
    this.engine.reportRestart(this.index, reason);
    const wait = restartDelayMs(this.failedStarts);
    if (wait === 0) {
      this.log.error({ worker: this.index, code, callsEnded: lost }, 'media worker exited; starting a new one');
      this.spawn();
      return;
    }
    this.log.error({ worker: this.index, code, callsEnded: lost, failedStarts: this.failedStarts, retryInMs: wait }, 'media worker failed to start; starting a new one later');
    this.restartTimer = this.engine.clock.setTimeout(() => {
      this.restartTimer = undefined;
      if (!this.stopping) this.spawn();
    }, wait);
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

