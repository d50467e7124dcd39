/**
 * Protocol v1 behind the dialect interface, frames in -> frames out: exactly the frames the native session
 * sent before dialects existed (encodeBridgeEvent / parseBotCommand), plus `parameters` in start.headers.
 */
import { describe, expect, it } from 'vitest';
import { encodeBridgeEvent, nativeDialect } from '../../../src/bot/protocols/native.js';
import { DIALECTS, dialectFor, type BridgeEvent } from '../../../src/bot/index.js';
import { START, context, l16Frame } from './dialect-fixtures.js';

describe('native dialect (protocol v1)', () => {
  it('is the default, with the bot\'s own rate, no subprotocol and no paced silence', () => {
    expect(dialectFor(undefined)).toBe(nativeDialect);
    expect(DIALECTS.native).toBe(nativeDialect);
    expect(nativeDialect.sampleRate).toBeUndefined();
    expect(nativeDialect.subprotocol).toBeUndefined();
    expect(nativeDialect.continuousAudio).toBe(false);
  });

  it('opens with the start message as it always was', () => {
    expect(nativeDialect.open(context()).handshake(START)).toEqual([encodeBridgeEvent(START)]);
  });

  it('adds configured parameters to start.headers, winning over an X- header of the same name', () => {
    const [frame] = nativeDialect.open(context({ parameters: { tenant: 'acme', 'X-Customer-Id': 'configured' } })).handshake(START);
    expect(JSON.parse(frame as string)).toMatchObject({ headers: { 'X-Customer-Id': 'configured', tenant: 'acme' } });
  });

  it('sends caller audio as the binary L16 frame itself', () => {
    const pcm = l16Frame(1234);
    const [frame] = nativeDialect.open(context()).callerAudio(pcm);
    expect(frame).toBe(pcm);
  });

  const events: BridgeEvent[] = [
    { type: 'cleared', playedMs: 420, lastMark: 'm1' },
    { type: 'mark', name: 'm2' },
    { type: 'dtmf', digit: '5', durationMs: 100 },
    { type: 'error', message: 'bad' },
    { type: 'answered' },
  ];
  it.each(events)('sends event $type as its JSON', (e) => {
    expect(nativeDialect.open(context()).event(e)).toEqual([encodeBridgeEvent(e)]);
  });

  it('stops with stop, with quality when given', () => {
    const codec = nativeDialect.open(context());
    expect(codec.stop('caller-hangup')).toEqual(['{"type":"stop","reason":"caller-hangup"}']);
    const quality = { packetsReceived: 10, packetsLost: 0, jitterMs: 1 };
    expect(codec.stop('caller-hangup', quality)).toEqual([encodeBridgeEvent({ type: 'stop', reason: 'caller-hangup', quality })]);
  });

  it('decodes commands, and answers a bad one with an error event after reporting it', () => {
    const codec = nativeDialect.open(context());
    expect(codec.receive('{"type":"mark","name":"a"}')).toEqual([{ kind: 'command', command: { type: 'mark', name: 'a' } }]);
    const bad = codec.receive('{"type":"nope"}');
    expect(bad.map((i) => i.kind)).toEqual(['invalid', 'reply']);
    expect(bad[1]).toEqual({ kind: 'reply', frame: '{"type":"error","message":"unknown message type \\"nope\\""}' });
  });

  it('keeps a sample split across binary messages whole', () => {
    const codec = nativeDialect.open(context());
    expect(codec.receive(Buffer.from([1, 2, 3]))).toEqual([{ kind: 'audio', pcm: Buffer.from([1, 2]) }]);
    expect(codec.receive(Buffer.from([4]))).toEqual([{ kind: 'audio', pcm: Buffer.from([3, 4]) }]);
    expect(codec.receive(Buffer.from([5]))).toEqual([]);
  });
});
