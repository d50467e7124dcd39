/**
 * Gives memory back after a burst of calls (issue #12: RSS back to its baseline within a minute of 10,000 short
 * calls). Each call's completed SIP transactions live on for 64*T1 (32 s, RFC 3261 Timers J/L/M) and are promoted
 * into V8's old space, which grows for them. When the burst ends, nothing allocates any more, so no GC runs to
 * find them dead (the soak saw RSS stay 60-80 MB up for a full minute), and a plain full GC leaves the
 * survivors spread over the grown pages. Once no call has been up for that lifetime (plus a margin), one
 * compacting full GC moves the survivors together and the emptied pages go back to the system.
 *
 * Only while idle: a compacting GC of a bridge with calls up would pause their media (tens of ms).
 */
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Logger } from './logger.js';
import type { Clock } from './clock.js';

export interface IdleReclaimOptions {
  clock: Clock;
  logger: Logger;
  /** How long no call may have been up before reclaiming: the completed transactions' lifetime and a margin. */
  quietMs: number;
  /** The compacting GC; undefined: never reclaims (see {@link compactingGc}). */
  collect: (() => void) | undefined;
}

/** Fed whether calls are up (once a second); runs {@link IdleReclaimOptions.collect} once after each busy spell. */
export class IdleMemoryReclaimer {
  private lastBusyAt: number | undefined;

  constructor(private readonly options: IdleReclaimOptions) {}

  /** `busy`: a call is up or being set up. */
  sample(busy: boolean): void {
    const now = this.options.clock.now();
    if (busy) {
      this.lastBusyAt = now;
      return;
    }
    if (this.lastBusyAt === undefined || now - this.lastBusyAt < this.options.quietMs) return;
    this.lastBusyAt = undefined;
    this.reclaim();
  }

  private reclaim(): void {
    const collect = this.options.collect;
    if (!collect) return;
    const before = process.memoryUsage();
    const t0 = performance.now();
    try {
      collect();
    } catch (err) {
      this.options.logger.warn({ err }, 'idle heap compaction failed');
      return;
    }
    const after = process.memoryUsage();
    const mb = (b: number) => Math.round(b / 2 ** 20);
    this.options.logger.info(
      { ms: Math.round(performance.now() - t0), heapMb: [mb(before.heapTotal), mb(after.heapTotal)], heapUsedMb: [mb(before.heapUsed), mb(after.heapUsed)] },
      'calls over: heap compacted',
    );
  }
}

/**
 * A compacting full GC of this thread's heap, from V8 flags set at run time (no `--expose-gc` on the command
 * line, so no global `gc` for other code to call); undefined where the runtime refuses them.
 */
export function compactingGc(): (() => void) | undefined {
  try {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as unknown;
    if (typeof gc !== 'function') return undefined;
    return () => {
      setFlagsFromString('--compact-on-every-full-gc');
      try {
        (gc as () => void)();
      } finally {
        setFlagsFromString('--no-compact-on-every-full-gc');
      }
    };
  } catch {
    return undefined;
  }
}
