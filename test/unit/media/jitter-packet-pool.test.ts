import { describe, expect, it } from 'vitest';
import { JitterPacketPool } from '../../../src/media/jitter/index.js';

const header = (seq: number) => ({ ssrc: 7, sequenceNumber: seq, timestamp: seq * 160, payloadType: 0, marker: seq === 0 });

describe('JitterPacketPool', () => {
  it('copies the payload: the datagram may be reused or dropped once the packet is taken', () => {
    const pool = new JitterPacketPool();
    const datagram = Buffer.from([1, 2, 3, 4]);
    const p = pool.take(header(0), datagram, 160, 12.5);
    datagram.fill(9);
    expect([...p.payload]).toEqual([1, 2, 3, 4]);
    expect(p.payload.buffer).not.toBe(datagram.buffer);
    expect(p).toMatchObject({ ssrc: 7, sequenceNumber: 0, timestamp: 0, payloadType: 0, marker: true, duration: 160, arrivedAt: 12.5 });
  });

  it('reuses a given-back packet and its storage, with the new fields and payload length', () => {
    const pool = new JitterPacketPool();
    const a = pool.take(header(1), Buffer.alloc(160, 0x11), 160, 1);
    const storage = a.payload.buffer;
    pool.give(a);
    expect(pool.size).toBe(1);
    const b = pool.take(header(2), Buffer.alloc(80, 0x22), 80, 2);
    expect(b).toBe(a);
    expect(b.payload.buffer).toBe(storage);
    expect(b.payload.length).toBe(80);
    expect(b.payload.every((v) => v === 0x22)).toBe(true);
    expect(b).toMatchObject({ sequenceNumber: 2, timestamp: 320, marker: false, duration: 80, arrivedAt: 2 });
    expect(pool.size).toBe(0);
  });

  it('grows a packet\'s storage for a payload larger than it holds', () => {
    const pool = new JitterPacketPool();
    const a = pool.take(header(1), Buffer.alloc(10, 1), 10, 0);
    pool.give(a);
    const big = Buffer.alloc(1275, 5); // the largest Opus frame
    const b = pool.take(header(2), big, 960, 0);
    expect(b).toBe(a);
    expect(b.payload.length).toBe(1275);
    expect(b.payload.equals(big)).toBe(true);
  });

  it('keeps packets given back twice once, ignores packets it did not make and keeps at most `max`', () => {
    const pool = new JitterPacketPool(2);
    const a = pool.take(header(1), Buffer.alloc(4), 4, 0);
    pool.give(a);
    pool.give(a);
    expect(pool.size).toBe(1);
    pool.give({ ...header(3), payload: Buffer.alloc(4), duration: 4 });
    expect(pool.size).toBe(1);
    const more = [pool.take(header(4), Buffer.alloc(4), 4, 0), pool.take(header(5), Buffer.alloc(4), 4, 0), pool.take(header(6), Buffer.alloc(4), 4, 0)];
    expect(new Set(more).size).toBe(3);
    for (const p of more) pool.give(p);
    expect(pool.size).toBe(2);
  });
});
