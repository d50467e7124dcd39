/**
 * Telnyx media-streaming dialect, frames in -> frames out, no socket. Expected frames follow Telnyx's "Stream call
 * media over WebSocket" messages (snake_case, string sequence_number, top-level stream_id) and what Pipecat's
 * runner reads to recognise Telnyx (`stream_id` and `start.call_control_id`).
 */
import { describe, expect, it } from 'vitest';
import { telnyxDialect, telnyxIds } from '../../../src/bot/protocols/telnyx.js';
import type { BotInput, DialectCodec } from '../../../src/bot/index.js';
import { CALL_ID, START, context, decodedL16, g711Payload, l16Frame } from './dialect-fixtures.js';

const STREAM = '00010203-0405-4607-8809-0A0B0C0D0E0F';
const CONTROL = `v3:${Buffer.from(CALL_ID.replace(/-/g, ''), 'hex').toString('base64url')}`;
const USER = telnyxIds(context()).userId;
const raw = (o: unknown) => JSON.stringify(o);
const UUID = /^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-4[0-9A-Fa-f]{3}-[89ABab][0-9A-Fa-f]{3}-[0-9A-Fa-f]{12}$/;

function opened(encoding?: 'PCMU' | 'PCMA'): DialectCodec {
  const codec = telnyxDialect.open(context(encoding ? { encoding } : {}));
  codec.handshake(START);
  return codec;
}

describe('telnyx dialect: identifiers', () => {
  it('has a random stream id, the call id in call_session_id and call_control_id, a user id stable per bot', () => {
    expect(telnyxIds(context())).toEqual({ streamId: STREAM, callControlId: CONTROL, callSessionId: CALL_ID, userId: USER });
    expect(STREAM).toMatch(UUID);
    expect(USER).toMatch(UUID);
    expect(telnyxIds(context({ botName: 'other' })).userId).not.toBe(USER);
    expect(telnyxDialect).toMatchObject({ name: 'telnyx', sampleRate: 8000, continuousAudio: true });
  });
});

describe('telnyx dialect: handshake', () => {
  it.each([
    ['PCMU (the default)', undefined, 'PCMU'],
    ['PCMA when the bot asks for it', 'PCMA' as const, 'PCMA'],
  ])('connected then start, media_format.encoding %s', (_name, encoding, expected) => {
    const codec = telnyxDialect.open(context({ parameters: { tenant: 'acme' }, ...(encoding ? { encoding } : {}) }));
    expect(codec.handshake(START)).toEqual([
      raw({ event: 'connected', version: '1.0.0' }),
      raw({
        event: 'start',
        sequence_number: '1',
        stream_id: STREAM,
        start: {
          user_id: USER,
          call_control_id: CONTROL,
          call_session_id: CALL_ID,
          from: '+15551230001',
          to: '+15550100',
          custom_parameters: { 'X-Customer-Id': 'cust-42', tenant: 'acme' },
          media_format: { encoding: expected, sample_rate: 8000, channels: 1 },
        },
      }),
    ]);
  });

  it('sends nothing before it', () => {
    const codec = telnyxDialect.open(context());
    expect(codec.callerAudio(l16Frame(0))).toEqual([]);
    expect(codec.stop('error')).toEqual([]);
  });
});

describe('telnyx dialect: bridge -> bot', () => {
  it.each(['PCMU', 'PCMA'] as const)('media in %s, numbered with the events on one counter; dtmf with occurred_at; stop', (law) => {
    const codec = opened(law);
    const media = (seq: string, chunk: string, ts: string) =>
      raw({ event: 'media', sequence_number: seq, media: { track: 'inbound', chunk, timestamp: ts, payload: g711Payload(law, 1000, 160) }, stream_id: STREAM });
    expect(codec.callerAudio(l16Frame(1000))).toEqual([media('2', '1', '0')]);
    expect(codec.event({ type: 'dtmf', digit: '#', durationMs: 100 })).toEqual([
      raw({ event: 'dtmf', stream_id: STREAM, occurred_at: '2025-06-05T08:54:19.698Z', sequence_number: '3', dtmf: { digit: '#' } }),
    ]);
    expect(codec.callerAudio(l16Frame(1000))).toEqual([media('4', '2', '20')]);
    expect(codec.stop('caller-hangup')).toEqual([
      raw({ event: 'stop', sequence_number: '5', stop: { user_id: USER, call_control_id: CONTROL }, stream_id: STREAM }),
    ]);
  });

  it('has no frame for events Telnyx does not send', () => {
    const codec = opened();
    expect(codec.event({ type: 'error', message: 'x' })).toEqual([]);
    expect(codec.event({ type: 'transfer', status: 'failed' })).toEqual([]);
    expect(codec.event({ type: 'cleared', playedMs: 0 })).toEqual([]);
  });
});

describe('telnyx dialect: bot -> bridge', () => {
  const cases: Array<{ name: string; encoding?: 'PCMA'; frame: string | Buffer; inputs: BotInput[] | RegExp }> = [
    {
      name: 'media without stream_id is PCMU',
      frame: raw({ event: 'media', media: { payload: g711Payload('PCMU', 1000, 320) } }),
      inputs: [{ kind: 'audio', pcm: decodedL16('PCMU', 1000, 320) }],
    },
    {
      name: 'media is PCMU even when the bot hears PCMA (Pipecat always sends PCMU back)',
      encoding: 'PCMA',
      frame: raw({ event: 'media', media: { payload: g711Payload('PCMU', -3000, 160) } }),
      inputs: [{ kind: 'audio', pcm: decodedL16('PCMU', -3000, 160) }],
    },
    { name: 'clear without stream_id', frame: raw({ event: 'clear' }), inputs: [{ kind: 'command', command: { type: 'clear' } }] },
    { name: 'mark', frame: raw({ event: 'mark', mark: { name: 'greeting-end' } }), inputs: [{ kind: 'command', command: { type: 'mark', name: 'greeting-end' } }] },
    { name: 'an unknown event', frame: raw({ event: 'start' }), inputs: [{ kind: 'ignored', what: 'event "start"' }] },
    { name: 'not JSON', frame: '{', inputs: /invalid JSON/ },
    { name: 'no event', frame: raw({ media: { payload: '' } }), inputs: /"event"/ },
    { name: 'a binary frame', frame: Buffer.alloc(4), inputs: /binary frame/ },
  ];
  it.each(cases)('$name', ({ encoding, frame, inputs }) => {
    const got = opened(encoding).receive(frame);
    if (inputs instanceof RegExp) {
      expect(got.map((i) => i.kind)).toEqual(['invalid']);
      expect((got[0] as { error: Error }).error.message).toMatch(inputs);
    } else {
      expect(got).toEqual(inputs);
    }
  });

  it('returns an idle mark when the router reaches it, pending marks at a clear', () => {
    const codec = opened();
    codec.receive(raw({ event: 'mark', mark: { name: 'idle' } }));
    const mark = (seq: string, name: string) => raw({ event: 'mark', sequence_number: seq, stream_id: STREAM, mark: { name } });
    expect(codec.event({ type: 'mark', name: 'idle' })).toEqual([mark('2', 'idle')]);
    codec.receive(raw({ event: 'mark', mark: { name: 'p1' } }));
    codec.receive(raw({ event: 'mark', mark: { name: 'p2' } }));
    expect(codec.event({ type: 'cleared', playedMs: 120, lastMark: 'idle' })).toEqual([mark('3', 'p1'), mark('4', 'p2')]);
  });
});
