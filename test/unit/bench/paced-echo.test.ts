import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PacedEcho } from '../../../src/bench/paced-echo.js';

/** Frames pushed at the given times (ms); returns [frame number, time sent] for each send. */
function run(arrivals: number[], untilMs: number): Array<[number, number]> {
  const sent: Array<[number, number]> = [];
  const echo = new PacedEcho((f) => sent.push([f[0], performance.now()]));
  const start = performance.now();
  arrivals.forEach((at, i) => setTimeout(() => echo.push(Buffer.from([i])), at));
  vi.advanceTimersByTime(untilMs);
  echo.close();
  return sent.map(([n, t]) => [n, Math.round(t - start)]);
}

describe('bench sink: echo on its own 20 ms clock', () => {
  beforeEach(() => vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] }));
  afterEach(() => vi.useRealTimers());

  it.each([
    ['steady arrivals: one frame per slot, 40 ms after the first', [0, 20, 40, 60], [[0, 40], [1, 60], [2, 80], [3, 100]]],
    ['jittered arrivals within the margin keep the slots', [0, 47, 53, 98], [[0, 40], [1, 60], [2, 80], [3, 100]]],
    ['a frame later than its slot goes in the next one; nothing is dropped', [0, 20, 85, 90], [[0, 40], [1, 60], [2, 100], [3, 120]]],
    ['a burst deeper than 6 frames is sent at once', [0, 1, 2, 3, 4, 5, 6, 7], [[0, 6], [1, 7], [2, 40], [3, 60], [4, 80], [5, 100], [6, 120], [7, 140]]],
  ])('%s', (_name, arrivals, expected) => {
    expect(run(arrivals as number[], 200)).toEqual(expected);
  });

  it('reports how late each frame sent on the clock left its slot (none for a burst sent at once)', () => {
    const late: number[] = [];
    const sent: number[] = [];
    const echo = new PacedEcho((f) => sent.push(f[0]), { onLate: (ms) => late.push(ms) });
    for (let i = 0; i < 8; i++) echo.push(Buffer.from([i])); // 8 at once: 2 over the depth go at once
    vi.advanceTimersByTime(200);
    echo.close();
    expect(sent).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(late).toEqual([0, 0, 0, 0, 0, 0]); // fake timers fire on time
  });

  it('stops sending once closed', () => {
    const sent: number[] = [];
    const echo = new PacedEcho((f) => sent.push(f[0]));
    echo.push(Buffer.from([1]));
    echo.push(Buffer.from([2]));
    echo.close();
    vi.advanceTimersByTime(100);
    expect(sent).toEqual([]);
  });
});
