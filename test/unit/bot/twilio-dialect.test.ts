/**
 * Twilio Media Streams dialect, frames in -> frames out, no socket. Expected frames are written from Twilio's
 * "Media Streams - WebSocket Messages" page: field names, types (strings where Twilio sends strings) and order
 * (the raw text is compared, so key order counts).
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { twilioDialect, twilioSids } from '../../../src/bot/protocols/twilio.js';
import type { BotInput, BridgeEvent, DialectCodec } from '../../../src/bot/index.js';
import { CALL_ID, START, context, decodedL16, g711Payload, l16Frame } from './dialect-fixtures.js';

const STREAM = 'MZ000102030405060708090a0b0c0d0e0f';
const CALL = `CA${CALL_ID.replace(/-/g, '')}`;
const ACCOUNT = `AC${createHash('sha256').update('trunkbridge-bot:support').digest('hex').slice(0, 32)}`;
const raw = (o: unknown) => JSON.stringify(o);
/** μ-law of digital silence, base64: 160 bytes of 0xff. */
const SILENCE_ULAW = Buffer.alloc(160, 0xff).toString('base64');

function opened(parameters: Record<string, string> = {}): DialectCodec {
  const codec = twilioDialect.open(context({ parameters }));
  codec.handshake(START);
  return codec;
}

describe('twilio dialect: static facts', () => {
  it('is 8 kHz, continuous, without a subprotocol', () => {
    expect(twilioDialect).toMatchObject({ name: 'twilio', sampleRate: 8000, continuousAudio: true });
    expect(twilioDialect.subprotocol).toBeUndefined();
  });

  it('shapes its SIDs like Twilio: MZ/CA/AC + 32 hex, the call SID from the call id, the account stable per bot', () => {
    const sids = twilioSids(context());
    expect(sids).toEqual({ streamSid: STREAM, callSid: CALL, accountSid: ACCOUNT });
    for (const sid of Object.values(sids)) expect(sid).toMatch(/^(MZ|CA|AC)[0-9a-f]{32}$/);
    expect(twilioSids(context({ botName: 'other' })).accountSid).not.toBe(ACCOUNT);
    expect(twilioSids(context({ callId: 'not-a-uuid' })).callSid).toMatch(/^CA[0-9a-f]{32}$/);
  });
});

describe('twilio dialect: handshake', () => {
  it('sends connected first and start second, sequenceNumber "1", customParameters with X- headers, parameters and from/to', () => {
    const codec = twilioDialect.open(context({ parameters: { tenant: 'acme', 'X-Customer-Id': 'configured' } }));
    expect(codec.handshake(START)).toEqual([
      raw({ event: 'connected', protocol: 'Call', version: '1.0.0' }),
      raw({
        event: 'start',
        sequenceNumber: '1',
        start: {
          accountSid: ACCOUNT,
          streamSid: STREAM,
          callSid: CALL,
          tracks: ['inbound'],
          mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
          // configured parameters win over the INVITE's header of the same name; from/to are always the call's
          customParameters: { 'X-Customer-Id': 'configured', tenant: 'acme', from_number: '+15551230001', to_number: '+15550100' },
        },
        streamSid: STREAM,
      }),
    ]);
  });

  it('happens once', () => {
    const codec = opened();
    expect(codec.handshake(START)).toEqual([]);
  });

  it('sends nothing before it: no media, no event, no stop (a Pipecat bot reads its first two messages as the handshake)', () => {
    const codec = twilioDialect.open(context());
    expect(codec.callerAudio(l16Frame(0))).toEqual([]);
    expect(codec.event({ type: 'dtmf', digit: '1', durationMs: 100 })).toEqual([]);
    expect(codec.stop('error')).toEqual([]);
  });
});

describe('twilio dialect: bridge -> bot', () => {
  it('numbers every event with one string counter and every media chunk from "1", timestamps in ms from 0', () => {
    const codec = opened();
    const media = (seq: string, chunk: string, ts: string) =>
      raw({ event: 'media', sequenceNumber: seq, media: { track: 'inbound', chunk, timestamp: ts, payload: SILENCE_ULAW }, streamSid: STREAM });
    expect(codec.callerAudio(l16Frame(0))).toEqual([media('2', '1', '0')]);
    expect(codec.callerAudio(l16Frame(0))).toEqual([media('3', '2', '20')]);
    expect(codec.event({ type: 'dtmf', digit: '5', durationMs: 120 })).toEqual([
      raw({ event: 'dtmf', streamSid: STREAM, sequenceNumber: '4', dtmf: { track: 'inbound_track', digit: '5' } }),
    ]);
    expect(codec.callerAudio(l16Frame(0))).toEqual([media('5', '3', '40')]);
    expect(codec.stop('caller-hangup')).toEqual([
      raw({ event: 'stop', sequenceNumber: '6', stop: { accountSid: ACCOUNT, callSid: CALL }, streamSid: STREAM }),
    ]);
  });

  it('encodes caller audio as μ-law', () => {
    const [frame] = opened().callerAudio(l16Frame(1000));
    const payload = Buffer.from((JSON.parse(frame as string) as { media: { payload: string } }).media.payload, 'base64');
    expect(payload.toString('base64')).toBe(g711Payload('PCMU', 1000, 160));
  });

  const silentEvents: Array<[string, BridgeEvent]> = [
    ['cleared (nothing pending)', { type: 'cleared', playedMs: 300 }],
    ['error', { type: 'error', message: 'x' }],
    ['transfer', { type: 'transfer', status: 'ringing' }],
    ['answered', { type: 'answered' }],
    ['a mark the bot never placed', { type: 'mark', name: 'ghost' }],
  ];
  it.each(silentEvents)('has no frame for %s', (_name, e) => {
    expect(opened().event(e)).toEqual([]);
  });
});

describe('twilio dialect: bot -> bridge', () => {
  const cases: Array<{ name: string; frame: string | Buffer; inputs: BotInput[] | RegExp }> = [
    {
      name: 'media of 20 ms',
      frame: raw({ event: 'media', streamSid: STREAM, media: { payload: g711Payload('PCMU', 1000, 160) } }),
      inputs: [{ kind: 'audio', pcm: decodedL16('PCMU', 1000, 160) }],
    },
    {
      name: 'media of any size (Pipecat: 40 ms), streamSid absent',
      frame: raw({ event: 'media', media: { payload: g711Payload('PCMU', -2000, 320) } }),
      inputs: [{ kind: 'audio', pcm: decodedL16('PCMU', -2000, 320) }],
    },
    { name: 'media with an empty payload', frame: raw({ event: 'media', media: { payload: '' } }), inputs: [] },
    { name: 'mark', frame: raw({ event: 'mark', streamSid: STREAM, mark: { name: 'my label' } }), inputs: [{ kind: 'command', command: { type: 'mark', name: 'my label' } }] },
    { name: 'clear', frame: raw({ event: 'clear', streamSid: STREAM }), inputs: [{ kind: 'command', command: { type: 'clear' } }] },
    { name: 'an unknown event', frame: raw({ event: 'hello', streamSid: STREAM }), inputs: [{ kind: 'ignored', what: 'event "hello"' }] },
    { name: 'media without payload', frame: raw({ event: 'media', media: {} }), inputs: /media\.payload/ },
    { name: 'media not base64', frame: raw({ event: 'media', media: { payload: 'not*base64!' } }), inputs: /not base64/ },
    { name: 'mark without a name', frame: raw({ event: 'mark', mark: {} }), inputs: /mark\.name/ },
    { name: 'a mark name too long', frame: raw({ event: 'mark', mark: { name: 'x'.repeat(257) } }), inputs: /longer than 256/ },
    { name: 'not JSON', frame: 'hello', inputs: /invalid JSON/ },
    { name: 'a JSON array', frame: '[1]', inputs: /JSON object/ },
    { name: 'no event', frame: raw({ type: 'mark' }), inputs: /"event"/ },
    { name: 'a binary frame', frame: Buffer.from([1, 2, 3]), inputs: /binary frame/ },
  ];
  it.each(cases)('$name', ({ frame, inputs }) => {
    const got = opened().receive(frame);
    if (inputs instanceof RegExp) {
      // Invalid: reported (protocol-error), never answered — a Twilio bot has no error message to read.
      expect(got).toHaveLength(1);
      expect(got[0].kind).toBe('invalid');
      expect((got[0] as { error: Error }).error.message).toMatch(inputs);
    } else {
      expect(got).toEqual(inputs);
    }
  });
});

describe('twilio dialect: marks', () => {
  it('echoes a reached mark once, and at a clear every pending mark in order (then none is pending)', () => {
    const codec = opened();
    for (const name of ['a', 'b', 'c']) codec.receive(raw({ event: 'mark', streamSid: STREAM, mark: { name } }));
    const mark = (seq: string, name: string) => raw({ event: 'mark', sequenceNumber: seq, streamSid: STREAM, mark: { name } });
    expect(codec.event({ type: 'mark', name: 'a' })).toEqual([mark('2', 'a')]);
    expect(codec.event({ type: 'cleared', playedMs: 480, lastMark: 'a' })).toEqual([mark('3', 'b'), mark('4', 'c')]);
    expect(codec.event({ type: 'mark', name: 'b' })).toEqual([]);
    expect(codec.event({ type: 'cleared', playedMs: 0 })).toEqual([]);
  });

  it('keeps two marks of one name apart', () => {
    const codec = opened();
    codec.receive(raw({ event: 'mark', mark: { name: 'x' } }));
    codec.receive(raw({ event: 'mark', mark: { name: 'x' } }));
    expect(codec.event({ type: 'mark', name: 'x' })).toHaveLength(1);
    expect(codec.event({ type: 'mark', name: 'x' })).toHaveLength(1);
    expect(codec.event({ type: 'mark', name: 'x' })).toEqual([]);
  });
});
