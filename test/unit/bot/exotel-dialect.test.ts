/**
 * Exotel Voicebot dialect, frames in -> frames out, no socket. Expected frames follow Exotel's WebSocket
 * messages (snake_case, string sequence_number, top-level stream_sid, raw L16 in base64 at the bot's rate) and
 * what Pipecat's runner reads to recognise Exotel (`start.stream_sid`, `call_sid` and `account_sid`).
 */
import { describe, expect, it } from 'vitest';
import { exotelDialect, exotelSids } from '../../../src/bot/protocols/exotel.js';
import type { BotCommand, BotInput, DialectCodec } from '../../../src/bot/index.js';
import { CALL_ID, START, context, l16Frame } from './dialect-fixtures.js';

const STREAM = '000102030405060708090a0b0c0d0e0f';
const CALL = CALL_ID.replace(/-/g, '');
const ACCOUNT = exotelSids(context()).accountSid;
const raw = (o: unknown) => JSON.stringify(o);
const b64 = (b: Buffer) => b.toString('base64');

function opened(sampleRate = 8000): DialectCodec {
  const codec = exotelDialect.open(context({ sampleRate }));
  codec.handshake(START);
  return codec;
}

function markToken(codec: DialectCodec, name: string): string {
  const [input] = codec.receive(raw({ event: 'mark', stream_sid: STREAM, mark: { name } }));
  return ((input as { command: BotCommand }).command as { name: string }).name;
}

describe('exotel dialect: identifiers', () => {
  it('has a random stream SID, the call id\'s digits as call SID, an account SID stable per bot', () => {
    expect(exotelSids(context())).toEqual({ streamSid: STREAM, callSid: CALL, accountSid: ACCOUNT });
    expect(ACCOUNT).toMatch(/^[0-9a-f]{32}$/);
    expect(exotelSids(context({ botName: 'other' })).accountSid).not.toBe(ACCOUNT);
    expect(exotelDialect).toMatchObject({ name: 'exotel', continuousAudio: true });
    expect(exotelDialect.sampleRate).toBeUndefined();
  });
});

describe('exotel dialect: handshake', () => {
  it.each([
    [8000, '128kbps'],
    [16000, '256kbps'],
    [24000, '384kbps'],
  ])('connected then start at %i Hz (bit_rate %s), all three SIDs, from/to, custom_parameters', (rate, bitRate) => {
    const codec = exotelDialect.open(context({ sampleRate: rate, parameters: { tenant: 'acme' } }));
    expect(codec.handshake(START)).toEqual([
      raw({ event: 'connected' }),
      raw({
        event: 'start',
        sequence_number: '1',
        stream_sid: STREAM,
        start: {
          stream_sid: STREAM,
          call_sid: CALL,
          account_sid: ACCOUNT,
          from: '+15551230001',
          to: '+15550100',
          custom_parameters: { 'X-Customer-Id': 'cust-42', tenant: 'acme' },
          media_format: { encoding: 'audio/x-raw', sample_rate: String(rate), bit_rate: bitRate },
        },
      }),
    ]);
  });

  it('sends nothing before it', () => {
    const codec = exotelDialect.open(context());
    expect(codec.callerAudio(l16Frame(0))).toEqual([]);
    expect(codec.stop('error')).toEqual([]);
  });
});

describe('exotel dialect: bridge -> bot', () => {
  it('media as base64 L16 at the bot\'s rate, numbered with dtmf and stop on one string counter', () => {
    const codec = opened(16000);
    const frame = l16Frame(1000, 320);
    const media = (seq: string, chunk: string, ts: string) => raw({ event: 'media', sequence_number: seq, stream_sid: STREAM, media: { chunk, timestamp: ts, payload: b64(frame) } });
    expect(codec.callerAudio(frame)).toEqual([media('2', '1', '0')]);
    expect(codec.event({ type: 'dtmf', digit: '5', durationMs: 280 })).toEqual([
      raw({ event: 'dtmf', sequence_number: '3', stream_sid: STREAM, dtmf: { digit: '5', duration: '280' } }),
    ]);
    expect(codec.callerAudio(frame)).toEqual([media('4', '2', '20')]);
    expect(codec.stop('caller-hangup')).toEqual([
      raw({ event: 'stop', sequence_number: '5', stream_sid: STREAM, stop: { call_sid: CALL, account_sid: ACCOUNT, reason: 'callended' } }),
    ]);
  });

  it.each([
    ['bot-closed', 'stopped'],
    ['shutdown', 'stopped'],
    ['transfer', 'stopped'],
  ])('stop reason %s is %s', (reason, expected) => {
    const [frame] = opened().stop(reason);
    expect(JSON.parse(frame as string).stop.reason).toBe(expected);
  });

  it('has no frame for events Exotel does not send', () => {
    const codec = opened();
    for (const e of [{ type: 'error', message: 'x' }, { type: 'transfer', status: 'failed' }, { type: 'answered' }, { type: 'cleared', playedMs: 0 }] as const) {
      expect(codec.event(e)).toEqual([]);
    }
  });
});

describe('exotel dialect: bot -> bridge', () => {
  const cases: Array<{ name: string; frame: string | Buffer; inputs: BotInput[] | RegExp }> = [
    {
      name: 'media as Pipecat sends it (640 bytes, streamSid in camelCase)',
      frame: raw({ event: 'media', streamSid: STREAM, media: { payload: b64(l16Frame(700, 320)) } }),
      inputs: [{ kind: 'audio', pcm: l16Frame(700, 320) }],
    },
    {
      name: 'media of 3,200 bytes as Exotel asks, without stream_sid',
      frame: raw({ event: 'media', media: { payload: b64(l16Frame(-5, 1600)) } }),
      inputs: [{ kind: 'audio', pcm: l16Frame(-5, 1600) }],
    },
    { name: 'an empty payload is nothing', frame: raw({ event: 'media', media: { payload: '' } }), inputs: [] },
    { name: 'clear', frame: raw({ event: 'clear', stream_sid: STREAM }), inputs: [{ kind: 'command', command: { type: 'clear' } }] },
    { name: 'a mark without a name', frame: raw({ event: 'mark', mark: {} }), inputs: /mark\.name/ },
    { name: 'a payload that is not base64', frame: raw({ event: 'media', media: { payload: '!!' } }), inputs: /base64/ },
    { name: 'an unknown event', frame: raw({ event: 'start' }), inputs: [{ kind: 'ignored', what: 'event "start"' }] },
    { name: 'no event', frame: raw({ media: { payload: '' } }), inputs: /"event"/ },
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

  it('joins a sample split across two media messages', () => {
    const codec = opened();
    const pcm = l16Frame(0x1234, 3);
    expect(codec.receive(raw({ event: 'media', media: { payload: b64(pcm.subarray(0, 3)) } }))).toEqual([{ kind: 'audio', pcm: pcm.subarray(0, 2) }]);
    expect(codec.receive(raw({ event: 'media', media: { payload: b64(pcm.subarray(3)) } }))).toEqual([{ kind: 'audio', pcm: pcm.subarray(2) }]);
  });

  it('echoes a mark once reached; a clear drops the pending ones without a word', () => {
    const codec = opened();
    const idle = markToken(codec, 'idle');
    expect(codec.event({ type: 'mark', name: idle })).toEqual([raw({ event: 'mark', sequence_number: '2', stream_sid: STREAM, mark: { name: 'idle' } })]);
    const p1 = markToken(codec, 'p1');
    expect(codec.event({ type: 'cleared', playedMs: 40 })).toEqual([]);
    expect(codec.event({ type: 'mark', name: p1 })).toEqual([]);
  });
});
