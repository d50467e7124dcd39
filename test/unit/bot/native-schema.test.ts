/**
 * Protocol v1 against its published JSON Schema (schema/native-protocol.schema.json): the file is what the zod
 * schemas in src/bot/protocols/native-schema.ts generate (rewrite it with UPDATE_SCHEMA=1), every frame the
 * native dialect emits validates against the file, and the file accepts exactly the bot messages the dialect
 * accepts. Validation uses the file itself (test/helpers/json-schema.ts), not the zod schemas.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { botCommandSchema, nativeProtocolJsonSchema } from '../../../src/bot/protocols/native-schema.js';
import { nativeDialect } from '../../../src/bot/protocols/native.js';
import type { BridgeEvent } from '../../../src/bot/index.js';
import { validate } from '../../helpers/json-schema.js';
import { START, context } from './dialect-fixtures.js';

const FILE = join(resolve(fileURLToPath(import.meta.url), '../../../..'), 'schema', 'native-protocol.schema.json');
const generated = `${JSON.stringify(nativeProtocolJsonSchema(), null, 2)}\n`;
if (process.env.UPDATE_SCHEMA === '1') writeFileSync(FILE, generated);
const file = JSON.parse(readFileSync(FILE, 'utf8')) as Record<string, unknown> & { $defs: Record<string, { oneOf: Array<{ $ref: string }> }> };
const defs = file.$defs;
const BOT = defs.BotToBridge;
const BRIDGE = defs.BridgeToBot;

/** The `type` values a direction's union lists, read from the file. */
function typesIn(union: { oneOf: Array<{ $ref: string }> }): string[] {
  return union.oneOf.map((r) => ((defs[r.$ref.split('/').pop()!] as unknown as { properties: { type: { const: string } } }).properties.type.const));
}

describe('the checked-in JSON Schema', () => {
  it('is what the zod schemas generate (run with UPDATE_SCHEMA=1 after changing them)', () => {
    expect(readFileSync(FILE, 'utf8')).toBe(generated);
  });

  it('the validator helper follows the file\'s keywords and refuses ones it does not know', () => {
    expect(validate(file, { type: 'clear' }, BOT)).toEqual([]);
    expect(validate(file, { type: 'mark' }, BOT)).not.toEqual([]);
    expect(validate(file, { type: 'mark', name: 'm', extra: 1 }, defs.MarkEvent as unknown as Record<string, unknown>)).toEqual(expect.arrayContaining([expect.stringContaining('unexpected field "extra"')]));
    expect(() => validate(file, 1, { if: true })).toThrow(/unsupported keyword "if"/);
  });
});

describe('frames the native dialect emits', () => {
  const QUALITY = { packetsReceived: 500, packetsLost: 2, jitterMs: 3.5, rttMs: 40, remote: { packetsLost: 1, jitterMs: 2 } };
  const EVENTS: BridgeEvent[] = [
    { type: 'stop', reason: 'caller-hangup' },
    { type: 'cleared', playedMs: 120, lastMark: 'm1' },
    { type: 'cleared', playedMs: 0 },
    { type: 'mark', name: 'greeting' },
    { type: 'error', message: 'invalid JSON' },
    { type: 'error', message: 'audio refused: the playout queue is full', code: 'playout-overflow' },
    { type: 'status', playoutMs: 1200, maxPlayoutMs: 60000, framesDropped: 3, refusedMs: 0 },
    { type: 'dtmf', digit: '5', durationMs: 100 },
    { type: 'transfer', status: 'failed', sipStatus: 486, reason: 'busy-here' },
    { type: 'transfer', status: 'ringing' },
    { type: 'answered' },
    { type: 'recording', state: 'paused' },
    { type: 'error', message: 'cannot pause: the recording is idle', code: 'recording-state' },
  ];

  function emitted(): string[] {
    const codec = nativeDialect.open(context({ parameters: { tenant: 'acme' } }));
    const frames = [
      ...codec.handshake(START),
      ...codec.handshake({ ...START, direction: 'outbound', early: true, media: { ...START.media, jitterBufferMs: 60, codec: 'PCMA' } }),
      ...codec.handshake({ ...START, resumed: true }),
      ...EVENTS.flatMap((e) => codec.event(e)),
      ...codec.stop('bot-hangup'),
      ...codec.stop('caller-hangup', QUALITY),
      // What the dialect answers a bad message with.
      ...codec.receive('{"type":"dance"}').flatMap((i) => (i.kind === 'reply' ? [i.frame] : [])),
    ];
    return frames.map((f) => {
      expect(typeof f).toBe('string'); // JSON events are text frames
      return f as string;
    });
  }

  it('every one validates against BridgeToBot', () => {
    for (const frame of emitted()) expect(validate(file, JSON.parse(frame), BRIDGE), frame).toEqual([]);
  });

  it('covers every event type the schema lists (a new event needs a sample here)', () => {
    const seen = new Set(emitted().map((f) => (JSON.parse(f) as { type: string }).type));
    expect([...seen].sort()).toEqual(typesIn(BRIDGE).sort());
  });

  it('a field the schema does not list fails, so an undeclared addition cannot slip through', () => {
    const [start] = nativeDialect.open(context()).handshake(START);
    const changed = { ...JSON.parse(start as string), rejoined: true };
    expect(validate(file, changed, BRIDGE)).not.toEqual([]);
  });
});

describe('bot messages: the schema accepts exactly what the native dialect accepts', () => {
  const SAMPLES = [
    '{"type":"clear"}',
    '{"type":"clear","extra":{"a":1}}',
    '{"type":"mark","name":"m1"}',
    '{"type":"mark","name":""}',
    '{"type":"mark","name":7}',
    `{"type":"mark","name":"${'a'.repeat(256)}"}`,
    `{"type":"mark","name":"${'a'.repeat(257)}"}`,
    '{"type":"mark"}',
    '{"type":"hangup"}',
    '{"type":"status"}',
    '{"type":"record","action":"start"}',
    '{"type":"record","action":"pause","extra":1}',
    '{"type":"record","action":"rewind"}',
    '{"type":"record"}',
    '{"type":"hangup","reason":"done"}',
    '{"type":"hangup","reason":""}',
    '{"type":"hangup","reason":false}',
    '{"type":"transfer","to":"support-desk"}',
    '{"type":"transfer","to":"+15557654321","trunk":"carrier-out","method":"bridge","listen":true}',
    '{"type":"transfer","to":""}',
    '{"type":"transfer","to":"x","method":"blind"}',
    '{"type":"transfer","to":"x","listen":"yes"}',
    '{"type":"transfer","to":"x","trunk":3}',
    '{"type":"dtmf","digits":"123#","durationMs":100}',
    '{"type":"dtmf","digits":"*0abcd"}',
    '{"type":"dtmf","digits":"1","durationMs":40}',
    '{"type":"dtmf","digits":"1","durationMs":5000}',
    '{"type":"dtmf","digits":"1","durationMs":39}',
    '{"type":"dtmf","digits":"1","durationMs":5001}',
    '{"type":"dtmf","digits":"1","durationMs":99.5}',
    '{"type":"dtmf","digits":"1","durationMs":"100"}',
    '{"type":"dtmf","digits":""}',
    '{"type":"dtmf","digits":"12e"}',
    `{"type":"dtmf","digits":"${'1'.repeat(64)}"}`,
    `{"type":"dtmf","digits":"${'1'.repeat(65)}"}`,
    '{"type":"dance"}',
    '{}',
    '[1,2]',
    'null',
    '"clear"',
  ];

  it.each(SAMPLES)('%s', (text) => {
    const [input] = nativeDialect.open(context()).receive(text);
    const accepted = input.kind === 'command';
    const json = JSON.parse(text) as unknown;
    expect(validate(file, json, BOT).length === 0, 'schema verdict').toBe(accepted);
    // One source: the zod schema reads an accepted message exactly as the dialect does.
    if (input.kind === 'command') expect(botCommandSchema.parse(json)).toEqual(input.command);
  });

  it('covers every command type the schema lists', () => {
    const accepted = SAMPLES.flatMap((t) => nativeDialect.open(context()).receive(t)).flatMap((i) => (i.kind === 'command' ? [i.command.type] : []));
    expect([...new Set(accepted)].sort()).toEqual(typesIn(BOT).sort());
  });
});
