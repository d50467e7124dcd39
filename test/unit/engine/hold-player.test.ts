// HoldPlayer on the manual clock: keeps ~200 ms queued ahead of playout, loops the prompt, never spins on a sink
// that queues nothing, and says on stop whether anything was queued.
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { HoldPlayer } from '../../../src/engine/hold-player.js';

describe('HoldPlayer', () => {
  it('tops the sink up to at least 200 ms (less than one 100 ms chunk more) every 100 ms as it plays, looping the prompt', () => {
    const clock = new ManualClock();
    const pcm = Buffer.alloc(2 * 8000 * 0.25); // 250 ms at 8 kHz
    for (let i = 0; i < pcm.length / 2; i++) pcm.writeInt16LE(i, i * 2);
    let depth = 0;
    const chunks: Buffer[] = [];
    const hold = new HoldPlayer(clock, pcm, 8000, {
      depthMs: () => depth,
      play: (c) => {
        chunks.push(c);
        depth += c.length / 16;
      },
    });
    hold.start();
    expect(depth).toBe(200);
    for (let t = 0; t < 10; t++) {
      depth -= 100; // 100 ms played
      clock.advance(100);
      expect(depth).toBeGreaterThanOrEqual(200);
      expect(depth).toBeLessThan(300);
    }
    const all = Buffer.concat(chunks);
    expect(all.length / 16).toBe(depth + 1000); // what was queued = what is still queued + what played
    // Looped: the 250 ms prompt (samples 0..1999), then again from its start, without a gap or a repeat.
    for (let i = 0; i < all.length / 2; i++) expect(all.readInt16LE(i * 2)).toBe(i % 2000);
    expect(hold.stop()).toBe(true);
    clock.advance(1000);
    expect(Buffer.concat(chunks).length).toBe(all.length);
  });

  it('waits while the bot\'s own audio is still queued, and does not spin on a sink that queues nothing', () => {
    const clock = new ManualClock();
    let depth = 3000;
    let plays = 0;
    const hold = new HoldPlayer(clock, Buffer.alloc(1600), 8000, { depthMs: () => depth, play: () => plays++ });
    hold.start();
    clock.advance(1000);
    expect(plays).toBe(0);
    depth = 0; // routed nowhere: what is played never shows up as queued
    clock.advance(100);
    expect(plays).toBe(3); // a bounded handful per tick
    expect(hold.stop()).toBe(true);
    expect(new HoldPlayer(clock, Buffer.alloc(1600), 8000, { depthMs: () => 5000, play: () => {} }).stop()).toBe(false);
  });
});
