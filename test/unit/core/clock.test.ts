import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
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

describe('SystemClock: one Node timer for all its waits', () => {
  let clock: SystemClock;
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    clock = new SystemClock();
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  it('keeps one Node timer armed however many waits there are, and runs each at its time', () => {
    const fired: Array<[number, number]> = [];
    for (let i = 0; i < 200; i++) clock.setTimeout(() => fired.push([i, Math.round(clock.now())]), 20 + (i % 20));
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(19);
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(21);
    expect(fired).toHaveLength(200);
    for (const [i, at] of fired) expect(at - (20 + (i % 20))).toBeGreaterThanOrEqual(0); // never early
    for (const [i, at] of fired) expect(at - (20 + (i % 20))).toBeLessThanOrEqual(1); // at most Node's 1 ms grain late
    expect(vi.getTimerCount()).toBe(0);
  });

  it('never runs a wait before its time, even one due just after the wait firing; runs them in due order', () => {
    const order: string[] = [];
    clock.setTimeout(() => order.push('b'), 10.5);
    clock.setTimeout(() => order.push('a'), 10);
    clock.setTimeout(() => order.push('c'), 12);
    vi.advanceTimersByTime(10);
    expect(order).toEqual(['a']);
    vi.advanceTimersByTime(1);
    expect(order).toEqual(['a', 'b']);
    vi.advanceTimersByTime(1);
    expect(order).toEqual(['a', 'b', 'c']);
  });

  it('runs a wait armed during a turn on a later turn, even at 0 ms (I/O gets its turn first)', () => {
    const order: string[] = [];
    clock.setTimeout(() => {
      order.push('first');
      clock.setTimeout(() => order.push('again'), 0);
    }, 5);
    vi.advanceTimersByTime(5);
    expect(order).toEqual(['first']);
    vi.advanceTimersByTime(1);
    expect(order).toEqual(['first', 'again']);
  });

  it('skips a wait cancelled by an earlier one of the same turn, and counts it once', () => {
    const before = SystemClock.liveTimers;
    const ran: string[] = [];
    const handles: Array<{ cancel(): void }> = [];
    handles.push(clock.setTimeout(() => (ran.push('a'), handles[1].cancel()), 10));
    handles.push(clock.setTimeout(() => ran.push('b'), 10));
    vi.advanceTimersByTime(10);
    expect(ran).toEqual(['a']);
    expect(SystemClock.liveTimers).toBe(before);
    handles[0].cancel(); // after it ran: nothing to count
    expect(SystemClock.liveTimers).toBe(before);
  });

  it('arms the Node timer earlier for a wait due before the armed one', () => {
    const ran: string[] = [];
    clock.setTimeout(() => ran.push('late'), 100);
    clock.setTimeout(() => ran.push('soon'), 3);
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(3);
    expect(ran).toEqual(['soon']);
  });

  it('a wait that throws does not cost the others their turn; its error is rethrown outside the turn', () => {
    const rethrown: Array<() => void> = [];
    vi.spyOn(globalThis, 'queueMicrotask').mockImplementation((fn) => void rethrown.push(fn));
    const ran: string[] = [];
    const boom = new Error('boom');
    clock.setTimeout(() => {
      throw boom;
    }, 10);
    clock.setTimeout(() => ran.push('after'), 10);
    vi.advanceTimersByTime(10);
    expect(ran).toEqual(['after']);
    expect(rethrown).toHaveLength(1);
    expect(() => rethrown[0]()).toThrow(boom);
  });
});
