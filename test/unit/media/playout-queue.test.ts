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
