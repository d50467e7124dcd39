/**
 * The media engine that spreads calls over worker threads: each call's legs and bot socket live in one worker
 * (the least busy when the call starts), so every core carries media while SIP and call control stay on the main
 * thread. A worker that dies ends its own calls (their legs report 'failed'; call control sends the BYEs) and
 * is started again; calls on the other workers go on.
 */
import type { Logger } from '../../core/logger.js';
import { SystemClock, type Clock } from '../../core/clock.js';
import { CallRejectedError } from '../../core/errors.js';
import { WorkerWatchdog } from './watchdog.js';
import type { RecordingEvent, RecordingSettings } from '../recording/settings.js';
import type { FromWorker, LegStats } from './protocol.js';
import type { MediaWorkerData } from './media-worker.js';
import { WorkerCallGroup } from './worker-call-group.js';
import { WorkerSlot } from './worker-slot.js';

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
  /**
   * New calls go only to workers less busy than this share (0..1; the workers' reported utilization, smoothed by
   * their slots); with every ready worker over it, a call is refused (503, `media-busy`) so the calls already up
   * keep their audio. Undefined: no limit.
   */
  busyLimit?: number;
  /** Each worker's utilization (protocol.ts `utilization`), 0..1, smoothed as `busyLimit` judges it (after each report). */
  onUtilization?(worker: number, utilization: number): void;
  /** A worker died (an uncaught error, the watchdog ended it, or it exited) and a new one was started. */
  onWorkerRestarted?(worker: number, reason: WorkerLossReason): void;
  /** Times the watchdog (default: real time). */
  clock?: Clock;
}

/**
 * Why a worker thread was replaced: an uncaught error, the watchdog, it exited by itself, or it exited before it
 * was ready (its start failed: started again after a growing wait).
 */
export type WorkerLossReason = 'crashed' | 'unresponsive' | 'exited' | 'start-failed';

/** A worker silent this long is taken for hung (it reports every second; a long GC pause is well under it), ms. */
const DEFAULT_UNRESPONSIVE_MS = 10_000;

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

  /**
   * Opens a call on the ready worker with the fewest calls (among those under `busyLimit`); with none ready, on
   * one that is starting (what is sent waits for it). Refused (503) when every ready worker is over `busyLimit`,
   * or when every worker is waiting to be started again after failed starts.
   */
  openCall(ctx: { callId: string; logger: Logger }): WorkerCallGroup {
    const ready = this.slots.filter((s) => s.isReady);
    const limit = this.options.busyLimit;
    const room = limit === undefined ? ready : ready.filter((s) => s.utilization < limit);
    if (ready.length > 0 && room.length === 0) {
      throw new CallRejectedError('media-busy', `every media worker is busier than media.workerBusyLimit (${limit})`);
    }
    const slot = leastBusy(room) ?? leastBusy(this.slots.filter((s) => s.running));
    if (!slot) throw new CallRejectedError('media-unavailable', 'no media worker is running: their starts failed, they are being started again');
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

  /** Test hook: worker `index` fails as a bug would (its calls end; it is started again), its next `failStarts` starts too. */
  crashWorker(index: number, failStarts = 0): void {
    const slot = this.slots[index];
    if (!slot) return;
    slot.failNextStarts = failStarts;
    slot.crash();
  }

  /** Test hook: worker `index`'s event loop is blocked for `ms`. */
  stallWorker(index: number, ms: number): void {
    this.slots[index]?.stall(ms);
  }

  /** Test hook: worker `index`'s event loop is kept 90 % busy for `ms`. */
  keepWorkerBusy(index: number, ms: number): void {
    this.slots[index]?.keepBusy(ms);
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

  /** A worker's smoothed utilization, after its report. */
  reportUtilization(worker: number, utilization: number): void {
    this.options.onUtilization?.(worker, utilization);
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

/** The slot with the fewest calls (the first of equals), or undefined for none. */
function leastBusy(slots: WorkerSlot[]): WorkerSlot | undefined {
  let best: WorkerSlot | undefined;
  for (const s of slots) if (!best || s.groups.size < best.groups.size) best = s;
  return best;
}
