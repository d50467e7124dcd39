/** bot-check's simulated playout on a manual clock: marks after their audio, at once when idle, clears. */
import { describe, expect, it } from 'vitest';
import { SimulatedPlayout, type PlayoutTimers } from '../../../src/botcheck/index.js';
import type { BridgeEvent } from '../../../src/bot/index.js';

/** Timers that move only when told. */
class ManualTimers implements PlayoutTimers {
  t = 0;
  private timers: Array<{ at: number; fn: () => void; live: boolean }> = [];
  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number) {
    const entry = { at: this.t + ms, fn, live: true };
    this.timers.push(entry);
    return { cancel: () => (entry.live = false) };
  }
  advance(ms: number): void {
    this.t += ms;
    for (const e of this.timers.filter((x) => x.live && x.at <= this.t).sort((a, b) => a.at - b.at)) {
      e.live = false;
      e.fn();
    }
  }
}

function setup() {
  const timers = new ManualTimers();
  const events: BridgeEvent[] = [];
  const playout = new SimulatedPlayout((e) => events.push(e), timers);
  return { timers, events, playout };
}

describe('SimulatedPlayout', () => {
  it('returns a mark once the audio queued before it has played, and at once when nothing is queued', () => {
    const { timers, events, playout } = setup();
    playout.mark('idle');
    timers.advance(0);
    expect(events).toEqual([{ type: 'mark', name: 'idle' }]);
    playout.audio(500);
    playout.mark('greeting');
    timers.advance(499);
    expect(events).toHaveLength(1);
    expect(playout.pendingMarks).toBe(1);
    timers.advance(1);
    expect(events[1]).toEqual({ type: 'mark', name: 'greeting' });
    expect(playout.reached).toEqual(['idle', 'greeting']);
  });

  it('a clear drops the queue and pending marks and says how much played and the last mark reached', () => {
    const { timers, events, playout } = setup();
    playout.audio(300);
    playout.mark('a');
    playout.audio(1000);
    playout.mark('b');
    timers.advance(700);
    playout.clear();
    expect(events).toEqual([
      { type: 'mark', name: 'a' },
      { type: 'cleared', playedMs: 700, lastMark: 'a' },
    ]);
    expect(playout.queuedMs).toBe(0);
    timers.advance(5000);
    expect(events).toHaveLength(2); // "b" was dropped, never returned
    // Counting starts again from the clear; audio after a gap counts only what played.
    playout.audio(200);
    timers.advance(1000);
    playout.audio(100);
    timers.advance(50);
    playout.clear();
    expect(events[2]).toEqual({ type: 'cleared', playedMs: 250 });
  });
});
