import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** One leg's figures at a sampling instant (each live leg is sampled about once a second). */
export interface MediaSample {
  /** The receive jitter buffer's current delay, ms (absent in pass-through). */
  jitterDelayMs?: number;
  /** Bot (or other party's) audio queued for playout, ms. */
  playoutMs: number;
}

/**
 * Why a media worker was lost: engine/worker's WorkerLossReason, listed again because metrics/ imports only core/
 * (app/parts.ts passes one to the other, so a reason added there alone fails to compile).
 */
const WORKER_LOSS_REASONS = ['crashed', 'unresponsive', 'exited', 'start-failed'] as const;
export type WorkerLossReason = (typeof WORKER_LOSS_REASONS)[number];

/**
 * Real-time figures of the media path: jitter-buffer delay and playout-queue depth (sampled per live leg), and
 * each thread's event-loop delay (the main thread runs SIP, each media worker its calls' media).
 */
export class MediaMetrics {
  private readonly jitterDelay: Histogram;
  private readonly playoutDepth: Histogram;
  private readonly eventLoopDelay: Gauge<'thread'>;
  private readonly addedLatency: Histogram<'direction'>;
  private readonly firstAudio: Histogram;
  private readonly clearToSilence: Histogram;
  private readonly workerRestarts: Counter<'reason'>;
  private readonly workerUtilization: Gauge<'worker'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.jitterDelay = new Histogram({
      name: 'trunkbridge_jitter_buffer_delay_ms',
      help: 'Receive jitter buffer delay of live legs, sampled about once a second per leg, ms',
      buckets: [0, 2, 5, 10, 20, 40, 60, 80, 120, 200, 400],
      registers,
    });
    this.playoutDepth = new Histogram({
      name: 'trunkbridge_playout_queue_ms',
      help: 'Audio queued for playout to the caller on live legs, sampled about once a second per leg, ms',
      buckets: [0, 20, 40, 100, 200, 500, 1000, 5000, 20000, 120000],
      registers,
    });
    this.addedLatency = new Histogram({
      name: 'trunkbridge_bridge_latency_ms',
      help:
        'Latency the bridge adds, sampled (bot_to_caller: a bot audio chunk received -> the RTP packet carrying its first sample sent; ' +
        'caller_to_bot: an RTP packet received -> the audio frame it begins written to the bot, jitter-buffer delay included), ms',
      labelNames: ['direction'] as const,
      buckets: [0.5, 1, 2, 5, 10, 20, 40, 60, 100, 200, 500],
      registers,
    });
    this.firstAudio = new Histogram({
      name: 'trunkbridge_bot_first_audio_seconds',
      help: "Answer (the bot routed to the caller) -> the bot's first audio chunk at the bridge, once per call, s",
      buckets: [0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10, 30],
      registers,
    });
    this.clearToSilence = new Histogram({
      name: 'trunkbridge_clear_to_silence_ms',
      help: "The bot's clear (barge-in) -> its queued audio off the wire (the next RTP packet slot carries none of it), ms",
      buckets: [1, 2, 5, 10, 20, 30, 40, 60, 100, 200],
      registers,
    });
    this.workerRestarts = new Counter({
      name: 'trunkbridge_media_worker_restarts_total',
      help: 'Media worker threads that died and were started again, by why: crashed (an uncaught error), unresponsive (the watchdog ended it), exited, start-failed (it died before it was ready)',
      labelNames: ['reason'] as const,
      registers,
    });
    // Every reason from the start: an alert on the rate has a series before the first restart.
    for (const reason of WORKER_LOSS_REASONS) this.workerRestarts.inc({ reason }, 0);
    this.eventLoopDelay = new Gauge({
      name: 'trunkbridge_event_loop_delay_p99_ms',
      help: "99th percentile of each thread's event-loop delay over its last report (main, media-worker-N), ms",
      labelNames: ['thread'] as const,
      registers,
    });
    this.workerUtilization = new Gauge({
      name: 'trunkbridge_media_worker_utilization',
      help: 'How busy each media worker is, 0..1: its event-loop utilization, or its thread running plus waiting for a core when more; smoothed (what media.workerBusyLimit judges)',
      labelNames: ['worker'] as const,
      registers,
    });
  }

  samples(list: readonly MediaSample[]): void {
    for (const s of list) {
      if (s.jitterDelayMs !== undefined) this.jitterDelay.observe(Math.max(0, s.jitterDelayMs));
      this.playoutDepth.observe(Math.max(0, s.playoutMs));
    }
  }

  /** Sampled caller -> bot latencies, ms. */
  callerToBot(samples: readonly number[]): void {
    for (const ms of samples) this.addedLatency.observe({ direction: 'caller_to_bot' }, Math.max(0, ms));
  }

  /** Sampled bot -> caller latencies, ms. */
  botToCaller(samples: readonly number[]): void {
    for (const ms of samples) this.addedLatency.observe({ direction: 'bot_to_caller' }, Math.max(0, ms));
  }

  /** Voice-AI figures, ms: answer -> the bot's first audio (observed in seconds), clear -> old audio off the wire. */
  voiceFigures(f: { firstAudioMs?: readonly number[]; clearToSilenceMs?: readonly number[] }): void {
    for (const ms of f.firstAudioMs ?? []) this.firstAudio.observe(Math.max(0, ms) / 1000);
    for (const ms of f.clearToSilenceMs ?? []) this.clearToSilence.observe(Math.max(0, ms));
  }

  /** A media worker died and another was started in its place. */
  workerRestarted(reason: WorkerLossReason): void {
    this.workerRestarts.inc({ reason });
  }

  /** A media worker's smoothed utilization, 0..1 (the larger of its event loop's and its thread's demand for a core). */
  workerBusy(worker: number, utilization: number): void {
    this.workerUtilization.set({ worker: String(worker) }, Math.min(1, Math.max(0, utilization)));
  }

  /** `thread`: 'main', or the worker's index. */
  eventLoopP99(thread: 'main' | number, ms: number): void {
    this.eventLoopDelay.set({ thread: thread === 'main' ? 'main' : `media-worker-${thread}` }, Math.max(0, ms));
  }
}
