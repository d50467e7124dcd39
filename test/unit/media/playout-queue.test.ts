import { describe, expect, it } from 'vitest';
import { PlayoutQueue } from '../../../src/media/playout-queue.js';

const ramp = (from: number, n: number) => Int16Array.from({ length: n }, (_, i) => from + i);

function collect(q: PlayoutQueue): string[] {
  const seen: string[] = [];
  q.onMark((m) => seen.push(m));
  return seen;
}

describe('PlayoutQueue', () => {
  it('takes samples in order across chunk boundaries and pads the tail with zeros', () => {
    const q = new PlayoutQueue(8000);
    q.push(ramp(1, 5));
    q.push(ramp(6, 3));
    expect(q.bufferedSamples).toBe(8);
    expect(q.bufferedMs).toBe(1);
    expect([...q.take(3)!]).toEqual([1, 2, 3]);
    expect([...q.take(4)!]).toEqual([4, 5, 6, 7]);
    expect([...q.take(4)!]).toEqual([8, 0, 0, 0]);
    expect(q.take(4)).toBeNull();
  });

  it('returns null when empty and ignores empty pushes', () => {
    const q = new PlayoutQueue(16000);
    expect(q.take(320)).toBeNull();
    q.push(new Int16Array(0));
    expect(q.take(320)).toBeNull();
  });

  it('fills a caller buffer without allocating', () => {
    const q = new PlayoutQueue(8000);
    q.push(ramp(1, 2));
    const out = new Int16Array(4).fill(9);
    const got = q.take(4, out)!;
    expect(got.buffer).toBe(out.buffer);
    expect([...got]).toEqual([1, 2, 0, 0]);
  });

  it('fires a mark on an empty queue immediately', () => {
    const q = new PlayoutQueue(8000);
    const seen = collect(q);
    q.mark('now');
    expect(seen).toEqual(['now']);
  });

  it('fires marks only when playback passes them, in order', () => {
    const q = new PlayoutQueue(8000);
    const seen = collect(q);
    q.push(ramp(0, 160));
    q.mark('a');
    q.push(ramp(0, 100));
    q.mark('b');
    q.mark('c');
    q.take(100);
    expect(seen).toEqual([]);
    q.take(60); // exactly at 'a'
    expect(seen).toEqual(['a']);
    q.take(160); // past b and c in a padded frame
    expect(seen).toEqual(['a', 'b', 'c']);
  });

  it('clear() reports played time, segment time, last mark and drops the rest', () => {
    const q = new PlayoutQueue(8000);
    const seen = collect(q);
    q.push(ramp(0, 800)); // 100 ms
    q.mark('first');
    q.push(ramp(0, 800));
    q.mark('second');
    q.take(160 * 6); // 120 ms, passes 'first'
    expect(seen).toEqual(['first']);
    const r = q.clear();
    expect(r).toEqual({ playedMs: 120, segmentPlayedMs: 120, discardedMs: 80, lastMark: 'first', discardedMarks: ['second'] });
    expect(q.bufferedMs).toBe(0);
    expect(q.take(160)).toBeNull();
    expect(seen).toEqual(['first']); // 'second' never fires
    expect(q.clear()).toEqual({ playedMs: 0, segmentPlayedMs: 0, discardedMs: 0, discardedMarks: [] });
  });

  it('playedMs counts since the previous clear; segmentPlayedMs since the queue last ran dry', () => {
    const q = new PlayoutQueue(16000);
    q.push(new Int16Array(320 * 2)); // 40 ms
    q.take(320);
    q.take(320);
    expect(q.take(320)).toBeNull(); // ran dry
    q.push(new Int16Array(320 * 5)); // new utterance, 100 ms
    q.take(320);
    const r = q.clear();
    expect(r.playedMs).toBe(60);
    expect(r.segmentPlayedMs).toBe(20);
    expect(r.discardedMs).toBe(80);
    expect(r.lastMark).toBeUndefined();
  });

  it('padding zeros are not counted as played', () => {
    const q = new PlayoutQueue(8000);
    q.push(new Int16Array(80)); // 10 ms
    q.take(160);
    expect(q.clear().playedMs).toBe(10);
  });

  it('marks after a clear are positioned relative to new audio', () => {
    const q = new PlayoutQueue(8000);
    const seen = collect(q);
    q.push(new Int16Array(500));
    q.take(100);
    q.clear();
    q.push(new Int16Array(160));
    q.mark('x');
    expect(seen).toEqual([]);
    q.take(160);
    expect(seen).toEqual(['x']);
  });
});

describe('PlayoutQueue arrival stamps, skip and peak', () => {
  it("reports the arrival of each chunk whose first sample a take returned, once", () => {
    const q = new PlayoutQueue(8000);
    q.push(ramp(1, 100), 10);
    q.push(ramp(1, 100), 20);
    q.push(ramp(1, 30), 30);
    q.push(ramp(1, 30)); // no stamp given
    q.take(160);
    expect([...q.startedArrivals]).toEqual([10, 20]);
    q.take(160);
    expect(q.startedArrivals.map(String)).toEqual(['30', 'NaN']); // chunk 2's first sample was in the first take
    expect(q.take(160)).toBeNull();
    expect(q.startedArrivals).toEqual([]);
  });

  it('skip() drops from the head as played: marks fire, playedMs counts it, no stamps reported', () => {
    const q = new PlayoutQueue(8000);
    const seen = collect(q);
    q.push(ramp(1, 80), 1);
    q.mark('m');
    q.push(ramp(100, 80), 2);
    expect(q.skip(100)).toBe(100);
    expect(seen).toEqual(['m']);
    expect(q.startedArrivals).toEqual([]);
    expect([...q.take(4)!]).toEqual([120, 121, 122, 123]);
    expect(q.skip(1000)).toBe(56);
    expect(q.clear()).toMatchObject({ playedMs: 20, discardedMs: 0 });
  });

  it('peakAbs() looks at the next n samples across chunks without taking them', () => {
    const q = new PlayoutQueue(8000);
    q.push(Int16Array.from([1, -7, 3]));
    q.push(Int16Array.from([2, 9, -30]));
    q.take(1);
    expect(q.peakAbs(3)).toBe(7);
    expect(q.peakAbs(4)).toBe(9);
    expect(q.peakAbs(100)).toBe(30);
    expect(q.bufferedSamples).toBe(5);
  });
});

describe('PlayoutQueue capacity', () => {
  it('keeps at most maxBufferedMs and drops (and counts) the rest, then accepts again as it drains', () => {
    const q = new PlayoutQueue(8000, 100); // 800 samples
    expect(q.push(new Int16Array(600).fill(1))).toBe(600);
    expect(q.push(new Int16Array(600).fill(2))).toBe(200);
    expect(q.bufferedSamples).toBe(800);
    expect(q.droppedSamples).toBe(400);
    expect(q.push(new Int16Array(10))).toBe(0);
    expect(q.droppedSamples).toBe(410);
    const first = q.take(700)!;
    expect(first[0]).toBe(1);
    expect(first[650]).toBe(2);
    expect(q.push(new Int16Array(500).fill(3))).toBe(500);
    expect(q.bufferedSamples).toBe(600);
  });
});

describe('PlayoutQueue releasing its chunks', () => {
  it('hands each chunk back once it has been played, skipped or cleared, and never earlier', () => {
    const released: Int16Array[] = [];
    const q = new PlayoutQueue(8000, undefined, (c) => released.push(c));
    const a = new Int16Array([1, 2, 3, 4]);
    const b = new Int16Array([5, 6, 7, 8]);
    const c = new Int16Array([9, 10]);
    q.push(a);
    q.push(b);
    q.push(c);
    expect([...q.take(3)!]).toEqual([1, 2, 3]);
    expect(released).toEqual([]);
    expect([...q.take(3)!]).toEqual([4, 5, 6]);
    expect(released).toEqual([a]);
    expect(q.skip(2)).toBe(2);
    expect(released).toEqual([a, b]);
    q.push(new Int16Array([11]));
    q.clear();
    expect(released.length).toBe(4);
    expect(released[2]).toBe(c);
    expect(q.take(1)).toBeNull();
  });
});
