/**
 * Protocol v1's JSON messages as zod schemas: the source of `schema/native-protocol.schema.json`, the JSON
 * Schema bot developers validate against. The TypeScript types in native.ts stay the ones the code uses; the
 * checks at the bottom of this file fail to compile when a type and its schema differ, and the tests
 * (test/unit/bot/native-schema.test.ts) fail when the checked-in file is not what these schemas generate or when
 * a frame the native dialect emits or accepts disagrees with the file. Regenerate the file with
 * `UPDATE_SCHEMA=1 npx vitest run test/unit/bot/native-schema.test.ts`.
 *
 * Bot -> bridge objects are open (unknown fields are ignored, for forward compatibility, as parseBotCommand
 * does); bridge -> bot objects are closed: they list every field the bridge sends, so a new field is a schema
 * change.
 */
import { z } from 'zod';
import type { BotCommand, BridgeEvent } from './native.js';

/** Longest mark name, hangup reason or transfer field parseBotCommand accepts (they end up in logs). */
const MAX_TEXT = 256;
const text = (what: string) => z.string().max(MAX_TEXT).describe(what);

const clearCommand = z.object({ type: z.literal('clear') }).meta({ id: 'ClearCommand', description: 'Drop audio queued for playback (barge-in). Answered by `cleared`.' });
const markCommand = z
  .object({ type: z.literal('mark'), name: text('Echoed back in a `mark` event once playback reaches this point.').min(1) })
  .meta({ id: 'MarkCommand', description: 'Place a mark after the audio sent so far.' });
const hangupCommand = z.object({ type: z.literal('hangup'), reason: text('Logged; free text.').optional() }).meta({ id: 'HangupCommand', description: 'End the call (BYE).' });
const dtmfCommand = z
  .object({
    type: z.literal('dtmf'),
    digits: z.string().regex(/^[0-9*#A-Da-d]{1,64}$/).transform((d) => d.toUpperCase()).describe('1-64 of 0-9 * # A-D (case-insensitive).'),
    durationMs: z.number().int().min(40).max(5000).default(100).describe('Length of each key, ms.'),
  })
  .meta({ id: 'DtmfCommand', description: 'Play DTMF keys into the call (RFC 4733 events).' });
const transferCommand = z
  .object({
    type: z.literal('transfer'),
    to: text('A transferDestinations name, a number ("+15557654321") or a sip: URI.').min(1),
    trunk: text('Outbound trunk for a number.').optional(),
    method: z.enum(['refer', 'bridge']).optional().describe('refer: the carrier connects the caller; bridge: the bridge calls and relays.'),
    listen: z.boolean().optional().describe('bridge: keep sending the bot audio (caller + agent mixed) after the agent answers.'),
  })
  .meta({ id: 'TransferCommand', description: 'Hand the caller to a person (see README "Transfers").' });

/** Every text message a bot may send. */
const statusCommand = z.object({ type: z.literal('status') }).meta({ id: 'StatusCommand', description: 'How the bridge\'s buffers for this call stand. Answered by `status`.' });
const recordCommand = z
  .object({ type: z.literal('record'), action: z.enum(['start', 'pause', 'resume', 'stop']).describe('Paused spans are silence in the file.') })
  .meta({ id: 'RecordCommand', description: 'Control the call\'s recording (recording: on-demand). Answered by `recording`, or `error` with a recording-* code.' });
export const botCommandSchema = z.discriminatedUnion('type', [clearCommand, markCommand, hangupCommand, dtmfCommand, transferCommand, statusCommand, recordCommand]);

const startMessage = z
  .strictObject({
    type: z.literal('start'),
    callId: z.string().describe('trunkbridge call id (UUID).'),
    sipCallId: z.string().describe('SIP Call-ID.'),
    from: z.string(),
    to: z.string(),
    trunk: z.string(),
    direction: z.enum(['inbound', 'outbound']),
    early: z.boolean().optional().describe('Outbound with early media: sent at 183, before answer; `answered` follows.'),
    resumed: z.boolean().optional().describe('The bot reconnected after a drop: the same call goes on (README "Bot connection").'),
    headers: z.record(z.string(), z.string()).describe("The INVITE's X- headers and the bot's configured parameters."),
    media: z.strictObject({
      encoding: z.literal('L16'),
      sampleRate: z.number(),
      channels: z.literal(1),
      frameMs: z.number(),
      jitterBufferMs: z.number().optional().describe('Receive jitter buffer delay the bridge adds (adaptive: the most it may add), ms.'),
      codec: z.string().optional().describe("The call's RTP codec (SDP name), for information."),
    }),
  })
  .meta({ id: 'StartMessage', description: 'First message of every session: who is calling and the audio format.' });
const callQuality = z
  .strictObject({
    packetsReceived: z.number(),
    packetsLost: z.number().describe('Expected - received (RFC 3550 A.3), never negative.'),
    jitterMs: z.number(),
    rttMs: z.number().optional(),
    remote: z.strictObject({ packetsLost: z.number(), jitterMs: z.number() }).optional().describe("The caller's last RTCP receiver report on our stream."),
  })
  .meta({ id: 'CallQuality', description: "Audio quality of the caller's RTP (RTCP figures, RFC 3550)." });
const stopEvent = z.strictObject({ type: z.literal('stop'), reason: z.string().describe('An end reason (README "Failure reasons").'), quality: callQuality.optional() }).meta({ id: 'StopEvent', description: 'The call ended; the socket closes next.' });
const clearedEvent = z
  .strictObject({ type: z.literal('cleared'), playedMs: z.number(), lastMark: z.string().optional() })
  .meta({ id: 'ClearedEvent', description: 'Answer to `clear`: how much of the dropped queue had played, and the last mark reached.' });
const markEvent = z.strictObject({ type: z.literal('mark'), name: z.string() }).meta({ id: 'MarkEvent', description: 'Playback reached the mark of this name.' });
const errorEvent = z
  .strictObject({ type: z.literal('error'), message: z.string(), code: z.string().optional().describe('For errors a bot may act on: "playout-overflow", "recording-off", "recording-state", "recording-failed".') })
  .meta({ id: 'ErrorEvent', description: 'A message from the bot was refused (the call goes on).' });
const statusEvent = z
  .strictObject({
    type: z.literal('status'),
    playoutMs: z.number().describe('Bot audio queued for the caller and not played yet, ms.'),
    maxPlayoutMs: z.number().describe('Most bot audio the bridge queues, ms; beyond it audio is refused with playout-overflow.'),
    framesDropped: z.number().describe('Caller frames dropped so far because the bot did not read fast enough.'),
    refusedMs: z.number().describe('Bot audio refused so far because the playout queue was full, ms.'),
  })
  .meta({ id: 'StatusEvent', description: 'Answer to `status`.' });
const dtmfEvent = z.strictObject({ type: z.literal('dtmf'), digit: z.string(), durationMs: z.number() }).meta({ id: 'DtmfEvent', description: 'A key the caller pressed, once per press.' });
const transferEvent = z
  .strictObject({
    type: z.literal('transfer'),
    status: z.enum(['ringing', 'answered', 'completed', 'failed']),
    sipStatus: z.number().optional(),
    reason: z.string().optional(),
  })
  .meta({ id: 'TransferEvent', description: 'Progress and outcome of a transfer.' });
const recordingEvent = z
  .strictObject({ type: z.literal('recording'), state: z.enum(['recording', 'paused', 'stopped']) })
  .meta({ id: 'RecordingEvent', description: "The call's recording state after a `record` command." });
const answeredEvent = z.strictObject({ type: z.literal('answered') }).meta({ id: 'AnsweredEvent', description: 'An outbound call whose early media the bot was hearing was answered.' });

/** Every text message the bridge may send. */
export const bridgeEventSchema = z.discriminatedUnion('type', [startMessage, stopEvent, clearedEvent, markEvent, errorEvent, dtmfEvent, transferEvent, answeredEvent, statusEvent, recordingEvent]);

/** The whole protocol as one JSON Schema document (2020-12): `$defs.BotToBridge` and `$defs.BridgeToBot`. */
export function nativeProtocolJsonSchema(): Record<string, unknown> {
  const part = (schema: z.ZodType, io: 'input' | 'output') => {
    const { $schema: _drop, $defs = {}, ...root } = z.toJSONSchema(schema, { io, unrepresentable: 'throw' }) as Record<string, unknown> & { $defs?: Record<string, unknown> };
    return { root, defs: $defs };
  };
  // What a bot may send is read as input (defaults are optional on the wire); what we send is our output.
  const bot = part(botCommandSchema, 'input');
  const bridge = part(bridgeEventSchema, 'output');
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: 'urn:trunkbridge:native-protocol:v1',
    title: 'trunkbridge native bot protocol (protocol v1)',
    description:
      'The JSON text frames of one bot WebSocket. Audio is not here: binary frames carry 16-bit little-endian PCM, mono, at start.media.sampleRate, both ways. Validate what a bot sends against #/$defs/BotToBridge and what it receives against #/$defs/BridgeToBot.',
    anyOf: [{ $ref: '#/$defs/BotToBridge' }, { $ref: '#/$defs/BridgeToBot' }],
    $defs: {
      BotToBridge: { description: 'A text frame from the bot.', ...bot.root },
      BridgeToBot: { description: 'A text frame from the bridge.', ...bridge.root },
      ...bot.defs,
      ...bridge.defs,
    },
  };
}

/** Flattens intersections and mapped types into plain object types, member by member, so identical shapes compare equal. */
type Plain<T> = T extends object ? { [K in keyof T]: Plain<T[K]> } : T;
/** True only when A and B are the same type (an optional field on one side only counts as a difference). */
type Same<A, B> = (<T>() => T extends Plain<A> ? 1 : 2) extends <T>() => T extends Plain<B> ? 1 : 2 ? true : false;
/**
 * Drift check: a field added to (or changed in) native.ts's types without the same change here, or the other
 * way round, fails to compile on this line.
 */
const typesMatchSchemas: [Same<z.output<typeof botCommandSchema>, BotCommand>, Same<z.output<typeof bridgeEventSchema>, BridgeEvent>] = [true, true];
void typesMatchSchemas;
