import { afterEach, describe, expect, it, vi } from 'vitest';
import { SystemClock } from '../../../src/core/clock.js';

describe('SystemClock', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('waits longer than 2^31-1 ms instead of firing at once as a bare Node timer would', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const clock = new SystemClock();
    const fired: number[] = [];
    // A Session-Expires of 4294967 s puts the session's end about 4.29e9 ms away.
    clock.setTimeout(() => fired.push(clock.now()), 4_294_935_000);
    vi.advanceTimersByTime(1000);
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(2 ** 31);
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(4_294_935_000 - 2 ** 31 - 1000);
    expect(fired).toHaveLength(1);
  });

  it('cancels a chained long timer', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const clock = new SystemClock();
    let fired = false;
    const handle = clock.setTimeout(() => (fired = true), 2 ** 32);
    vi.advanceTimersByTime(2 ** 31);
    handle.cancel();
    vi.advanceTimersByTime(2 ** 32);
    expect(fired).toBe(false);
  });

  it('counts live timers: armed ones until they fire or are cancelled, each once', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const clock = new SystemClock();
    const before = SystemClock.liveTimers;
    const a = clock.setTimeout(() => undefined, 10);
    clock.setTimeout(() => undefined, 20);
    clock.setTimeout(() => undefined, 2 ** 32); // chained: still one timer
    expect(SystemClock.liveTimers).toBe(before + 3);
    a.cancel();
    a.cancel();
    expect(SystemClock.liveTimers).toBe(before + 2);
    vi.advanceTimersByTime(20);
    expect(SystemClock.liveTimers).toBe(before + 1);
    vi.advanceTimersByTime(2 ** 32);
    expect(SystemClock.liveTimers).toBe(before);
  });
});
