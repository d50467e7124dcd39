/** The OpenAPI shapes of live calls (GET /v1/calls, GET /v1/calls/{id}) and of the event stream (GET /v1/events). */

type Json = Record<string, unknown>;

const num = (description: string): Json => ({ type: 'number', description });

/** A live call as GET /v1/calls lists it (calls/call.ts LiveCallInfo). */
export const LIVE_CALL_SCHEMA: Json = {
  type: 'object',
  required: ['callId', 'sipCallId', 'state', 'direction', 'durationSec', 'media'],
  properties: {
    callId: { type: 'string' },
    sipCallId: { type: 'string' },
    state: { type: 'string', enum: ['answered', 'bridged'] },
    direction: { type: 'string', enum: ['inbound', 'outbound'] },
    trunk: { type: 'string' },
    bot: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    codec: { type: 'string' },
    answeredAt: { type: 'string', format: 'date-time' },
    durationSec: num('seconds since the answer, one decimal'),
    media: {
      type: 'object',
      description: "the caller's leg's RTP figures so far",
      properties: {
        packetsReceived: { type: 'integer' },
        packetsSent: { type: 'integer' },
        bytesReceived: { type: 'integer' },
        bytesSent: { type: 'integer' },
        packetsLost: { type: 'integer' },
        lossPercent: num('lost / expected, percent'),
        jitterMs: num('interarrival jitter, ms (once RTP arrived)'),
        rttMs: num('round trip from RTCP, ms (once the caller sent RTCP)'),
        mos: num('MOS estimate 1..4.5 (once RTP arrived)'),
      },
    },
    levels: {
      type: 'object',
      description: "audio levels on the caller's leg, dBFS: RMS of the last ~300 ms (a full-scale sine is -3.0; -96 is silence or no audio)",
      required: ['callerToBot', 'botToCaller'],
      properties: { callerToBot: num('what the caller says, as the bot hears it'), botToCaller: num('what the caller hears') },
    },
  },
};

/** GET /v1/events, in the document's paths. */
export function eventStreamPath(security: unknown): Json {
  return {
    get: {
      summary:
        'live events as server-sent events (text/event-stream): `snapshot` ({ calls: [LiveCall], registrations: [{ name, state, node? }] }) first, then `call.started` (LiveCall), `call.updated` (LiveCall, each live call about once a second), `call.ended` ({ callId, reason, durationSec }), `registration` ({ name, state, node? }). With a shared store (a cluster) calls are those of every node, each with its `node`; calls of other nodes carry no media figures; a `: heartbeat` comment every 15 s. A client reading too slowly is dropped. Role read',
      security,
      responses: {
        200: { description: 'the event stream', content: { 'text/event-stream': { schema: { type: 'string' } } } },
        401: { description: 'no or an unknown API key' },
        429: { description: 'events-busy: as many stream clients as the bridge serves are connected' },
      },
    },
  };
}
