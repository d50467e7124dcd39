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

  it('carves the current block again from its start once every array from it is released', () => {
    const blocks = new Int16Blocks(64);
    const a = blocks.alloc(10);
    const b = blocks.alloc(10);
    a.fill(5);
    b.fill(6);
    blocks.release(a);
    expect(blocks.alloc(4).byteOffset).toBe(b.byteOffset + 24); // b still held: carving goes on after it
    blocks.release(b);
    expect(blocks.alloc(2).byteOffset).toBeGreaterThan(0); // the 4-sample array is still held
  });

  it('reuses the current block, zero-filled, when nothing from it is held', () => {
    const blocks = new Int16Blocks(64);
    const a = blocks.alloc(20);
    a.fill(3);
    blocks.release(a);
    const b = blocks.alloc(20);
    expect(b.buffer).toBe(a.buffer);
    expect(b.byteOffset).toBe(0);
    expect([...b]).toEqual(new Array(20).fill(0));
  });

  it('reuses an earlier block once its arrays are released, and never one still held', () => {
    const blocks = new Int16Blocks(64);
    const first = blocks.alloc(32);
    const second = blocks.alloc(32);
    const third = blocks.alloc(32); // a second block
    expect(third.buffer).not.toBe(first.buffer);
    blocks.release(first);
    const fourth = blocks.alloc(32);
    expect(fourth.buffer).toBe(third.buffer); // the second block still has room
    const fifth = blocks.alloc(32); // first block still holds `second`: a third block
    expect(fifth.buffer).not.toBe(first.buffer);
    expect(fifth.buffer).not.toBe(third.buffer);
    blocks.release(second);
    blocks.release(third);
    blocks.release(fourth);
    second.fill(9);
    blocks.alloc(32); // fills the third block
    const again = blocks.alloc(32); // a spare block comes back zero-filled
    expect([first.buffer, third.buffer]).toContain(again.buffer);
    expect([...again]).toEqual(new Array(32).fill(0));
    expect(again.buffer).not.toBe(fifth.buffer);
  });

  it('ignores arrays it did not carve and leaves unreleased blocks to the garbage collector', () => {
    const blocks = new Int16Blocks(64);
    const kept = blocks.alloc(32);
    blocks.release(new Int16Array(8));
    blocks.release(new Int16Array(kept.length));
    for (let i = 0; i < 40; i++) blocks.alloc(32); // many blocks whose arrays are never released
    kept.fill(4);
    for (let i = 0; i < 4; i++) expect(blocks.alloc(32).buffer).not.toBe(kept.buffer);
    expect([...kept]).toEqual(new Array(32).fill(4));
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
