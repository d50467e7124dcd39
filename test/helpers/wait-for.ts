/**
 * The one poller the tests use: wait until an observable condition holds, instead of sleeping for a time
 * that is long enough on a quiet machine and too short on a busy CI runner.
 */

export interface WaitForOptions {
  /** Give up after this long (default 10 s). */
  timeoutMs?: number;
  /** Time between checks (default 20 ms: short next to any network round trip the tests make). */
  intervalMs?: number;
  /** What is awaited, for the timeout message ("a bridge log line", "the SIPp UAS socket"). */
  what?: string;
  /** Extra state for the timeout message, computed only on failure (e.g. the events seen so far). */
  detail?: () => string;
  /**
   * 'resolve': on timeout resolve with undefined instead of rejecting, for a caller whose next line asserts the
   * same condition with a clearer message (an `expect` showing the value it got).
   */
  onTimeout?: 'throw' | 'resolve';
}

/**
 * Resolves with the first truthy value `condition` returns, checked at once and then every `intervalMs`;
 * rejects when `timeoutMs` passes first (or resolves with undefined, with `onTimeout: 'resolve'`). An error
 * thrown by `condition` (e.g. "the process exited") rejects at once: no point waiting for a process that is gone.
 */
export function waitFor<T>(condition: () => T | Promise<T>, opts: WaitForOptions & { onTimeout: 'resolve' }): Promise<NonNullable<T> | undefined>;
export function waitFor<T>(condition: () => T | Promise<T>, opts?: WaitForOptions): Promise<NonNullable<T>>;
export async function waitFor<T>(condition: () => T | Promise<T>, opts: WaitForOptions = {}): Promise<NonNullable<T> | undefined> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const intervalMs = opts.intervalMs ?? 20;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await condition();
    if (value) return value as NonNullable<T>;
    const left = deadline - Date.now();
    if (left <= 0) {
      if (opts.onTimeout === 'resolve') return undefined;
      const detail = opts.detail ? `: ${opts.detail()}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${opts.what ?? 'a condition'}${detail}`);
    }
    await new Promise((r) => setTimeout(r, Math.min(intervalMs, left)));
  }
}
