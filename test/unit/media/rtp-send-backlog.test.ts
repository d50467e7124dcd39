import { describe, expect, it } from 'vitest';
import { codecRegistry } from '../../../src/media/codecs/index.js';
import { SimLoop, level, realTimeBot, sendSim } from './helpers/send-sim.js';

const PCMU = codecRegistry.get('PCMU')!;

describe('RtpSendPath backlog trim: a bot streaming in real time does not keep the delay a burst gave it', () => {
  it('frames held up 100 ms on their way and then arriving at once: the backlog goes within ~1.5 s', () => {
    const loop = new SimLoop(0);
    const { path, latencies } = sendSim(loop, { idleFill: 'none' });
    path.start(0);
    // Frames 50-54 are held up and arrive together with frame 55 (a stalled bot or network).
    const late = new Map([50, 51, 52, 53, 54].map((k) => [k, (55 - k) * 20] as [number, number]));
    const arrivals = realTimeBot(loop, path, { start: 7, end: 6000, late, jitterMs: 0.5, seed: 3 });
    loop.runUntil(6100);
    // Whole packets' worth of it is dropped from the queue; a rest under a packet is phase, PhaseTrack's.
    expect(path.droppedMs.late).toBe(0);
    expect(path.droppedMs.backlog).toBeGreaterThanOrEqual(80);
    expect(path.droppedMs.backlog).toBeLessThanOrEqual(100);
    expect(latencies[60]).toBeGreaterThan(95); // right after the burst every frame waits 100 ms
    const sentAt = (k: number) => arrivals[k] + latencies[k];
    const recovered = latencies.findIndex((ms, i) => i > 55 && latencies.slice(i).every((x) => x < 5));
    // A 1 s window that no longer holds the burst (judged every quarter), then 10 packets waiting for a pause.
    expect(sentAt(recovered) - arrivals[55]).toBeLessThan(1600);
    expect(Math.max(...latencies.slice(recovered + 20))).toBeLessThanOrEqual(1);
  });

  it('drops the backlog where the audio is quiet if it can', () => {
    const loop = new SimLoop(0);
    const { path, sent } = sendSim(loop, { idleFill: 'none' });
    path.start(0);
    // 60 ms at once, then real time, half a slot off the grid; of every 10 frames 3 are a pause.
    let k = 0;
    let loudPushed = 0;
    const frame = () => {
      const quiet = k++ % 10 >= 7;
      if (!quiet) loudPushed += 160;
      return level(160, quiet ? 0 : 4000);
    };
    loop.input(5, () => [0, 1, 2].forEach(() => path.playAudio(frame())));
    for (let i = 0; i < 150; i++) loop.input(15 + i * 20, () => path.playAudio(frame()));
    loop.runUntil(3300);
    expect(path.droppedMs.backlog).toBeGreaterThanOrEqual(40);
    const decoder = PCMU.createDecoder();
    let loudSent = 0;
    for (const p of sent) for (const v of decoder.decode(p.payload)) if (Math.abs(v) > 1000) loudSent++;
    expect(loudSent).toBe(loudPushed); // what was dropped was all pause
  });

  it('a bot far ahead of real time (all its speech at once, or 1.5x pace) keeps every sample', () => {
    for (const pace of ['burst', 1.5] as const) {
      const loop = new SimLoop(0);
      const { path, latencies, marks } = sendSim(loop);
      path.start(0);
      if (pace === 'burst') loop.input(5, () => path.playAudio(level(8000 * 5, 4000)));
      else realTimeBot(loop, path, { start: 5, end: 5 + (5000 - 100) / pace + 1, periodMs: 100 / pace, samples: 800 });
      loop.input(4000, () => path.mark('end'));
      loop.runUntil(8000);
      expect(path.droppedMs).toEqual({ late: 0, backlog: 0, overflow: 0 });
      expect(marks.map((m) => m.at)).toEqual([4985]); // 250 packets from 5 (the first as it arrives)
      expect(latencies.length).toBeGreaterThan(0);
    }
  });

  it("audio beyond the playout queue's limit (120 s) is counted as overflow, the rest kept", () => {
    const loop = new SimLoop(0);
    const { path } = sendSim(loop, { keepPayload: false });
    path.start(0);
    loop.input(5, () => path.playAudio(level(8000 * 121, 4000)));
    loop.runUntil(100);
    expect(path.droppedMs).toEqual({ late: 0, backlog: 0, overflow: 1000 });
    expect(path.bufferedMs).toBe(120_000 - 100); // five packets played: at 5 (as it came), 25, 45, 65, 85
  });

  it("a DTMF key's slots leave the streaming bot's audio behind; that backlog goes too", () => {
    const loop = new SimLoop(0);
    const { path, latencies } = sendSim(loop, { telephoneEvent: { payloadType: 101, clockRate: 8000 } });
    path.start(0);
    realTimeBot(loop, path, { start: 7, end: 4000 });
    loop.input(300, () => path.enqueueDtmf('5', 60));
    loop.runUntil(4100);
    expect(path.droppedMs.backlog).toBeGreaterThanOrEqual(80); // the key's five packets, less a phase rest
    expect(path.droppedMs.backlog).toBeLessThanOrEqual(100);
    expect(Math.max(...latencies.slice(100))).toBeLessThanOrEqual(1);
  });
});
