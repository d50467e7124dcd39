// clear -> old audio off the wire: the send path reports how long after a clear its next slot went out.
import { describe, expect, it } from 'vitest';
import { SimLoop, level, sendSim } from './helpers/send-sim.js';

/** PCMU silence is 0xff throughout; the bot's frames never are. */
const silent = (payload: Buffer) => payload.every((b) => b === 0xff);

describe('RtpSendPath clear figure', () => {
  it("idleFill 'silence': reported at the first packet after the clear, which is silence", () => {
    const loop = new SimLoop(0);
    const { path, sent, cleared } = sendSim(loop);
    path.start(0);
    loop.input(1, () => path.playAudio(level(8000, 3000))); // 1 s of bot audio queued
    loop.input(105, () => path.clear());
    loop.runUntil(200);
    // The slot grid follows the bot's first chunk (at 1 ms): the first slot after the clear is at 121.
    const after = sent.filter((p) => p.at > 105);
    expect(after[0].at).toBe(121);
    expect(cleared).toEqual([16]);
    expect(after.every((p) => silent(p.payload))).toBe(true);
    expect(sent.filter((p) => p.at < 105 && p.at > 1).every((p) => !silent(p.payload))).toBe(true);
  });

  it("idleFill 'none': reported at the first empty slot after the clear", () => {
    const loop = new SimLoop(0);
    const { path, sent, cleared } = sendSim(loop, { idleFill: 'none' });
    path.start(0);
    loop.input(1, () => path.playAudio(level(8000, 3000)));
    loop.input(105, () => path.clear());
    loop.runUntil(300);
    expect(cleared).toHaveLength(1);
    expect(cleared[0]).toBeGreaterThanOrEqual(0);
    expect(cleared[0]).toBeLessThanOrEqual(20);
    expect(sent.filter((p) => p.at > 105)).toEqual([]);
  });

  it('no clear, no figure; two clears before a slot count once', () => {
    const loop = new SimLoop(0);
    const { path, cleared } = sendSim(loop);
    path.start(0);
    loop.runUntil(100);
    expect(cleared).toEqual([]);
    loop.input(101, () => path.clear());
    loop.input(102, () => path.clear());
    loop.runUntil(200);
    expect(cleared).toEqual([19]);
  });
});
