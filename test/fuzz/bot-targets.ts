/**
 * Fuzz target for every bot dialect's decoder (src/bot/protocols/): whatever a bot sends, `receive` answers
 * with inputs and never throws (the DialectCodec contract), audio is whole 16-bit samples, and the frames the
 * bridge sends afterwards (events, stop) still encode.
 */
import fc from 'fast-check';
import { DIALECTS, type DialectName } from '../../src/bot/protocols/registry.js';
import type { BotInput, DialectContext, StartMessage } from '../../src/bot/index.js';
import { fuzzBytes } from './mutator.js';
import type { FuzzTarget } from './runner.js';

const CALL_ID = '0f8e2a4c-1b3d-4e5f-8a9b-0c1d2e3f4a5b';

function context(): DialectContext {
  return {
    callId: CALL_ID,
    botName: 'fuzz',
    sampleRate: 8000,
    parameters: { lang: 'en' },
    randomBytes: (n) => Buffer.alloc(n, 7),
    wallClock: () => Date.UTC(2026, 0, 1),
  };
}

const START: StartMessage = {
  type: 'start',
  callId: CALL_ID,
  sipCallId: 'fuzz@127.0.0.1',
  from: '+15551230001',
  to: '+15550100',
  trunk: 'carrier',
  direction: 'inbound',
  headers: {},
  media: { encoding: 'L16', sampleRate: 8000, channels: 1, frameMs: 20 },
};

/** Valid frames of every dialect: each dialect also gets the others' frames, which it must refuse cleanly. */
const SEEDS: string[] = [
  '{"type":"clear"}',
  '{"type":"mark","name":"a"}',
  '{"type":"hangup","reason":"done"}',
  '{"type":"transfer","target":"+15550199"}',
  '{"type":"dtmf","digits":"12#"}',
  '{"event":"media","streamSid":"MZ1","media":{"payload":"/////w=="}}',
  '{"event":"mark","streamSid":"MZ1","mark":{"name":"m1"}}',
  '{"event":"clear","streamSid":"MZ1"}',
  '{"event":"playAudio","media":{"contentType":"audio/x-l16","sampleRate":8000,"payload":"AAAAAA=="}}',
  '{"event":"playAudio","media":{"contentType":"audio/x-mulaw","sampleRate":"8000","payload":"/w=="}}',
  '{"event":"checkpoint","streamId":"s","name":"c1"}',
  '{"event":"clearAudio","streamId":"s"}',
  '{"action":"clear"}',
  '{"action":"notify","payload":{"x":[1,2,{"y":null}]}}',
  '{"type":"killAudio"}',
  '{"type":"mark","data":{"name":"j1"}}',
  '{"type":"clearMarks"}',
  '{"type":"disconnect"}',
];

type Frame = { text: string } | { binary: Buffer };

const frameArb: fc.Arbitrary<Frame> = fc.oneof(
  { weight: 60, arbitrary: fuzzBytes(SEEDS.map((s) => Buffer.from(s)), 64).map((b) => ({ text: b.toString('utf8') })) },
  { weight: 20, arbitrary: fc.json({ maxDepth: 3 }).map((text) => ({ text })) },
  { weight: 20, arbitrary: fc.uint8Array({ maxLength: 321 }).map((u) => ({ binary: Buffer.from(u) })) },
  // Nesting deep enough that stringifying the value overflows the stack (parsing it does not); rare, as it is slow.
  {
    weight: 1,
    arbitrary: fc
      .record({ key: fc.constantFrom('type', 'action', 'event', 'name', 'payload', 'media'), depth: fc.integer({ min: 50_000, max: 100_000 }) })
      .map(({ key, depth }) => ({ text: `{"${key}":${'['.repeat(depth)}${']'.repeat(depth)}}` })),
  },
);

function fail(what: string): never {
  throw new Error(what);
}

function checkInput(input: BotInput, dialect: string): string[] {
  switch (input.kind) {
    case 'audio':
      if (input.pcm.length === 0 || input.pcm.length % 2 !== 0) fail(`${dialect}: audio of ${input.pcm.length} bytes`);
      return [];
    case 'command':
      return input.command.type === 'mark' ? [input.command.name] : [];
    case 'invalid':
      if (input.error.code !== 'BOT_PROTOCOL') fail(`${dialect}: invalid input with code ${input.error.code}`);
      return [];
    case 'reply':
    case 'ignored':
      return [];
    default:
      return fail(`${dialect}: unknown input ${JSON.stringify(input)}`);
  }
}

export const botDialectTarget: FuzzTarget<{ dialect: DialectName; frames: Frame[] }> = {
  name: 'bot-dialects',
  arbitrary: fc.record({
    dialect: fc.constantFrom(...(Object.keys(DIALECTS) as DialectName[])),
    frames: fc.array(frameArb, { minLength: 1, maxLength: 8 }),
  }),
  check({ dialect, frames }) {
    const codec = DIALECTS[dialect].open(context());
    codec.handshake(START);
    const marks: string[] = [];
    for (const f of frames) {
      let inputs: BotInput[];
      try {
        inputs = codec.receive('text' in f ? f.text : f.binary);
      } catch (err) {
        return fail(`${dialect}.receive threw ${(err as Error)?.name}: ${(err as Error)?.message}`);
      }
      for (const input of inputs) marks.push(...checkInput(input, dialect));
    }
    // The bridge answers the marks the bot placed, then a clear, then ends the call: none of that may throw.
    for (const name of marks) codec.event({ type: 'mark', name });
    codec.event({ type: 'cleared', playedMs: 0 });
    codec.stop('hangup');
  },
};
