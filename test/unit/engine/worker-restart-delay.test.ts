import { describe, expect, it } from 'vitest';
import { RESTART_BACKOFF_MAX_MS, restartDelayMs } from '../../../src/engine/worker/worker-slot.js';

describe('restartDelayMs: the wait before a media worker is started again', () => {
  it.each([
    [0, 0], // it ran and died: a new one at once
    [1, 1000],
    [2, 2000],
    [3, 4000],
    [5, 16_000],
    [6, RESTART_BACKOFF_MAX_MS],
    [1000, RESTART_BACKOFF_MAX_MS], // no overflow after a long outage
  ])('after %i failed starts in a row: %i ms', (failed, ms) => {
    expect(restartDelayMs(failed)).toBe(ms);
  });
});
