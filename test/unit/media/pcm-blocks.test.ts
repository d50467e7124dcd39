import { describe, expect, it } from 'vitest';
import { Int16Blocks, L16Splitter } from '../../../src/media/pcm.js';

describe('Int16Blocks', () => {
  it('carves zero-filled arrays of its own block that never overlap', () => {
    const blocks = new Int16Blocks(64);
    const a = blocks.alloc(10);
    const b = blocks.alloc(20);
    expect(a.buffer).toBe(b.buffer);
    expect(a.length).toBe(10);
    expect([...b]).toEqual(new Array(20).fill(0));
    a.fill(7);
    b.fill(9);
    expect([...a]).toEqual(new Array(10).fill(7));
    expect(b.byteOffset).toBeGreaterThanOrEqual(a.byteOffset + a.byteLength);
    expect(b.byteOffset % 8).toBe(0);
  });

  it('starts a new block when the current one is full, and gives big arrays a buffer of their own', () => {
    const blocks = new Int16Blocks(64);
    const first = blocks.alloc(32);
    const second = blocks.alloc(32);
    expect(second.buffer).toBe(first.buffer);
    const third = blocks.alloc(8);
    expect(third.buffer).not.toBe(first.buffer);
    expect(third.buffer.byteLength).toBe(128);
    const big = blocks.alloc(33);
    expect(big.buffer.byteLength).toBe(66);
    expect(big.byteOffset).toBe(0);
  });

  it('keeps two owners apart: what one keeps never shares a buffer with the other', () => {
    const one = new Int16Blocks();
    const two = new Int16Blocks();
    expect(one.alloc(160).buffer).not.toBe(two.alloc(160).buffer);
  });
});

describe('L16Splitter on its own blocks', () => {
  it('splits L16 LE bytes into samples carved from the blocks, carrying an odd byte over', () => {
    const blocks = new Int16Blocks(64);
    const s = new L16Splitter(blocks);
    const bytes = Buffer.alloc(8);
    [1, -2, 300, -32768].forEach((v, i) => bytes.writeInt16LE(v, i * 2));
    const a = s.push(bytes.subarray(0, 3));
    const b = s.push(bytes.subarray(3));
    expect([...a]).toEqual([1]);
    expect([...b]).toEqual([-2, 300, -32768]);
    expect(a.buffer).toBe(b.buffer);
    expect(blocks.bytesOf(b)).toBeInstanceOf(Uint8Array);
    expect(s.push(Buffer.alloc(0)).length).toBe(0);
  });
});
