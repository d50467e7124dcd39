/**
 * The timers of one {@link SystemClock}, kept in a binary min-heap by due time so the clock needs one Node timer
 * (for the earliest) instead of one per wait. Why: every media slot arms a timer, 10 000 a second at 200 calls;
 * a Node `setTimeout` with its handle allocated about 600 bytes each (a sampled heap profile of a media worker:
 * 7 MB/s of its 73 MB/s), and Node drains the tick queue after every timer it fires. Pure: no time source here.
 */
import { emptyKeepingCapacity } from './arrays.js';

/** One armed wait. `index` is its place in the heap, -1 once it has left (fired or cancelled). */
export class HeapTimer {
  index = -1;
  /** Arming order, set by {@link TimerHeap.insert}: ties at one due time run in it. */
  seq = 0;
  constructor(
    readonly at: number,
    readonly fn: () => void,
  ) {}
}

export class TimerHeap {
  private readonly heap: HeapTimer[] = [];
  private seq = 0;

  get size(): number {
    return this.heap.length;
  }

  /** Due time of the earliest timer, or undefined when none is armed. */
  get earliest(): number | undefined {
    return this.heap.length > 0 ? this.heap[0].at : undefined;
  }

  /** Arms `t` (a timer that is not in any heap). */
  insert(t: HeapTimer): void {
    t.seq = this.seq++;
    t.index = this.heap.length;
    this.heap.push(t);
    this.up(t.index);
  }

  /** Takes `t` out; false when it had already left (fired or cancelled before). */
  remove(t: HeapTimer): boolean {
    const i = t.index;
    if (i < 0 || this.heap[i] !== t) return false;
    t.index = -1;
    const last = this.heap.pop()!;
    if (i < this.heap.length) {
      this.heap[i] = last;
      last.index = i;
      this.down(i);
      this.up(last.index);
    }
    return true;
  }

  /**
   * Moves every timer due by `limit` into `out` (cleared first), earliest first and, at equal times, in the
   * order they were armed. They leave the heap before any runs, so a timer armed while they run waits for the
   * next turn even when it is due at once.
   */
  takeDue<T extends HeapTimer>(limit: number, out: T[]): void {
    emptyKeepingCapacity(out);
    while (this.heap.length > 0 && this.heap[0].at <= limit) {
      const top = this.heap[0] as T;
      this.remove(top);
      out.push(top);
    }
  }

  private before(a: HeapTimer, b: HeapTimer): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  private up(i: number): void {
    const h = this.heap;
    const t = h[i];
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.before(t, h[p])) break;
      h[i] = h[p];
      h[i].index = i;
      i = p;
    }
    h[i] = t;
    t.index = i;
  }

  private down(i: number): void {
    const h = this.heap;
    const n = h.length;
    const t = h[i];
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const c = l + 1 < n && this.before(h[l + 1], h[l]) ? l + 1 : l;
      if (!this.before(h[c], t)) break;
      h[i] = h[c];
      h[i].index = i;
      i = c;
    }
    h[i] = t;
    t.index = i;
  }
}
