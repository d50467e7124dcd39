/**
 * Finished recordings on disk: finding a call's file (for the API) and deleting old ones (retention). Runs where
 * the API runs (the main thread), on the files the engines moved into place; temporary files (".*.part") are
 * never served, and deleted by retention only once old.
 */
import { readdir, rmdir, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock, TimerHandle } from '../../core/clock.js';
import type { Logger } from '../../core/logger.js';
import type { RecordingFormat, RecordingSettings } from './settings.js';

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A regex for one path segment of the pattern, with `{date}` any YYYY-MM-DD and the rest filled in. */
function segmentRegex(segment: string, callId: string, format: RecordingFormat): RegExp {
  const filled = segment.replaceAll('{callId}', callId).replaceAll('{ext}', format);
  return new RegExp(`^${filled.split('{date}').map(escape).join('\\d{4}-\\d{2}-\\d{2}')}$`);
}

/** The finished file of `callId` under `dir` (newest match), or undefined. `callId` must already be validated. */
export async function findRecording(s: Pick<RecordingSettings, 'dir' | 'pattern' | 'format'>, callId: string): Promise<string | undefined> {
  const segments = s.pattern.split('/').filter((x) => x !== '');
  let dirs = [s.dir];
  for (let i = 0; i < segments.length; i++) {
    const re = segmentRegex(segments[i], callId, s.format);
    const next: string[] = [];
    for (const d of dirs) {
      const names = await readdir(d).catch(() => [] as string[]);
      for (const n of names) if (re.test(n)) next.push(join(d, n));
    }
    if (next.length === 0) return undefined;
    dirs = next.sort();
  }
  return dirs.at(-1);
}

const DAY_MS = 86_400_000;
/** How often retention looks for old files. */
export const RETENTION_SWEEP_MS = 3_600_000;

/**
 * Deletes recordings whose last change is older than `retentionDays` (and folders left empty), now and every
 * {@link RETENTION_SWEEP_MS} through the clock. Errors are logged; the next sweep tries again.
 */
export class RetentionSweeper {
  private timer: TimerHandle | undefined;
  private stopped = false;
  private running: Promise<number> = Promise.resolve(0);

  constructor(
    private readonly o: { dir: string; retentionDays: number; clock: Clock; log: Logger; wallNow?: () => number },
  ) {}

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = undefined;
  }

  /** One sweep now; resolves with the number of files deleted. */
  sweep(): Promise<number> {
    this.running = this.running.then(() => this.sweepDir(this.o.dir, (this.o.wallNow ?? Date.now)() - this.o.retentionDays * DAY_MS));
    return this.running;
  }

  private schedule(ms: number): void {
    this.timer = this.o.clock.setTimeout(() => {
      void this.sweep().then(
        (n) => (n > 0 ? this.o.log.info({ deleted: n, retentionDays: this.o.retentionDays }, 'old recordings deleted') : undefined),
        (err: unknown) => this.o.log.warn({ err }, 'recording retention sweep failed'),
      );
      if (!this.stopped) this.schedule(RETENTION_SWEEP_MS);
    }, ms);
  }

  private async sweepDir(dir: string, cutoff: number): Promise<number> {
    let deleted = 0;
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      const path = join(dir, e.name);
      if (e.isDirectory()) {
        const inside = await this.sweepDir(path, cutoff);
        deleted += inside;
        // A folder this sweep emptied of old files goes too (rmdir refuses one that is not empty); a fresh, empty
        // date folder a recording is about to write into is left alone.
        if (inside > 0) await rmdir(path).catch(() => {});
      } else if (e.isFile()) {
        const st = await stat(path).catch(() => undefined);
        if (st && st.mtimeMs < cutoff && (await unlink(path).then(() => true, () => false))) deleted++;
      }
    }
    return deleted;
  }
}
