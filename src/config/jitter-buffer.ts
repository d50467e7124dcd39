/**
 * An inbound trunk's receive jitter buffer settings: which keys go together, their defaults, and the one
 * resolved form call control passes to the media session.
 *
 *   (nothing)                      adaptive, 0..200 ms
 *   jitterBuffer: adaptive         the same; jitterBufferMinMs / jitterBufferMaxMs bound it
 *   jitterBufferMs: 40             fixed 40 ms (as before adaptive existed); 0 = pass-through
 *   jitterBuffer: fixed            needs jitterBufferMs
 */
import type { z } from 'zod';

/** Adaptive delay bounds when the trunk does not set them, ms. */
export const JITTER_BUFFER_DEFAULTS = { minMs: 0, maxMs: 200 } as const;

/** The trunk keys read here (as parsed; each may be absent). */
export interface TrunkJitterKeys {
  jitterBuffer?: 'adaptive' | 'fixed' | undefined;
  jitterBufferMs?: number | undefined;
  jitterBufferMinMs?: number | undefined;
  jitterBufferMaxMs?: number | undefined;
}

/** What the media session is given: the shape of media's JitterBufferMode (config/ may not import media/). */
export type ResolvedJitterBuffer = { mode: 'adaptive'; minMs: number; maxMs: number } | { mode: 'fixed'; delayMs: number };

/** The trunk's buffer: fixed when it says so or sets jitterBufferMs alone, else adaptive with defaults filled in. */
export function resolveJitterBuffer(t: TrunkJitterKeys): ResolvedJitterBuffer {
  if (t.jitterBuffer === 'fixed' || (t.jitterBuffer === undefined && t.jitterBufferMs !== undefined)) {
    return { mode: 'fixed', delayMs: t.jitterBufferMs ?? 0 };
  }
  return { mode: 'adaptive', minMs: t.jitterBufferMinMs ?? JITTER_BUFFER_DEFAULTS.minMs, maxMs: t.jitterBufferMaxMs ?? JITTER_BUFFER_DEFAULTS.maxMs };
}

/** Keys that contradict each other, reported on the key to change (`path` is the trunk's). */
export function checkJitterBuffer(t: Record<string, unknown>, path: Array<string | number>, ctx: z.RefinementCtx): void {
  const issue = (key: string, message: string) => ctx.addIssue({ code: 'custom', path: [...path, key], message });
  const fixedMs = t.jitterBufferMs;
  if (t.jitterBuffer === 'adaptive' && fixedMs !== undefined) {
    issue('jitterBufferMs', 'is a fixed delay: remove it for jitterBuffer: adaptive (bound that with jitterBufferMinMs/jitterBufferMaxMs), or set jitterBuffer: fixed');
  }
  if (t.jitterBuffer === 'fixed' && fixedMs === undefined) issue('jitterBufferMs', 'required with jitterBuffer: fixed (the delay in ms; 0 = pass-through)');
  const fixed = t.jitterBuffer === 'fixed' || (t.jitterBuffer === undefined && fixedMs !== undefined);
  for (const key of ['jitterBufferMinMs', 'jitterBufferMaxMs']) {
    if (fixed && t[key] !== undefined) issue(key, 'only for the adaptive jitter buffer (jitterBufferMs sets a fixed delay)');
  }
  const min = t.jitterBufferMinMs;
  const max = t.jitterBufferMaxMs ?? JITTER_BUFFER_DEFAULTS.maxMs;
  if (!fixed && typeof min === 'number' && typeof max === 'number' && min > max) {
    issue('jitterBufferMinMs', `must not exceed jitterBufferMaxMs (${max})`);
  }
}
