import { describe, expect, it } from 'vitest';
import {
  TelephoneEventReceiver,
  TelephoneEventSender,
  dtmfDigitOf,
  dtmfEventOf,
  isDtmfDigits,
  parseTelephoneEvent,
  writeTelephoneEvent,
  type DtmfPress,
} from '../../../src/media/dtmf/index.js';

/** A telephone-event payload as hex: event, E|vol, duration. */
function te(event: number, end: boolean, duration: number, volume = 10): Buffer {
  return Buffer.from([event, (end ? 0x80 : 0) | volume, duration >> 8, duration & 0xff]);
}

describe('telephone-event payload', () => {
  it.each([
    ['05 0a 00 a0', { event: 5, end: false, volume: 10, duration: 160 }],
    ['0b 8a 08 c0', { event: 11, end: true, volume: 10, duration: 2240 }],
    ['00 bf ff ff', { event: 0, end: true, volume: 63, duration: 65535 }],
    ['10 00 00 00 99', { event: 16, end: false, volume: 0, duration: 0 }],
  ])('parses %s', (hex, expected) => {
    const buf = Buffer.from(hex.replace(/ /g, ''), 'hex');
    expect(parseTelephoneEvent(buf)).toEqual(expected);
    expect(writeTelephoneEvent(expected).toString('hex')).toBe(hex.replace(/ /g, '').slice(0, 8));
  });

  it('rejects a short payload', () => {
    expect(parseTelephoneEvent(Buffer.from([1, 2, 3]))).toBeNull();
  });

  it('maps keys and event codes both ways', () => {
    const keys = '0123456789*#ABCD';
    for (let e = 0; e < 16; e++) {
      expect(dtmfDigitOf(e)).toBe(keys[e]);
      expect(dtmfEventOf(keys[e])).toBe(e);
    }
    expect(dtmfDigitOf(16)).toBeUndefined();
    expect(dtmfEventOf('a')).toBe(12);
    expect(dtmfEventOf('x')).toBeUndefined();
    expect(isDtmfDigits('123#*AbD')).toBe(true);
    expect(isDtmfDigits('12 3')).toBe(false);
    expect(isDtmfDigits('')).toBe(false);
  });
});

type Arrival = [ssrc: number, timestamp: number, payload: Buffer, at: number];

/** Pushes arrivals in order and collects every press, polling at `pollAt` at the end. */
function run(arrivals: Arrival[], pollAt?: number): DtmfPress[] {
  const rx = new TelephoneEventReceiver(8000, 1000);
  const out: DtmfPress[] = [];
  for (const [ssrc, ts, payload, at] of arrivals) out.push(...rx.push({ ssrc, timestamp: ts, payload }, at));
  if (pollAt !== undefined) out.push(...rx.poll(pollAt));
  return out;
}

/** The packets of one key as SIPp's dtmf_2833_*.pcap carry it: 7 updates every 20 ms, then 3 identical ends. */
function sippKey(event: number, ts: number, t0: number): Arrival[] {
  const a: Arrival[] = [];
  for (let i = 0; i < 7; i++) a.push([1, ts, te(event, false, i * 320), t0 + i * 20]);
  for (let i = 0; i < 3; i++) a.push([1, ts, te(event, true, 2240), t0 + 140]);
  return a;
}

describe('TelephoneEventReceiver', () => {
  it.each<[string, Arrival[], DtmfPress[], number?]>([
    ['one key, three end packets: reported once, duration from the payload', sippKey(5, 43200, 0), [{ digit: '5', durationMs: 280 }]],
    ['two keys in a row', [...sippKey(1, 100, 0), ...sippKey(2, 5000, 400)], [{ digit: '1', durationMs: 280 }, { digit: '2', durationMs: 280 }]],
    ['same key twice (new timestamp each press)', [...sippKey(7, 100, 0), ...sippKey(7, 3000, 400)], [{ digit: '7', durationMs: 280 }, { digit: '7', durationMs: 280 }]],
    [
      'start packet lost: continuation opens the event',
      sippKey(9, 100, 0).slice(2),
      [{ digit: '9', durationMs: 280 }],
    ],
    [
      'all end packets lost: reported when the next key starts, with the last duration seen',
      [...sippKey(3, 100, 0).slice(0, 7), ...sippKey(4, 5000, 400)],
      [{ digit: '3', durationMs: 240 }, { digit: '4', durationMs: 280 }],
    ],
    ['all end packets lost, nothing follows: reported by poll after the timeout', sippKey(0, 100, 0).slice(0, 7), [{ digit: '0', durationMs: 240 }], 1120],
    ['...but not before the timeout', sippKey(0, 100, 0).slice(0, 7), [], 1119],
    [
      'reordered: an end arrives before the last update; stragglers after the end are ignored',
      [[1, 100, te(6, false, 0), 0], [1, 100, te(6, true, 800), 60], [1, 100, te(6, false, 640), 61], [1, 100, te(6, true, 800), 62]],
      [{ digit: '6', durationMs: 100 }],
    ],
    ['flash (event 16) is consumed, not reported as a digit', [[1, 100, te(16, false, 0), 0], [1, 100, te(16, true, 800), 100]], []],
    ['star and pound', [...sippKey(10, 100, 0), ...sippKey(11, 9000, 400)], [{ digit: '*', durationMs: 280 }, { digit: '#', durationMs: 280 }]],
    ['same timestamp on another SSRC is another event', [...sippKey(1, 100, 0), ...sippKey(1, 100, 0).map((a): Arrival => [2, a[1], a[2], a[3] + 400])], [{ digit: '1', durationMs: 280 }, { digit: '1', durationMs: 280 }]],
    ['short payloads are ignored', [[1, 100, Buffer.from([1, 2]), 0]], [], 5000],
  ])('%s', (_name, arrivals, expected, pollAt) => {
    expect(run(arrivals, pollAt)).toEqual(expected);
  });

  it('a 16 kHz telephone-event clock halves the duration in ms', () => {
    const rx = new TelephoneEventReceiver(16000);
    expect(rx.push({ ssrc: 1, timestamp: 1, payload: te(1, true, 1600) }, 0)).toEqual([{ digit: '1', durationMs: 100 }]);
  });
});

describe('TelephoneEventSender', () => {
  it('plays each key as start (marker) + updates + 3 ends on one timestamp, then an audio gap', () => {
    const tx = new TelephoneEventSender({ clockRate: 8000, ptimeMs: 20, gapMs: 40 });
    tx.enqueue('1#', 100);
    let ts = 1000;
    const slots: Array<{ event: number; end: boolean; duration: number; marker: boolean; timestamp: number } | null> = [];
    for (let i = 0; i < 20; i++) {
      const s = tx.next(ts);
      slots.push(s && { ...parseTelephoneEvent(s.payload)!, marker: s.marker, timestamp: s.timestamp });
      ts += 160;
    }
    const key = (event: number, t: number) => [
      { event, end: false, volume: 10, duration: 160, marker: true, timestamp: t },
      { event, end: false, volume: 10, duration: 320, marker: false, timestamp: t },
      { event, end: false, volume: 10, duration: 480, marker: false, timestamp: t },
      { event, end: false, volume: 10, duration: 640, marker: false, timestamp: t },
      { event, end: true, volume: 10, duration: 800, marker: false, timestamp: t },
      { event, end: true, volume: 10, duration: 800, marker: false, timestamp: t },
      { event, end: true, volume: 10, duration: 800, marker: false, timestamp: t },
    ];
    expect(slots).toEqual([...key(1, 1000), null, null, ...key(11, 1000 + 9 * 160), null, null, null, null]);
    expect(tx.busy).toBe(false);
  });

  it('round-trips through the receiver', () => {
    const tx = new TelephoneEventSender({ clockRate: 8000, ptimeMs: 20 });
    const rx = new TelephoneEventReceiver(8000);
    tx.enqueue('0123456789*#ABCD', 120);
    const got: DtmfPress[] = [];
    for (let i = 0, ts = 0; i < 400 && tx.busy; i++, ts += 160) {
      const s = tx.next(ts);
      if (s) got.push(...rx.push({ ssrc: 9, timestamp: s.timestamp, payload: Buffer.from(s.payload) }, i * 20));
    }
    expect(got.map((p) => p.digit).join('')).toBe('0123456789*#ABCD');
    expect(new Set(got.map((p) => p.durationMs))).toEqual(new Set([120]));
  });

  it.each([
    ['12x', 100],
    ['1', 10],
    ['1', 60_000],
    ['1', Number.NaN],
  ])('rejects %j for %d ms and queues nothing', (digits, ms) => {
    const tx = new TelephoneEventSender({ clockRate: 8000, ptimeMs: 20 });
    expect(() => tx.enqueue(digits, ms)).toThrow(RangeError);
    expect(tx.busy).toBe(false);
  });
});
