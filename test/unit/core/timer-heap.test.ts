import { describe, expect, it } from 'vitest';
import { HeapTimer, TimerHeap } from '../../../src/core/timer-heap.js';

/** Deterministic pseudo-random sequence, so a failure replays. */
function lcg(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return s / 0x7fffffff;
  };
}

const noop = () => undefined;

describe('TimerHeap', () => {
  it.each([
    { name: 'ascending', ats: [1, 2, 3, 4, 5] },
    { name: 'descending', ats: [5, 4, 3, 2, 1] },
    { name: 'ties run in arming order', ats: [3, 1, 3, 1, 3] },
    { name: 'fractions', ats: [20.5, 20.25, 0, 19.999, 20.25] },
  ])('takes due timers earliest first: $name', ({ ats }) => {
    const heap = new TimerHeap();
    const timers = ats.map((at) => new HeapTimer(at, noop));
    timers.forEach((t) => heap.insert(t));
    const out: HeapTimer[] = [];
    heap.takeDue(Infinity, out);
    const expected = [...timers].sort((a, b) => a.at - b.at || timers.indexOf(a) - timers.indexOf(b));
    expect(out).toEqual(expected);
    expect(out.map((t) => t.index)).toEqual(ats.map(() => -1));
    expect(heap.size).toBe(0);
  });

  it('leaves the timers due after the limit', () => {
    const heap = new TimerHeap();
    for (const at of [5, 10, 10.5, 11, 30]) heap.insert(new HeapTimer(at, noop));
    const out: HeapTimer[] = [];
    heap.takeDue(10.5, out);
    expect(out.map((t) => t.at)).toEqual([5, 10, 10.5]);
    expect(heap.earliest).toBe(11);
    heap.takeDue(10.9, out);
    expect(out).toEqual([]);
  });

  it('removes from anywhere and keeps the order of the rest (2000 random operations against a sorted list)', () => {
    const rnd = lcg(7);
    const heap = new TimerHeap();
    let model: HeapTimer[] = [];
    for (let i = 0; i < 2000; i++) {
      if (model.length > 0 && rnd() < 0.4) {
        const victim = model[Math.floor(rnd() * model.length)];
        expect(heap.remove(victim)).toBe(true);
        expect(heap.remove(victim)).toBe(false); // twice: already gone
        model = model.filter((t) => t !== victim);
      } else {
        const t = new HeapTimer(Math.floor(rnd() * 50), noop);
        heap.insert(t);
        model.push(t);
      }
      expect(heap.size).toBe(model.length);
    }
    const out: HeapTimer[] = [];
    heap.takeDue(Infinity, out);
    expect(out).toEqual([...model].sort((a, b) => a.at - b.at || a.seq - b.seq));
  });

  it('does not remove a timer it never held', () => {
    const a = new TimerHeap();
    const b = new TimerHeap();
    const t = new HeapTimer(1, noop);
    a.insert(t);
    b.insert(new HeapTimer(1, noop));
    expect(b.remove(t)).toBe(false);
    expect(b.size).toBe(1);
    expect(a.size).toBe(1);
  });
});
