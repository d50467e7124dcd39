import { Counter, Histogram, type Registry } from 'prom-client';

/** Why a recording failed, as labelled (a closed set). */
const FAILURES: ReadonlySet<string> = new Set(['disk-full', 'io-error', 'backlog']);

/** Call recordings: files finished, recordings stopped by a failure (by reason), and their lengths. */
export class RecordingMetrics {
  readonly ready: Counter<'format'>;
  readonly failures: Counter<'reason'>;
  readonly seconds: Histogram;

  constructor(registry: Registry) {
    const registers = [registry];
    this.ready = new Counter({ name: 'trunkbridge_recordings_total', help: 'Recordings finished and moved into place', labelNames: ['format'] as const, registers });
    this.failures = new Counter({
      name: 'trunkbridge_recording_failures_total',
      help: 'Recordings stopped by a failure (the call went on): disk-full, io-error, backlog (the disk fell behind)',
      labelNames: ['reason'] as const,
      registers,
    });
    this.seconds = new Histogram({ name: 'trunkbridge_recording_seconds', help: 'Length of finished recordings', buckets: [10, 30, 60, 120, 300, 600, 1800, 3600], registers });
  }

  /** A finished file. */
  recorded(format: string, durationMs: number): void {
    this.ready.inc({ format: format === 'ogg' ? 'ogg' : 'wav' });
    this.seconds.observe(durationMs / 1000);
  }

  /** A recording stopped by a failure. */
  failed(reason: string): void {
    this.failures.inc({ reason: FAILURES.has(reason) ? reason : 'other' });
  }
}
