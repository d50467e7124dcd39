/**
 * The call detail record (CDR) and the webhook event envelope as zod schemas: the source of
 * `schema/call-records.schema.json`, which the tests keep equal to what these generate
 * (`UPDATE_SCHEMA=1 npx vitest run test/unit/records/call-record-schema.test.ts` rewrites it) and validate every
 * record the builder makes against. Objects are closed: a new field is a schema change.
 */
import { z } from 'zod';

/** ISO 8601 UTC time with milliseconds, as `Date.prototype.toISOString` writes it. */
const isoTime = (what: string) => z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/).describe(what);
const count = z.number().int().min(0);

const streamQuality = z
  .strictObject({
    packets: count.describe('RTP packets in this direction (received by us, or sent by us).'),
    packetsLost: count.nullable().describe('Expected - received (RFC 3550 A.3); for what we sent, as the far end last reported it (null: no report).'),
    jitterMs: z.number().min(0).nullable().describe('Interarrival jitter (RFC 3550 A.8), ms; for what we sent, as the far end reported it.'),
    mos: z.number().min(1).max(4.5).nullable().describe('MOS estimate from loss, jitter and RTT (ITU-T G.107 E-model, simplified); null without figures.'),
  })
  .meta({ id: 'StreamQuality', description: 'One direction of the call\'s RTP.' });

const quality = z
  .strictObject({
    received: streamQuality.describe('The far end\'s RTP as we received it.'),
    sent: streamQuality.describe('Our RTP as the far end received it (its RTCP receiver reports).'),
    rttMs: z.number().min(0).nullable().describe('Round-trip time from RTCP (null: the far end sent no report on our stream).'),
  })
  .meta({ id: 'CallQualityRecord', description: 'Media quality both ways, for the caller\'s (inbound) or callee\'s (outbound) leg.' });

export const TRANSFER_RESULTS = ['completed', 'answered', 'failed'] as const;

const transfer = z
  .strictObject({
    to: z.string().describe('What was asked: a destination name, number, sip: URI or ext:.'),
    target: z.string().nullable().describe('What was dialled or referred to (E.164 or URI); null when refused before.'),
    method: z.enum(['refer', 'bridge']).nullable().describe('null when refused before a method was chosen.'),
    result: z.enum(TRANSFER_RESULTS).describe('completed (REFER), answered (bridge), failed.'),
    sipStatus: z.number().int().nullable(),
    reason: z.string().nullable().describe('A failure reason (README "Failure reasons"), null on success.'),
    startedAt: isoTime('When the transfer began (or was refused).'),
    endedAt: isoTime('Its final outcome.'),
  })
  .meta({ id: 'TransferRecord', description: 'One transfer of the call.' });

const pausedSpan = z
  .strictObject({ startMs: count.describe('ms from the start of the file.'), endMs: count })
  .meta({ id: 'PausedSpan', description: 'A span of the recording that was paused (silence in the file).' });

const recording = z
  .strictObject({ file: z.string(), pausedSpans: z.array(pausedSpan) })
  .meta({ id: 'RecordingRecord', description: 'The call\'s recording, once its file is complete.' });

export const ENDED_BY = ['caller', 'callee', 'bot', 'api', 'bridge', 'transfer'] as const;

export const callRecordSchema = z
  .strictObject({
    version: z.literal(1),
    callId: z.string().describe('trunkbridge call id (UUID), as the bot and the API know it.'),
    sipCallId: z.string().describe('SIP Call-ID of the caller\'s (inbound) or callee\'s (outbound) dialog.'),
    direction: z.enum(['inbound', 'outbound']),
    trunk: z.string().nullable().describe('Inbound or outbound trunk name; null when refused before routing.'),
    bot: z.string().nullable().describe('Bot name; null in pstn mode or when refused before routing.'),
    from: z.string().describe('Calling number: the From user as signalled (E.164 when the caller sent it so), or our caller ID.'),
    to: z.string().describe('Called number: as routed (E.164 with the trunk country), else the To user as signalled.'),
    invitedAt: isoTime('INVITE received (inbound) or sent (outbound).'),
    answeredAt: isoTime('Answered (our 200 OK acknowledged, or the callee\'s 200).').nullable(),
    endedAt: isoTime('Ended or refused.'),
    durationSec: z.number().min(0).describe('answeredAt to endedAt, s (0 when not answered).'),
    endReason: z.string().describe('An end reason for answered calls, a failure reason for refused ones (README "Failure reasons").'),
    endedBy: z.enum(ENDED_BY).describe('Who ended it: caller, callee, bot, api (HTTP), bridge (timeouts, errors, refusals, shutdown), transfer.'),
    sipStatus: z.number().int().describe('Final status of the INVITE: 200 when answered.'),
    codec: z.string().nullable().describe('RTP codec (SDP name) the call was answered with.'),
    transfers: z.array(transfer),
    quality: quality.nullable().describe('null for calls never answered.'),
    recording: recording.nullable(),
  })
  .meta({ id: 'CallRecord', description: 'One call, written once when it ends (a JSON line; the data of call.ended).' });

export type CallRecord = z.output<typeof callRecordSchema>;
export type TransferRecord = CallRecord['transfers'][number];
export type RecordingInfo = NonNullable<CallRecord['recording']>;
export type StreamQuality = z.output<typeof streamQuality>;

export const WEBHOOK_EVENT_TYPES = ['call.started', 'call.answered', 'call.ended', 'call.transfer', 'recording.ready'] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

const callFacts = z.strictObject({
  sipCallId: z.string(),
  direction: z.enum(['inbound', 'outbound']),
  trunk: z.string().nullable(),
  bot: z.string().nullable(),
  from: z.string(),
  to: z.string(),
  invitedAt: isoTime('INVITE received or sent.'),
});

const envelope = <T extends WebhookEventType, D extends z.ZodType>(type: T, data: D, description: string) =>
  z
    .strictObject({
      id: z.string().describe('Idempotency id: the same on every retry of this event (also the Trunkbridge-Event-Id header).'),
      type: z.literal(type),
      createdAt: isoTime('When the event happened.'),
      callId: z.string(),
      data,
    })
    .describe(description);

export const webhookEventSchema = z
  .discriminatedUnion('type', [
    envelope('call.started', callFacts, 'A call was routed (inbound) or placed (outbound).'),
    envelope('call.answered', callFacts.extend({ answeredAt: isoTime('Answered.'), codec: z.string() }), 'The call was answered.'),
    envelope('call.ended', callRecordSchema, 'The call ended or was refused: its record.'),
    envelope('call.transfer', transfer, 'A transfer reached its outcome.'),
    envelope('recording.ready', recording, 'The call\'s recording file is complete.'),
  ])
  .meta({ id: 'WebhookEvent', description: 'The JSON body of one webhook POST.' });

export type WebhookEvent = z.output<typeof webhookEventSchema>;

/** Both as one JSON Schema document (2020-12): `$defs.CallRecord` (a CDR line) and `$defs.WebhookEvent`. */
export function callRecordsJsonSchema(): Record<string, unknown> {
  const { $schema: _drop, $defs = {}, ...root } = z.toJSONSchema(z.union([callRecordSchema, webhookEventSchema]), { io: 'output', unrepresentable: 'throw' }) as Record<string, unknown> & { $defs?: Record<string, unknown> };
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: 'urn:trunkbridge:call-records:v1',
    title: 'trunkbridge call records and webhook events',
    description: 'A line of a CDR file validates against #/$defs/CallRecord; a webhook body against #/$defs/WebhookEvent.',
    ...root,
    $defs,
  };
}
