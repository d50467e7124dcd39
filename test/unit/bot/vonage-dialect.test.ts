/**
 * Vonage WebSocket dialect, frames in -> frames out, no socket. Expected frames follow Vonage's "WebSockets in
 * the Vonage Voice API": a `websocket:connected` text first, binary L16 both ways, `websocket:dtmf` with a
 * top-level digit, `{"action":"clear"}` -> `websocket:cleared`, `{"action":"notify"}` -> `websocket:notify`.
 */
import { describe, expect, it } from 'vitest';
import { vonageDialect } from '../../../src/bot/protocols/vonage.js';
import type { BotCommand, BotInput, DialectCodec } from '../../../src/bot/index.js';
import { START, context, l16Frame } from './dialect-fixtures.js';

const raw = (o: unknown) => JSON.stringify(o);

function opened(sampleRate = 16000): DialectCodec {
  const codec = vonageDialect.open(context({ sampleRate }));
  codec.handshake(START);
  return codec;
}

function notifyToken(codec: DialectCodec, payload?: unknown): string {
  const [input] = codec.receive(raw(payload === undefined ? { action: 'notify' } : { action: 'notify', payload }));
  return ((input as { command: BotCommand }).command as { name: string }).name;
}

describe('vonage dialect: handshake', () => {
  it('is binary L16 at the bot\'s rate with no subprotocol', () => {
    expect(vonageDialect).toMatchObject({ name: 'vonage', continuousAudio: true });
    expect(vonageDialect.sampleRate).toBeUndefined();
    expect(vonageDialect.subprotocol).toBeUndefined();
  });

  it.each([8000, 16000])('opens with websocket:connected, content-type at %i Hz, then the headers flattened', (rate) => {
    const codec = vonageDialect.open(context({ sampleRate: rate, parameters: { tenant: 'acme' } }));
    const frames = codec.handshake(START);
    expect(frames).toEqual([raw({ event: 'websocket:connected', 'content-type': `audio/l16;rate=${rate}`, 'X-Customer-Id': 'cust-42', tenant: 'acme' })]);
    expect(Object.keys(JSON.parse(frames[0] as string))).toEqual(['event', 'content-type', 'X-Customer-Id', 'tenant']);
  });

  it('never lets a parameter replace event or content-type', () => {
    const codec = vonageDialect.open(context({ sampleRate: 16000, parameters: { event: 'x', 'content-type': 'y' } }));
    expect(codec.handshake(START)).toEqual([raw({ event: 'websocket:connected', 'content-type': 'audio/l16;rate=16000', 'X-Customer-Id': 'cust-42' })]);
  });

  it('sends nothing before it, and nothing at stop (Vonage just closes the socket)', () => {
    const codec = vonageDialect.open(context({ sampleRate: 16000 }));
    expect(codec.callerAudio(l16Frame(0, 320))).toEqual([]);
    codec.handshake(START);
    expect(codec.stop('caller-hangup')).toEqual([]);
  });
});

describe('vonage dialect: bridge -> bot', () => {
  it('sends each 20 ms frame as one binary message, the frame itself (640 bytes at 16 kHz)', () => {
    const pcm = l16Frame(1000, 320);
    const frames = opened().callerAudio(pcm);
    expect(frames).toEqual([pcm]);
    expect((frames[0] as Buffer).length).toBe(640);
  });

  it('sends DTMF as websocket:dtmf with a top-level digit and its duration', () => {
    expect(opened().event({ type: 'dtmf', digit: '#', durationMs: 260 })).toEqual([raw({ event: 'websocket:dtmf', digit: '#', duration: 260 })]);
  });

  it('has no frame for events Vonage does not send', () => {
    const codec = opened();
    for (const e of [{ type: 'error', message: 'x' }, { type: 'transfer', status: 'failed' }, { type: 'answered' }, { type: 'mark', name: 'm9' }] as const) {
      expect(codec.event(e)).toEqual([]);
    }
  });
});

describe('vonage dialect: bot -> bridge', () => {
  const cases: Array<{ name: string; frame: string | Buffer; inputs: BotInput[] | RegExp }> = [
    { name: '1,280 bytes of binary audio, as Pipecat sends it', frame: l16Frame(321, 640), inputs: [{ kind: 'audio', pcm: l16Frame(321, 640) }] },
    { name: 'a single 20 ms frame', frame: l16Frame(-321, 320), inputs: [{ kind: 'audio', pcm: l16Frame(-321, 320) }] },
    { name: 'an empty binary message is nothing', frame: Buffer.alloc(0), inputs: [] },
    { name: 'clear', frame: raw({ action: 'clear' }), inputs: [{ kind: 'command', command: { type: 'clear' } }] },
    { name: 'Pipecat\'s older clearAudio event is not Vonage\'s: ignored', frame: raw({ event: 'clearAudio' }), inputs: [{ kind: 'ignored', what: 'action null' }] },
    { name: 'an unknown action', frame: raw({ action: 'transfer' }), inputs: [{ kind: 'ignored', what: 'action "transfer"' }] },
    { name: 'not JSON', frame: 'clear', inputs: /invalid JSON/ },
    { name: 'a JSON array', frame: '[]', inputs: /JSON object/ },
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

  it('joins a sample split across binary messages', () => {
    const codec = opened();
    const pcm = l16Frame(0x2345, 4);
    expect(codec.receive(pcm.subarray(0, 1))).toEqual([]);
    expect(codec.receive(pcm.subarray(1))).toEqual([{ kind: 'audio', pcm }]);
  });

  it.each([
    ['an object', { reply: 3, done: true }],
    ['a string', 'end-of-greeting'],
    ['no payload', undefined],
  ])('notify with %s comes back as websocket:notify with the same payload once reached', (_what, payload) => {
    const codec = opened();
    const token = notifyToken(codec, payload);
    expect(codec.event({ type: 'mark', name: token })).toEqual([raw({ event: 'websocket:notify', payload })]);
    expect(codec.event({ type: 'mark', name: token })).toEqual([]);
  });

  it('clear is answered with websocket:cleared; a notify whose audio was dropped never comes back', () => {
    const codec = opened();
    const token = notifyToken(codec, { n: 1 });
    expect(codec.event({ type: 'cleared', playedMs: 0 })).toEqual([raw({ event: 'websocket:cleared' })]);
    expect(codec.event({ type: 'mark', name: token })).toEqual([]);
  });
});
