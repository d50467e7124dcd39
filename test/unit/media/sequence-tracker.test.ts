import { describe, expect, it } from 'vitest';
import { SequenceTracker } from '../../../src/media/rtp/index.js';

describe('SequenceTracker', () => {
  it.each([
    ['in order', [1, 2, 3, 4], [true, true, true, true], 0],
    ['gap of two', [10, 11, 14], [true, true, true], 2],
    ['duplicate dropped', [5, 5, 6], [true, false, true], 0],
    ['late packet dropped, its loss stays counted', [1, 3, 2, 4], [true, true, false, true], 1],
    ['wraps at 65535', [65534, 65535, 0, 1], [true, true, true, true], 0],
    ['loss across the wrap', [65535, 2], [true, true], 2],
  ] as const)('%s', (_name, seqs, accepted, lost) => {
    const t = new SequenceTracker();
    expect(seqs.map((s) => t.accept(99, s))).toEqual(accepted);
    expect(t.lost).toBe(lost);
  });

  it('restarts on a new SSRC and keeps earlier losses', () => {
    const t = new SequenceTracker();
    t.accept(1, 100);
    t.accept(1, 103); // 2 lost
    expect(t.accept(2, 7)).toBe(true);
    t.accept(2, 9); // 1 lost
    expect(t.lost).toBe(3);
  });
});
