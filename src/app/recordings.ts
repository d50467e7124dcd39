/**
 * Call recordings wired from config (README "Recording"): the settings the media engines record with, what
 * happens when a recording finishes or fails (metrics, log, the `recording-ready` event the call records take),
 * retention, the /v1/calls/{id}/recording route (behind the /v1 API-key gate) and the shutdown's wait for the
 * files being finished. Part of the composition root (layer "app").
 */
import { resolve } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import { TypedEmitter } from '../core/typed-emitter.js';
import { recordingModeFor, type Config } from '../config/index.js';
import { InProcessMediaEngine, findRecording, recordingsSettled, RetentionSweeper, type RecordingEvent, type RecordingFailed, type RecordingReady, type RecordingSettings } from '../engine/index.js';
import type { WorkerMediaEngine } from '../engine/worker/worker-engine.js';
import type { Registry } from 'prom-client';
import { RecordingMetrics } from '../metrics/index.js';
import type { CallManager } from '../calls/call-manager.js';
import type { CallRecordingPolicy } from '../calls/media-engine.js';
import { createRecordingRoute } from '../api/recording-route.js';
import type { RecordingHooks } from '../records/index.js';

/** The events of finished and failed recordings: `recording-ready` is what the call records (CDRs, webhooks) take. */
export interface RecordingEvents {
  'recording-ready': (e: RecordingReady) => void;
  'recording-failed': (e: RecordingFailed) => void;
}

/** Finished files the API finds without a disk walk (the most recent ones; older ones are looked up on disk). */
const INDEX_MAX = 10_000;

export class AppRecordings extends TypedEmitter<RecordingEvents> {
  /** What the engines record with; undefined when `recordings` is not configured. */
  readonly settings: RecordingSettings | undefined;
  private readonly metrics: RecordingMetrics;
  private readonly sweeper: RetentionSweeper | undefined;
  private readonly index = new Map<string, string>();

  constructor(
    private readonly config: Config,
    clock: Clock,
    private readonly log: Logger,
    registry: Registry,
  ) {
    super({ onListenerError: (err, event) => log.error({ err, event }, 'recording listener failed') });
    const r = config.recordings;
    this.metrics = new RecordingMetrics(registry);
    this.settings = r ? { dir: resolve(r.dir), pattern: r.pattern, format: r.format, sampleRate: r.sampleRate } : undefined;
    if (r?.retentionDays !== undefined) this.sweeper = new RetentionSweeper({ dir: resolve(r.dir), retentionDays: r.retentionDays, clock, log });
  }

  /** The engines' listener. */
  readonly onRecording = (e: RecordingEvent): void => {
    if (e.type === 'recording-ready') {
      const { type: _t, ...ready } = e;
      this.metrics.recorded(e.format, e.durationMs);
      this.index.set(e.callId, e.file);
      if (this.index.size > INDEX_MAX) this.index.delete(this.index.keys().next().value!);
      this.emit('recording-ready', ready);
    } else {
      const { type: _t, ...failed } = e;
      this.metrics.failed(e.failure);
      this.log.warn({ callId: e.callId, failure: e.failure, err: e.message }, 'recording failed; the call goes on');
      this.emit('recording-failed', failed);
    }
  };

  /**
   * A call's policy from the configuration snapshot it starts with: its number's, trunk's or bot's mode (those
   * change through the admin API), and the consent prompt.
   */
  policy(config: Config, trunk: string, number: string, bot: string): CallRecordingPolicy {
    const consent = config.recordings?.consentPrompt;
    return { mode: recordingModeFor(config, trunk, number, bot), ...(consent !== undefined ? { consentFile: consent } : {}) };
  }

  /** Finished files go to the call records (CDR `recording`, the `recording.ready` webhook). */
  reportTo(records: RecordingHooks): void {
    this.on('recording-ready', (r) => records.recordingReady({ callId: r.callId, file: r.file, pausedSpans: r.pausedSpans }));
    this.on('recording-failed', (r) => records.recordingFailed?.({ callId: r.callId }));
  }

  start(): void {
    this.sweeper?.start();
  }

  stop(): void {
    this.sweeper?.stop();
  }

  /**
   * GET and POST /v1/calls/{id}/recording, when the API is enabled and recordings configured. They sit behind the
   * /v1 API-key gate, which decides the role (GET read, POST operate).
   */
  routes(calls: CallManager): ((req: IncomingMessage, res: ServerResponse) => Promise<boolean>) | undefined {
    const s = this.settings;
    if (!s || !this.config.api.enabled) return undefined;
    return createRecordingRoute(
      {
        record: async (callId, action) => (await calls.answered(callId))?.record?.(action),
        findFile: async (callId) => {
          const path = this.index.get(callId) ?? (await findRecording(s, callId));
          return path ? { path, format: s.format } : undefined;
        },
      },
      { logger: this.log.child({ layer: 'api' }) },
    );
  }
}

/** How long a shutdown waits for the recordings of the calls just ended to be in place, ms. */
const SETTLE_MS = 3000;

/**
 * Resolves once the recordings of the calls just ended are in place (their `recording-ready` reported), in this
 * thread (workers: 0) or in every media worker; at most about 3 s.
 */
export async function settleRecordings(media: InProcessMediaEngine | WorkerMediaEngine, clock: Clock): Promise<void> {
  if (media instanceof InProcessMediaEngine) await recordingsSettled(clock, SETTLE_MS);
  else await media.settleRecordings(SETTLE_MS);
}
