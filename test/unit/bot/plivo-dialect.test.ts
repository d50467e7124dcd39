/**
 * Plivo audio-stream dialect, frames in -> frames out, no socket. Expected frames follow Plivo's "Stream Event
 * Protocol" (camelCase, numeric sequenceNumber from 1, Unix-ms string timestamp, numeric chunk, top-level
 * extra_headers) and what Pipecat's runner reads to recognise Plivo (`start.streamId` and `start.callId`).
 */
import { describe, expect, it } from 'vitest';
import { plivoDialect, plivoExtraHeaders, plivoIds } from '../../../src/bot/protocols/plivo.js';
import type { BotCommand, BotInput, DialectCodec } from '../../../src/bot/index.js';
import { CALL_ID, START, context, decodedL16, g711Payload, l16Frame } from './dialect-fixtures.js';

const STREAM = '00010203-0405-4607-8809-0a0b0c0d0e0f';
const ACCOUNT = plivoIds(context()).accountId;
const WALL = Date.UTC(2025, 5, 5, 8, 54, 19, 698);
const raw = (o: unknown) => JSON.stringify(o);

function opened(): DialectCodec {
  const codec = plivoDialect.open(context());
  codec.handshake(START);
  return codec;
}

/** The router's token for a checkpoint the bot placed. */
function markToken(codec: DialectCodec, name: string): string {
  const [input] = codec.receive(raw({ event: 'checkpoint', streamId: STREAM, name }));
  return ((input as { command: BotCommand }).command as { name: string }).name;
}

describe('plivo dialect: identifiers', () => {
  it('has the call id as callId, a random stream UUID, an account id like Plivo\'s, stable per bot', () => {
    expect(plivoIds(context())).toEqual({ callId: CALL_ID, streamId: STREAM, accountId: ACCOUNT });
    expect(ACCOUNT).toMatch(/^MA[0-9A-F]{18}$/);
    expect(plivoIds(context({ botName: 'other' })).accountId).not.toBe(ACCOUNT);
    expect(plivoDialect).toMatchObject({ name: 'plivo', sampleRate: 8000, continuousAudio: true });
    expect(plivoDialect.subprotocol).toBeUndefined();
  });

  it.each([
    [{}, ''],
    [{ 'X-Customer-Id': 'cust-42', tenant: 'acme' }, 'X-Customer-Id=cust-42;tenant=acme'],
    [{ odd: 'a;b=c', 'sp ace': '+1 555' }, 'odd=a%3Bb%3Dc;sp%20ace=%2B1%20555'],
  ])('extra_headers of %j is %j', (params, expected) => {
    expect(plivoExtraHeaders(params)).toBe(expected);
  });
});

describe('plivo dialect: bridge -> bot', () => {
  it('opens with start alone (no connected): callId/streamId UUIDs, accountId, tracks, μ-law 8000, extra_headers', () => {
    const codec = plivoDialect.open(context({ parameters: { tenant: 'acme' } }));
    expect(codec.handshake(START)).toEqual([
      raw({
        event: 'start',
        sequenceNumber: 1,
        start: { callId: CALL_ID, streamId: STREAM, accountId: ACCOUNT, tracks: ['inbound'], mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000 } },
        extra_headers: 'X-Customer-Id=cust-42;tenant=acme',
      }),
    ]);
    expect(codec.handshake(START)).toEqual([]);
  });

  it('sends nothing before start, and nothing at stop (Plivo has no stop event)', () => {
    const codec = plivoDialect.open(context());
    expect(codec.callerAudio(l16Frame(0))).toEqual([]);
    expect(codec.event({ type: 'dtmf', digit: '1', durationMs: 100 })).toEqual([]);
    codec.handshake(START);
    expect(codec.stop('caller-hangup')).toEqual([]);
  });

  it('numbers media, dtmf and answers on one numeric counter; media has a Unix-ms timestamp and a numeric chunk', () => {
    const codec = opened();
    const media = (seq: number, chunk: number, ts: number) =>
      raw({
        event: 'media',
        sequenceNumber: seq,
        streamId: STREAM,
        media: { track: 'inbound', timestamp: String(ts), chunk, payload: g711Payload('PCMU', 1000, 160) },
        extra_headers: 'X-Customer-Id=cust-42',
      });
    expect(codec.callerAudio(l16Frame(1000))).toEqual([media(2, 1, WALL)]);
    expect(codec.event({ type: 'dtmf', digit: '#', durationMs: 100 })).toEqual([raw({ event: 'dtmf', sequenceNumber: 3, streamId: STREAM, dtmf: { digit: '#' } })]);
    expect(codec.callerAudio(l16Frame(1000))).toEqual([media(4, 2, WALL + 20)]);
  });

  it('has no frame for events Plivo does not send', () => {
    const codec = opened();
    for (const e of [{ type: 'error', message: 'x' }, { type: 'transfer', status: 'failed' }, { type: 'answered' }, { type: 'mark', name: 'unknown' }] as const) {
      expect(codec.event(e)).toEqual([]);
    }
  });
});

describe('plivo dialect: bot -> bridge', () => {
  const mulaw = g711Payload('PCMU', 1000, 320);
  const l16 = l16Frame(-1234, 160).toString('base64');
  const cases: Array<{ name: string; frame: string | Buffer; inputs: BotInput[] | RegExp }> = [
    {
      name: 'playAudio as Pipecat sends it (μ-law, contentType and sampleRate given)',
      frame: raw({ event: 'playAudio', media: { contentType: 'audio/x-mulaw', sampleRate: 8000, payload: mulaw }, streamId: STREAM }),
      inputs: [{ kind: 'audio', pcm: decodedL16('PCMU', 1000, 320) }],
    },
    { name: 'playAudio without contentType is μ-law', frame: raw({ event: 'playAudio', media: { payload: mulaw } }), inputs: [{ kind: 'audio', pcm: decodedL16('PCMU', 1000, 320) }] },
    { name: 'playAudio in L16 at 8000', frame: raw({ event: 'playAudio', media: { contentType: 'audio/x-l16', sampleRate: 8000, payload: l16 } }), inputs: [{ kind: 'audio', pcm: l16Frame(-1234, 160) }] },
    { name: 'playAudio at 16000 is refused', frame: raw({ event: 'playAudio', media: { contentType: 'audio/x-l16', sampleRate: 16000, payload: l16 } }), inputs: /16000 Hz/ },
    { name: 'playAudio in another format is refused', frame: raw({ event: 'playAudio', media: { contentType: 'audio/wav', payload: l16 } }), inputs: /contentType/ },
    { name: 'playAudio without payload', frame: raw({ event: 'playAudio', media: {} }), inputs: /payload/ },
    { name: 'clearAudio', frame: raw({ event: 'clearAudio', streamId: STREAM }), inputs: [{ kind: 'command', command: { type: 'clear' } }] },
    { name: 'checkpoint without a name', frame: raw({ event: 'checkpoint', streamId: STREAM }), inputs: /"name"/ },
    { name: 'sendDTMF (not supported here) is ignored', frame: raw({ event: 'sendDTMF', dtmf: '1' }), inputs: [{ kind: 'ignored', what: 'event "sendDTMF"' }] },
    { name: 'not JSON', frame: 'playAudio', inputs: /invalid JSON/ },
    { name: 'a binary frame', frame: Buffer.alloc(4), inputs: /binary frame/ },
  ];
  it.each(cases)('$name', ({ frame, inputs }) => {
    const got = opened().receive(frame);
    if (inputs instanceof RegExp) {
      expect(got.map((i) => i.kind)).toEqual(['invalid']);
      expect((got[0] as { error: Error }).error.message).toMatch(inputs);
    } else {
      expect(got).toEqual(inputs);
    }
  });

  it('a checkpoint becomes a router mark, answered with playedStream and its own name once reached', () => {
    const codec = opened();
    const token = markToken(codec, 'greeting');
    expect(token).not.toBe('greeting');
    expect(codec.event({ type: 'mark', name: token })).toEqual([raw({ event: 'playedStream', sequenceNumber: 2, streamId: STREAM, name: 'greeting' })]);
    expect(codec.event({ type: 'mark', name: token })).toEqual([]);
  });

  it('clearAudio is answered with clearedAudio; checkpoints not reached are dropped, never confirmed', () => {
    const codec = opened();
    const t1 = markToken(codec, 'part1');
    const t2 = markToken(codec, 'part2');
    expect(codec.event({ type: 'mark', name: t1 })).toHaveLength(1);
    expect(codec.event({ type: 'cleared', playedMs: 600, lastMark: t1 })).toEqual([raw({ event: 'clearedAudio', sequenceNumber: 3, streamId: STREAM })]);
    expect(codec.event({ type: 'mark', name: t2 })).toEqual([]);
  });

  it('two checkpoints of one name are answered one by one', () => {
    const codec = opened();
    const a = markToken(codec, 'same');
    const b = markToken(codec, 'same');
    expect(a).not.toBe(b);
    expect(codec.event({ type: 'mark', name: a })).toHaveLength(1);
    expect(codec.event({ type: 'mark', name: b })).toHaveLength(1);
  });
});
