import { describe, expect, it } from 'vitest';
import { applyLiveEvent, meterPercent, meterValue, reconnectDelayMs, type LiveCall } from '../../../console/src/live-calls.js';
import { followEventStream, type StreamStatus } from '../../../console/src/live-stream.js';
import { sseComment, sseEvent } from '../../../src/api/events/index.js';

const a = { callId: 'a', durationSec: 1 };
const b = { callId: 'b', durationSec: 2 };

describe('the live call list kept from the event stream', () => {
  it.each<[string, LiveCall[], string, unknown, LiveCall[]]>([
    ['a snapshot replaces the list', [a], 'snapshot', { calls: [b], registrations: [] }, [b]],
    ['a snapshot without calls empties it', [a], 'snapshot', {}, []],
    ['a started call is added at the end', [a], 'call.started', b, [a, b]],
    ['an update replaces the call in place', [a, b], 'call.updated', { callId: 'a', durationSec: 9 }, [{ callId: 'a', durationSec: 9 }, b]],
    ['an update for a call not seen yet adds it (a start missed across a reconnect)', [a], 'call.updated', b, [a, b]],
    ['an ended call goes', [a, b], 'call.ended', { callId: 'a', reason: 'caller-hangup', durationSec: 3 }, [b]],
    ['an unknown call ending changes nothing', [a], 'call.ended', { callId: 'z' }, [a]],
    ['a registration event changes nothing', [a], 'registration', { name: 'pbx', state: 'registered' }, [a]],
    ['data without a call id changes nothing', [a], 'call.updated', { nope: 1 }, [a]],
  ])('%s', (_name, before, event, data, after) => {
    expect(applyLiveEvent(before, event, data)).toEqual(after);
  });
});

describe('the level meters', () => {
  it.each<[unknown, number | undefined, number]>([
    [0, 0, 100],
    [-30, -30, 50],
    [-60, -60, 0],
    [-96, -60, 0],
    [3, 0, 100],
    [undefined, undefined, 0],
    ['-10', undefined, 0],
  ])('%s dBFS reads %s, drawn %s %% full', (dbfs, value, percent) => {
    expect(meterValue(dbfs)).toBe(value);
    expect(meterPercent(dbfs)).toBe(percent);
  });
});

describe('reconnect delays', () => {
  it.each<[number, number, number]>([
    [1, 0, 1000],
    [2, 0, 2000],
    [5, 0, 16_000],
    [6, 0, 30_000],
    [50, 0, 30_000],
    [1, 1, 800],
    [6, 0.5, 27_000],
  ])('attempt %i (random %d) waits %i ms', (failures, random, ms) => {
    expect(reconnectDelayMs(failures, () => random)).toBe(ms);
  });
});

/** A response whose body the test writes to. */
function streamed(status = 200): { response: Response; write(text: string): void; end(): void } {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const body = new ReadableStream<Uint8Array>({ start: (c) => void (controller = c) });
  const enc = new TextEncoder();
  return {
    response: new Response(body, { status, headers: { 'Content-Type': 'text/event-stream' } }),
    write: (t) => controller.enqueue(enc.encode(t)),
    end: () => controller.close(),
  };
}

const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 0));

describe('following the event stream', () => {
  it('delivers events, reconnects with growing waits when the stream ends, and starts over after a snapshot', async () => {
    const stop = new AbortController();
    const bodies: Array<ReturnType<typeof streamed>> = [];
    const events: string[] = [];
    const statuses: StreamStatus[] = [];
    const waits: number[] = [];
    let opened = 0;
    const done = followEventStream({
      open: async () => {
        opened++;
        if (opened === 2) throw new TypeError('fetch failed'); // the bridge restarting
        const s = streamed();
        bodies.push(s);
        return s.response;
      },
      onEvent: (event, data) => events.push(`${event} ${JSON.stringify(data)}`),
      onStatus: (s) => statuses.push(s),
      signal: stop.signal,
      wait: async (ms) => void waits.push(ms),
      random: () => 0,
    });
    await tick();
    bodies[0].write(sseEvent('snapshot', { calls: [] }) + sseComment('heartbeat') + sseEvent('call.started', { callId: 'a' }));
    await tick();
    expect(events).toEqual(['snapshot {"calls":[]}', 'call.started {"callId":"a"}']);
    expect(statuses).toEqual(['connecting', 'live']);
    bodies[0].end(); // the stream ends: reconnect after 1 s; that attempt fails: after 2 s
    await tick();
    await tick();
    await tick();
    expect(waits).toEqual([1000, 2000]);
    expect(bodies).toHaveLength(2);
    bodies[1].write(sseEvent('snapshot', { calls: [{ callId: 'a' }] }));
    await tick();
    bodies[1].end(); // a snapshot came in between: the next wait is 1 s again
    await tick();
    await tick();
    expect(waits).toEqual([1000, 2000, 1000]);
    expect(statuses).toEqual(['connecting', 'live', 'reconnecting', 'reconnecting', 'live', 'reconnecting']);
    stop.abort();
    await done;
  });

  it.each<[number, StreamStatus]>([
    [404, 'unsupported'],
    [405, 'unsupported'],
    [401, 'refused'],
    [403, 'refused'],
  ])('HTTP %i is final: %s, no reconnect', async (status, verdict) => {
    const statuses: StreamStatus[] = [];
    let opened = 0;
    await followEventStream({
      open: async () => {
        opened++;
        return new Response('{}', { status });
      },
      onEvent: () => {},
      onStatus: (s) => statuses.push(s),
      signal: new AbortController().signal,
      wait: async () => {},
    });
    expect(statuses).toEqual(['connecting', verdict]);
    expect(opened).toBe(1);
  });

  it('a stream silent past idleMs is dropped and reopened; stopping aborts the open stream and ends the loop', async () => {
    const stop = new AbortController();
    const signals: AbortSignal[] = [];
    const statuses: string[] = [];
    const done = followEventStream({
      open: async (signal) => {
        signals.push(signal);
        return streamed().response;
      },
      onEvent: () => {},
      onStatus: (s, detail) => statuses.push(detail ? `${s}: ${detail}` : s),
      signal: stop.signal,
      wait: async () => {},
      idleMs: 20,
    });
    const started = Date.now();
    while (signals.length < 2 && Date.now() - started < 5000) await new Promise((r) => setTimeout(r, 5));
    expect(signals[0].aborted).toBe(true);
    expect(statuses).toContain('reconnecting: the stream went silent');
    stop.abort();
    await done;
    expect(signals.every((s) => s.aborted)).toBe(true);
  });
});
