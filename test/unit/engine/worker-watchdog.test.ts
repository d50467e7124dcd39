import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { WATCHDOG_CHECK_MS, WorkerWatchdog, type WatchedWorker } from '../../../src/engine/worker/watchdog.js';

class FakeWorker implements WatchedWorker {
  lastHeardAt = 0;
  readonly replaced: number[] = [];
  replaceUnresponsive(silentMs: number): void {
    this.replaced.push(silentMs);
    this.lastHeardAt += silentMs; // as a slot does: its new thread counts as heard from now
  }
}

function setup(limitMs = 10_000) {
  const clock = new ManualClock();
  const workers = [new FakeWorker(), new FakeWorker()];
  const dog = new WorkerWatchdog(clock, workers, limitMs);
  dog.start();
  return { clock, workers, dog };
}

describe('WorkerWatchdog', () => {
  it('replaces a worker silent past the limit, found within a check of it; one that reports is left alone', () => {
    const { clock, workers } = setup();
    for (let t = 0; t < 12_000; t += 500) {
      workers[1].lastHeardAt = clock.now(); // reports every half second
      clock.advance(500);
    }
    expect(workers[0].replaced).toEqual([11_000]); // first seen over 10 s at the check of 11 s
    expect(workers[1].replaced).toEqual([]);
  });

  it('judges nobody in a round that ran late (this thread was held up, the reports are still queued)', () => {
    const { clock, workers, dog } = setup(500);
    // The round due at 1 s runs at 15 s (the timer could not fire earlier): both workers look silent for 15 s.
    dog.check(15_000);
    expect(workers.map((w) => w.replaced)).toEqual([[], []]);
    // On time, silence over the limit counts.
    clock.advance(WATCHDOG_CHECK_MS);
    expect(workers.map((w) => w.replaced)).toEqual([[1000], [1000]]);
  });

  it('0 turns it off; stop cancels its timer', () => {
    const off = setup(0);
    expect(off.clock.pending()).toBe(0);
    off.clock.advance(60_000);
    expect(off.workers[0].replaced).toEqual([]);
    const on = setup();
    expect(on.clock.pending()).toBe(1);
    on.dog.stop();
    expect(on.clock.pending()).toBe(0);
  });
});
