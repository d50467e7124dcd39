import { describe, expect, it } from 'vitest';
import { judgeAudio, levelDbfs, sineTone, toneAmplitude, type TimedFrame } from '../../../src/testcall/audio-check.js';

/** 20 ms frames of `pcm` arriving every 20 ms from `start`. */
function framesOf(pcm: Int16Array, start: number): TimedFrame[] {
  const out: TimedFrame[] = [];
  for (let i = 0; i * 160 < pcm.length; i++) out.push({ at: start + 20 * i, pcm: pcm.subarray(i * 160, (i + 1) * 160) });
  return out;
}

describe('test-call audio check', () => {
  it('the tone: -12 dBFS peak, so -15 dBFS RMS; Goertzel finds it and not its neighbours', () => {
    const tone = sineTone(440, 8000, 1);
    expect(tone.length).toBe(8000);
    expect(levelDbfs(tone)).toBeCloseTo(-15.05, 1);
    expect(toneAmplitude(tone, 8000, 440)).toBeCloseTo(8231, -2);
    expect(toneAmplitude(tone, 8000, 590)).toBeLessThan(100);
    expect(levelDbfs(new Int16Array(160))).toBe(Number.NEGATIVE_INFINITY);
  });

  it('an echo 60 ms late: heard, first sound 60 ms after ours started', () => {
    const silence = new Int16Array(480);
    const back = new Int16Array(480 + 8000);
    back.set(silence);
    back.set(sineTone(440, 8000, 1), 480);
    const v = judgeAudio(framesOf(back, 1000), 1000, 8000, 440);
    expect(v).toMatchObject({ frames: 53, toneHeard: true, firstSoundMs: 60 });
    expect(v.peakFrameDbfs).toBeCloseTo(-15, 0);
  });

  it('silence back: nothing heard; another tone back: sound, but not our tone', () => {
    expect(judgeAudio(framesOf(new Int16Array(8000), 0), 0, 8000, 440)).toEqual({ frames: 50, levelDbfs: Number.NEGATIVE_INFINITY, peakFrameDbfs: Number.NEGATIVE_INFINITY, toneHeard: false });
    const other = judgeAudio(framesOf(sineTone(1000, 8000, 1), 0), 0, 8000, 440);
    expect(other.toneHeard).toBe(false);
    expect(other.firstSoundMs).toBe(0);
  });
});
