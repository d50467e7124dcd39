import { describe, expect, it } from 'vitest';
import { SimLoop, TS0, level, realTimeBot, sendSim, type SentPacket } from './helpers/send-sim.js';

/** RTP timestamp relative to the stream's first one. */
const rel = (ts: number) => (ts - TS0) >>> 0;
/** PCMU silence is 0xff throughout; the bot's frames never are. */
const isAudio = (p: SentPacket) => p.payloadType === 0 && p.payload.some((b) => b !== 0xff);
const gaps = (ps: SentPacket[]) => ps.slice(1).map((p, i) => p.at - ps[i].at);

describe('RtpSendPath phase alignment: bot audio after an idle queue', () => {
  it("idleFill 'none': the first frame leaves as it arrives, marked, its timestamp on the wall clock", () => {
    const loop = new SimLoop(0);
    const { path, sent, latencies } = sendSim(loop, { idleFill: 'none' });
    path.start(0);
    realTimeBot(loop, path, { start: 33.3, end: 113.3 });
    loop.runUntil(400);
    expect(sent.map((p) => p.at)).toEqual([33.3, 53.3, 73.3, 93.3, 113.3].map((t) => expect.closeTo(t, 9)));
    expect(latencies).toEqual([0, 0, 0, 0, 0]);
    expect(sent.map((p) => p.marker)).toEqual([true, false, false, false, false]);
    // 33.3 ms after the stream's start: 266 samples at 8 kHz (RFC 3550 §5.1), then contiguous.
    expect(sent.map((p) => rel(p.ts))).toEqual([266, 426, 586, 746, 906]);
  });

  it("idleFill 'silence': the first frame leaves as it arrives at any phase after the last silence packet; one contiguous stream", () => {
    // Every phase of a slot (silence packets at 0, 20, 40): the frame never waits for the grid of the silence.
    for (const offset of [0.1, 1, 3, 5, 9.9, 10, 12, 15, 19, 19.9]) {
      const arrival = 40 + offset;
      const loop = new SimLoop(0);
      const { path, sent, latencies } = sendSim(loop);
      path.start(0);
      realTimeBot(loop, path, { start: arrival, end: arrival + 40 });
      loop.runUntil(300);
      const audio = sent.filter(isAudio);
      expect(audio.map((p) => p.at)).toEqual([arrival, arrival + 20, arrival + 40].map((t) => expect.closeTo(t, 9)));
      expect(latencies).toEqual([0, 0, 0]);
      expect(audio.map((p) => p.marker)).toEqual([true, false, false]); // the talkspurt is flagged
      expect(audio.map((p) => rel(p.ts))).toEqual([480, 640, 800]); // after silence at 0, 20, 40
      // One contiguous stream throughout; the silence after the talkspurt (the slot after the last frame waits a
      // ptime for more) is back on the wall clock within two packets, its packets never more than 30 ms apart.
      expect(sent.every((p, i) => rel(p.ts) === 160 * i)).toBe(true);
      const after = sent.filter((p) => p.at > arrival + 40);
      expect(after[0].at).toBeCloseTo(arrival + 80, 9);
      for (const p of after.slice(2)) expect(Math.abs(rel(p.ts) / 8 - p.at)).toBeLessThanOrEqual(1); // timer slack
      expect(Math.max(...gaps(after))).toBeLessThanOrEqual(30);
    }
  });

  it.each(['silence', 'none'] as const)('idleFill %s: a bot streaming in real time (1 ms jitter) gets at most 1 ms added, its packets ≥ ptime/2 apart', (idleFill) => {
    const loop = new SimLoop(0);
    const { path, sent, latencies } = sendSim(loop, { idleFill });
    path.start(0);
    const arrivals = realTimeBot(loop, path, { start: 7.3, end: 10_000, jitterMs: 1, seed: 5 });
    loop.runUntil(10_100);
    expect(latencies).toHaveLength(arrivals.length); // every frame sent once
    expect(latencies[0]).toBe(0); // 7.3 ms after the silence packet at 0 ('silence'): it leaves at once
    expect(Math.max(...latencies.slice(1))).toBeLessThanOrEqual(1);
    expect(Math.min(...gaps(sent.filter(isAudio)))).toBeGreaterThanOrEqual(10);
    expect(sent.filter(isAudio)).toHaveLength(arrivals.length);
    expect(sent.filter((p) => p.marker)).toHaveLength(idleFill === 'none' ? 1 : 2); // the stream's first packet, the talkspurt's
  });

  it('a late frame leaves as it arrives (its slot waited) and the grid moves back once frames come early again', () => {
    const loop = new SimLoop(0);
    const { path, sent, latencies } = sendSim(loop, { idleFill: 'none' });
    path.start(0);
    realTimeBot(loop, path, { start: 7, end: 3000, late: new Map([[10, 8]]) });
    loop.runUntil(3100);
    expect(latencies.slice(0, 11)).toEqual(new Array(11).fill(0)); // frame 10 too: sent at 215
    expect(sent[10].at).toBe(215);
    expect(Math.max(...latencies)).toBeLessThanOrEqual(8); // frames after it wait for the moved grid...
    expect(Math.max(...latencies.slice(50))).toBeLessThanOrEqual(1); // ...for less than a second
    expect(sent.filter((p) => p.marker)).toHaveLength(1); // one talkspurt: contiguous timestamps throughout
    expect(sent.every((p, i) => rel(p.ts) === 56 + 160 * i)).toBe(true);
  });

  it('a late frame costs the caller one uneven gap: the grid moves back at most 1 ms per packet', () => {
    const loop = new SimLoop(0);
    const { path, sent } = sendSim(loop, { idleFill: 'none' });
    path.start(0);
    realTimeBot(loop, path, { start: 7, end: 3000, late: new Map([[10, 8]]) });
    loop.runUntil(3100);
    const deviations = gaps(sent).map((g) => g - 20);
    // The held packet goes 8 ms late; the way back is spread (a 4 ms step at once was a second jolt).
    expect(deviations.filter((d) => Math.abs(d) > 1)).toEqual([8]);
    expect(Math.min(...deviations)).toBeGreaterThanOrEqual(-1);
    expect(deviations.slice(60).every((d) => d === 0)).toBe(true); // back on the bot's phase, steady
  });

  it('bot chunks of 10 ms: every packet carries two whole chunks, none is padded with silence', () => {
    const loop = new SimLoop(0);
    const { path, sent, latencies } = sendSim(loop, { idleFill: 'none' });
    path.start(0);
    realTimeBot(loop, path, { start: 5, end: 5 + 10 * 39, periodMs: 10, samples: 80 });
    loop.runUntil(600);
    expect(sent).toHaveLength(20);
    for (const p of sent) expect(new Set(p.payload).size).toBe(1); // one level, no 0xff padding
    expect(latencies.filter((_, i) => i % 2 === 0)).toEqual(new Array(20).fill(10)); // waits for its second half
    expect(latencies.filter((_, i) => i % 2 === 1)).toEqual(new Array(20).fill(0));
  });
});

describe('RtpSendPath: marks, clear and DTMF with the new timing', () => {
  it('a mark fires as the packet carrying the audio before it leaves', () => {
    const loop = new SimLoop(0);
    const { path, sent, marks } = sendSim(loop);
    path.start(0);
    realTimeBot(loop, path, { start: 7, end: 200, after: (k) => k === 3 && path.mark('after-frame-3') });
    loop.runUntil(400);
    const audio = sent.filter(isAudio);
    expect(marks).toEqual([{ name: 'after-frame-3', at: audio[3].at }]);
    expect(audio[3].at).toBe(67);
  });

  it('clear() drops the queued audio at once and the next packet is silence', () => {
    const loop = new SimLoop(0);
    const { path, sent } = sendSim(loop);
    path.start(0);
    loop.input(5, () => path.playAudio(level(8000, 4000))); // one second at once
    let cleared: ReturnType<typeof path.clear> | undefined;
    loop.input(200, () => (cleared = path.clear()));
    loop.runUntil(400);
    expect(cleared).toMatchObject({ playedMs: 200, discardedMs: 800 }); // packets at 5 (as it arrived), 25 ... 185
    expect(path.bufferedMs).toBe(0);
    const next = sent.find((p) => p.at > 200)!;
    expect(next.at).toBe(205);
    expect(isAudio(next)).toBe(false);
  });

  it('DTMF keys take their slots while the bot streams; its audio follows the key, none is lost', () => {
    const loop = new SimLoop(0);
    const { path, sent } = sendSim(loop, { telephoneEvent: { payloadType: 101, clockRate: 8000 } });
    path.start(0);
    const arrivals = realTimeBot(loop, path, { start: 7, end: 1000 });
    loop.input(300, () => path.enqueueDtmf('5', 60));
    loop.runUntil(1400);
    const keyAt = sent.findIndex((p) => p.payloadType === 101);
    const key = sent.slice(keyAt, keyAt + 5);
    expect(key.map((p) => p.payloadType)).toEqual([101, 101, 101, 101, 101]); // 3 ticks, the end sent 3 times
    expect(new Set(key.map((p) => p.ts)).size).toBe(1);
    expect(gaps(key)).toEqual([20, 20, 20, 20]);
    expect(sent[keyAt + 5].marker).toBe(true); // the audio after it starts a talkspurt
    expect(sent.filter(isAudio)).toHaveLength(arrivals.length);
    expect(path.droppedMs.late).toBe(0);
  });
});

describe('RtpSendPath over a simulated hour of a bot streaming in real time', () => {
  it.each([
    ['0.5 % fast', 20 / 1.005],
    ['0.5 % slow', 20 / 0.995],
  ])('bot clock %s: the queue stays within a packet and added latency under 5 ms all hour', (_name, periodMs) => {
    const HOUR = 3_600_000;
    const loop = new SimLoop(0);
    const { path, sent, latencies } = sendSim(loop, { keepPayload: false });
    path.start(0);
    const arrivals = realTimeBot(loop, path, { start: 7.3, end: HOUR, periodMs, jitterMs: 1, seed: 9 });
    let maxQueuedMs = 0;
    for (let t = 60_000; t <= HOUR; t += 1000) {
      loop.runUntil(t);
      maxQueuedMs = Math.max(maxQueuedMs, path.bufferedMs);
    }
    loop.runUntil(HOUR + 100);
    expect(maxQueuedMs).toBeLessThanOrEqual(20);
    let maxLatency = 0;
    for (const ms of latencies) maxLatency = Math.max(maxLatency, ms);
    expect(maxLatency).toBeLessThan(5);
    expect(latencies).toHaveLength(arrivals.length); // nothing dropped or left behind
    expect(path.droppedMs.late).toBe(0);
    // One talkspurt all hour, paced by the bot's clock: a packet per frame, timestamps contiguous.
    expect(sent.filter((p) => p.marker)).toHaveLength(2);
  });
});
