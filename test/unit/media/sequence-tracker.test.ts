import { describe, expect, it } from 'vitest';
import { SequenceTracker } from '../../../src/media/rtp/index.js';

describe('SequenceTracker', () => {
  it.each([
    ['in order', [1, 2, 3, 4], [true, true, true, true], 0],
    ['gap of two', [10, 11, 14], [true, true, true], 2],
    ['duplicate dropped', [5, 5, 6], [true, false, true], 0],
    ['late packet not played, but not lost either (RFC 3550 A.3)', [1, 3, 2, 4], [true, true, false, true], 0],
    ['reordered across the wrap is not lost', [65534, 0, 65535, 1], [true, true, false, true], 0],
    ['late packet after a real loss', [1, 4, 2, 5], [true, true, false, true], 1],
    ['wraps at 65535', [65534, 65535, 0, 1], [true, true, true, true], 0],
    ['loss across the wrap', [65535, 2], [true, true], 2],
  ] as const)('%s', (_name, seqs, accepted, lost) => {
    const t = new SequenceTracker();
    expect(seqs.map((s) => t.accept(99, s))).toEqual(accepted);
    expect(t.lost).toBe(lost);
  });

  it('a single huge jump is ignored; two in a row restart the sequence', () => {
    const t = new SequenceTracker();
    expect(t.accept(7, 100)).toBe(true);
    expect(t.accept(7, 101)).toBe(true);
    expect(t.accept(7, 40000)).toBe(false); // stray
    expect(t.accept(7, 102)).toBe(true);
    expect(t.lost).toBe(0);
    expect(t.accept(7, 30000)).toBe(false);
    expect(t.accept(7, 30001)).toBe(true); // restart
    expect(t.accept(7, 30002)).toBe(true);
    expect(t.lost).toBe(0);
    expect(t.received).toBe(2);
  });

  it('exposes extended highest sequence and expected count for report blocks', () => {
    const t = new SequenceTracker();
    for (const s of [65530, 65535, 3]) t.accept(1, s);
    expect(t.extendedMax).toBe(0x10000 + 3);
    expect(t.expected).toBe(10);
    expect(t.received).toBe(3);
    expect(t.lost).toBe(7);
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
