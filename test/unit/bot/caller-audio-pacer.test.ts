/** The silence pacer for continuous-audio dialects, on a manual clock: what it adds, and what it never adds. */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { CallerAudioPacer } from '../../../src/bot/caller-audio-pacer.js';

function setup() {
  const clock = new ManualClock(1000);
  const sent: Buffer[] = [];
  const pacer = new CallerAudioPacer({ clock, frameMs: 20, frameBytes: 320, send: (f) => sent.push(f) });
  return { clock, sent, pacer };
}

/** 20 ms at a time, a real frame arriving at the start of each step when `real` says so. */
function run(clock: ManualClock, pacer: CallerAudioPacer, ms: number, real: boolean): void {
  for (let t = 0; t < ms; t += 20) {
    if (real) pacer.counted();
    clock.advance(20);
  }
}

describe('CallerAudioPacer', () => {
  it('sends silence from the start while the caller sends nothing, 100 ms behind the clock', () => {
    const { clock, sent, pacer } = setup();
    pacer.start();
    clock.advance(100);
    expect(sent).toHaveLength(0);
    clock.advance(20);
    expect(sent).toHaveLength(1);
    clock.advance(880);
    // 1 s elapsed: 900 ms of audio, 45 frames of 320 zero bytes
    expect(sent).toHaveLength(45);
    expect(sent.every((f) => f.length === 320 && f.every((b) => b === 0))).toBe(true);
    expect(pacer.silentFrames).toBe(45);
  });

  it('with leadFrame, the stream opens with one silent frame at once, then keeps the same pace', () => {
    const clock = new ManualClock(1000);
    const sent: Buffer[] = [];
    const pacer = new CallerAudioPacer({ clock, frameMs: 20, frameBytes: 320, send: (f) => sent.push(f), leadFrame: true });
    pacer.start();
    expect(sent).toHaveLength(1);
    clock.advance(120);
    expect(sent).toHaveLength(1); // the lead frame counts: 120 ms in, 20 ms offered, 100 ms behind is the slack
    clock.advance(880);
    expect(sent).toHaveLength(45);
    pacer.stop();
  });

  it('adds nothing while real frames keep pace, nor when they run ahead', () => {
    const { clock, sent, pacer } = setup();
    pacer.start();
    run(clock, pacer, 2000, true);
    for (let i = 0; i < 20; i++) pacer.counted(); // a burst 400 ms ahead
    run(clock, pacer, 400, false);
    expect(sent).toHaveLength(0);
  });

  it('fills a gap in the caller audio and stops filling when it resumes', () => {
    const { clock, sent, pacer } = setup();
    pacer.start();
    run(clock, pacer, 1000, true);
    run(clock, pacer, 500, false); // the caller goes quiet (DTX, DTMF-only): 400 ms of it gets filled
    expect(sent).toHaveLength(20);
    run(clock, pacer, 1000, true);
    expect(sent).toHaveLength(20);
  });

  it('sends nothing after stop, and leaves no timer behind', () => {
    const { clock, sent, pacer } = setup();
    pacer.start();
    clock.advance(200);
    const before = sent.length;
    pacer.stop();
    clock.advance(1000);
    expect(sent).toHaveLength(before);
    expect(clock.pending()).toBe(0);
  });
});
