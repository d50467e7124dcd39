import { describe, expect, it } from 'vitest';
import { LEFT, RIGHT, StereoTimeline, type Side } from '../../../../src/media/recording/index.js';

/** 1 kHz rate so 1 sample = 1 ms: the tables read as times. */
const RATE = 1000;

type Step = { side: Side; n: number; v: number; at: number } | { tick: number } | { flush: true };

function run(steps: Step[], slackMs = 5): number[][] {
  const t = new StereoTimeline({ sampleRate: RATE, startMs: 100, slackMs });
  const out: number[][] = [];
  for (const s of steps) {
    let got: Int16Array;
    if ('flush' in s) got = t.flush();
    else if ('tick' in s) got = t.tick(s.tick);
    else got = t.push(s.side, new Array<number>(s.n).fill(s.v), s.at);
    out.push([...got]);
  }
  return out;
}

describe('StereoTimeline', () => {
  it.each<{ name: string; steps: Step[]; want: number[][]; slackMs?: number }>([
    {
      name: 'interleaves what both sides cover, left first',
      steps: [{ side: LEFT, n: 2, v: 1, at: 102 }, { side: RIGHT, n: 3, v: 2, at: 102 }, { side: LEFT, n: 1, v: 3, at: 103 }],
      want: [[], [1, 2, 1, 2], [3, 2]],
    },
    {
      name: 'a side lagging beyond the slack gets silence up to the slack',
      steps: [{ side: LEFT, n: 10, v: 1, at: 110 }, { side: RIGHT, n: 2, v: 2, at: 110 }],
      // At 110 ms 10 samples are due; the right side, silent, is filled to 10 - 5 = 5, then its 2 samples follow.
      want: [[1, 0, 1, 0, 1, 0, 1, 0, 1, 0], [1, 2, 1, 2]],
    },
    {
      name: 'a tick fills both quiet sides',
      steps: [{ tick: 108 }],
      want: [[0, 0, 0, 0, 0, 0]],
    },
    {
      name: 'within the slack nothing is filled (jitter)',
      steps: [{ side: LEFT, n: 4, v: 1, at: 104 }, { tick: 105 }, { side: RIGHT, n: 4, v: 2, at: 108 }],
      want: [[], [], [1, 2, 1, 2, 1, 2, 1, 2]],
    },
    {
      name: 'flush pads the shorter side',
      steps: [{ side: RIGHT, n: 2, v: 2, at: 100 }, { flush: true }],
      want: [[], [0, 2, 0, 2]],
    },
    {
      name: 'pushes before the start are placed at the start',
      steps: [{ side: LEFT, n: 1, v: 1, at: 50 }, { side: RIGHT, n: 1, v: 2, at: 50 }],
      want: [[], [1, 2]],
    },
  ])('$name', ({ steps, want, slackMs }) => {
    expect(run(steps, slackMs)).toEqual(want);
  });

  it('counts the stereo frames emitted', () => {
    const t = new StereoTimeline({ sampleRate: RATE, startMs: 0, slackMs: 5 });
    t.push(LEFT, [1, 1, 1], 3);
    t.push(RIGHT, [2, 2], 3);
    expect(t.emitted).toBe(2);
    t.flush();
    expect(t.emitted).toBe(3);
  });
});
