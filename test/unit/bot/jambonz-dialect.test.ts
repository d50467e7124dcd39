/**
 * jambonz `listen` dialect (streaming bidirectional audio), frames in -> frames out, no socket. Expected frames
 * follow jambonz's listen docs: subprotocol audio.jambonz.org, one metadata text frame, binary L16 both ways,
 * `{"event":"dtmf"}` (passDtmf), commands `killAudio`/`mark`/`clearMarks`/`disconnect`, `mark` events with
 * `playout` or `cleared`.
 */
import { describe, expect, it } from 'vitest';
import { JAMBONZ_SUBPROTOCOL, jambonzDialect, jambonzMetadata } from '../../../src/bot/protocols/jambonz.js';
import type { BotCommand, BotInput, DialectCodec } from '../../../src/bot/index.js';
import { CALL_ID, START, context, l16Frame } from './dialect-fixtures.js';

const raw = (o: unknown) => JSON.stringify(o);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function opened(sampleRate = 8000): DialectCodec {
  const codec = jambonzDialect.open(context({ sampleRate }));
  codec.handshake(START);
  return codec;
}

function markToken(codec: DialectCodec, name: string): string {
  const [input] = codec.receive(raw({ type: 'mark', data: { name } }));
  return ((input as { command: BotCommand }).command as { name: string }).name;
}

describe('jambonz dialect: handshake', () => {
  it('offers the audio.jambonz.org subprotocol, at the bot\'s rate', () => {
    expect(JAMBONZ_SUBPROTOCOL).toBe('audio.jambonz.org');
    expect(jambonzDialect).toMatchObject({ name: 'jambonz', subprotocol: 'audio.jambonz.org', continuousAudio: true });
    expect(jambonzDialect.sampleRate).toBeUndefined();
  });

  it.each([8000, 16000, 24000])('opens with one metadata text frame at %i Hz: format, call attributes, then custom data', (rate) => {
    const ctx = context({ sampleRate: rate, parameters: { tenant: 'acme' } });
    const frames = jambonzDialect.open(ctx).handshake(START);
    expect(frames).toHaveLength(1);
    const meta = JSON.parse(frames[0] as string) as Record<string, unknown>;
    expect(Object.keys(meta)).toEqual([
      'sampleRate', 'mixType', 'callSid', 'direction', 'from', 'to', 'callId', 'sipStatus', 'sipReason', 'callStatus', 'accountSid', 'applicationSid', 'X-Customer-Id', 'tenant',
    ]);
    expect(meta).toMatchObject({
      sampleRate: rate,
      mixType: 'mono',
      callSid: CALL_ID,
      direction: 'inbound',
      from: '+15551230001',
      to: '+15550100',
      callId: 'sip-1@carrier',
      sipStatus: 200,
      callStatus: 'in-progress',
      'X-Customer-Id': 'cust-42',
      tenant: 'acme',
    });
    expect(meta.accountSid).toMatch(UUID);
    expect(meta.applicationSid).toMatch(UUID);
    expect(jambonzMetadata(context({ botName: 'other' }), START).accountSid).not.toBe(meta.accountSid);
  });

  it('sends nothing before it, and nothing at stop (jambonz just closes the socket)', () => {
    const codec = jambonzDialect.open(context());
    expect(codec.callerAudio(l16Frame(0))).toEqual([]);
    codec.handshake(START);
    expect(codec.stop('caller-hangup')).toEqual([]);
  });
});

describe('jambonz dialect: bridge -> bot', () => {
  it('sends each 20 ms frame as one binary message', () => {
    const pcm = l16Frame(1000, 480);
    expect(opened(24000).callerAudio(pcm)).toEqual([pcm]);
  });

  it.each([
    ['5', 100, '800'],
    ['#', 200, '1600'],
  ])('sends DTMF %s (%i ms) as passDtmf does, duration %s in RTP timestamp units', (digit, durationMs, duration) => {
    expect(opened().event({ type: 'dtmf', digit, durationMs })).toEqual([raw({ event: 'dtmf', dtmf: digit, duration })]);
  });

  it('has no frame for events jambonz does not send', () => {
    const codec = opened();
    for (const e of [{ type: 'error', message: 'x' }, { type: 'transfer', status: 'failed' }, { type: 'answered' }, { type: 'cleared', playedMs: 0 }] as const) {
      expect(codec.event(e)).toEqual([]);
    }
  });
});

describe('jambonz dialect: bot -> bridge', () => {
  const cases: Array<{ name: string; frame: string | Buffer; inputs: BotInput[] | RegExp }> = [
    { name: 'binary audio of any size', frame: l16Frame(77, 333), inputs: [{ kind: 'audio', pcm: l16Frame(77, 333) }] },
    { name: 'killAudio', frame: raw({ type: 'killAudio' }), inputs: [{ kind: 'command', command: { type: 'clear' } }] },
    { name: 'disconnect ends the call', frame: raw({ type: 'disconnect' }), inputs: [{ kind: 'command', command: { type: 'hangup' } }] },
    { name: 'a mark without data.name', frame: raw({ type: 'mark', data: {} }), inputs: /data\.name/ },
    { name: 'playAudio (non-streaming mode) is ignored', frame: raw({ type: 'playAudio', data: { audioContent: '' } }), inputs: [{ kind: 'ignored', what: 'type "playAudio"' }] },
    { name: 'no type', frame: raw({ event: 'x' }), inputs: [{ kind: 'ignored', what: 'type null' }] },
    { name: 'not JSON', frame: '{', inputs: /invalid JSON/ },
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

  it('answers a reached mark with event playout, under its own name', () => {
    const codec = opened();
    const token = markToken(codec, 'greeting');
    expect(codec.event({ type: 'mark', name: token })).toEqual([raw({ type: 'mark', data: { name: 'greeting', event: 'playout' } })]);
    expect(codec.event({ type: 'mark', name: token })).toEqual([]);
  });

  it('killAudio returns every pending mark with event cleared, oldest first', () => {
    const codec = opened();
    const t1 = markToken(codec, 'part1');
    markToken(codec, 'part2');
    markToken(codec, 'part3');
    expect(codec.event({ type: 'mark', name: t1 })).toHaveLength(1);
    expect(codec.event({ type: 'cleared', playedMs: 1000 })).toEqual([
      raw({ type: 'mark', data: { name: 'part2', event: 'cleared' } }),
      raw({ type: 'mark', data: { name: 'part3', event: 'cleared' } }),
    ]);
  });

  it('clearMarks forgets pending marks: neither playout nor cleared comes back for them; a new one of the same name does', () => {
    const codec = opened();
    const old = markToken(codec, 'm');
    expect(codec.receive(raw({ type: 'clearMarks' }))).toEqual([]);
    const fresh = markToken(codec, 'm');
    expect(codec.event({ type: 'mark', name: old })).toEqual([]);
    expect(codec.event({ type: 'cleared', playedMs: 0 })).toEqual([raw({ type: 'mark', data: { name: 'm', event: 'cleared' } })]);
    expect(codec.event({ type: 'mark', name: fresh })).toEqual([]);
  });
});
