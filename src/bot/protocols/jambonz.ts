/**
 * jambonz's `listen` verb with streaming bidirectional audio (`bidirectionalAudio: {enabled, streaming}`), as
 * jambonz documents it: WebSocket subprotocol `audio.jambonz.org`, binary frames of L16 (16-bit little-endian
 * PCM, mono) at the bot's `sampleRate` in both directions, JSON text frames for the rest:
 *
 * - to the bot: one metadata text frame first (`sampleRate`, `mixType`, then the call attributes jambonz sends
 *   on its webhooks: `callSid`, `direction`, `from`, `to`, `callId`, ..., then the custom metadata: the INVITE's
 *   X- headers and the bot's `parameters`, merged at the top level as jambonz merges `listen.metadata`), then
 *   caller audio, one 20 ms frame per binary message, `{"event":"dtmf","dtmf":"5","duration":"1600"}` (duration
 *   in RTP timestamp units, as jambonz reports it) and `{"type":"mark","data":{"name":…,"event":"playout"|"cleared"}}`.
 * - from the bot: binary audio of any size, `{"type":"killAudio"}` (drops the queue; every pending mark comes
 *   back with `"event":"cleared"`), `{"type":"mark","data":{"name":…}}` (back with `"event":"playout"` once the
 *   audio before it has played, even when no audio follows it), `{"type":"clearMarks"}` (pending marks are
 *   forgotten, never sent back), `{"type":"disconnect"}` (ends the call, as does closing the socket). Other
 *   messages are ignored. jambonz sends nothing at the end of a call: the socket closes.
 *
 * `callSid` is the trunkbridge call id, `callId` the SIP Call-ID; `accountSid`/`applicationSid` are stable per bot.
 */
import type { BotInput, Dialect, DialectCodec, DialectContext, WireFrame } from './dialect.js';
import { L16Joiner, MarkTokens, invalidInput, jsonObjectFrame, objectAt } from './l16-wire.js';
import type { BridgeEvent, StartMessage } from './native.js';
import { MAX_MARK_NAME, botDigest, customParameters, uuidOf } from './stream-events.js';
import { describeValue } from './describe.js';

/** The subprotocol jambonz's `listen` connects with. */
export const JAMBONZ_SUBPROTOCOL = 'audio.jambonz.org';

/** jambonz reports a DTMF duration in RTP timestamp units of its 8 kHz telephone-event clock. */
const DTMF_CLOCK_PER_MS = 8;

/** The jambonz dialect: the bot's own rate. */
export const jambonzDialect: Dialect = {
  name: 'jambonz',
  subprotocol: JAMBONZ_SUBPROTOCOL,
  continuousAudio: true,
  open: (ctx) => new JambonzCodec(ctx),
};

/** The metadata text frame, in jambonz's order: stream format, call attributes, custom metadata. */
export function jambonzMetadata(ctx: Pick<DialectContext, 'botName' | 'sampleRate' | 'parameters'>, start: StartMessage): Record<string, unknown> {
  const digest = Buffer.from(botDigest(ctx.botName), 'hex');
  return {
    sampleRate: ctx.sampleRate,
    mixType: 'mono',
    callSid: start.callId,
    direction: start.direction,
    from: start.from,
    to: start.to,
    callId: start.sipCallId,
    sipStatus: 200,
    sipReason: 'OK',
    callStatus: 'in-progress',
    accountSid: uuidOf(digest.subarray(0, 16)),
    applicationSid: uuidOf(digest.subarray(16, 32)),
    ...customParameters(start.headers, ctx.parameters),
  };
}

class JambonzCodec implements DialectCodec {
  private readonly marks = new MarkTokens<string>();
  private readonly joiner = new L16Joiner();
  private started = false;

  constructor(private readonly ctx: DialectContext) {}

  handshake(start: StartMessage): WireFrame[] {
    if (this.started) return [];
    this.started = true;
    return [JSON.stringify(jambonzMetadata(this.ctx, start))];
  }

  callerAudio(pcm: Buffer): WireFrame[] {
    return this.started ? [pcm] : [];
  }

  event(e: BridgeEvent): WireFrame[] {
    if (!this.started) return [];
    switch (e.type) {
      case 'dtmf':
        return [JSON.stringify({ event: 'dtmf', dtmf: e.digit, duration: String(e.durationMs * DTMF_CLOCK_PER_MS) })];
      case 'mark': {
        const name = this.marks.reached(e.name);
        return name === undefined ? [] : [markFrame(name, 'playout')];
      }
      case 'cleared':
        return this.marks.drain().map((name) => markFrame(name, 'cleared'));
      default:
        return [];
    }
  }

  stop(): WireFrame[] {
    return [];
  }

  receive(frame: WireFrame): BotInput[] {
    if (Buffer.isBuffer(frame)) return this.joiner.take(frame);
    const parsed = jsonObjectFrame(frame);
    if ('input' in parsed) return [parsed.input];
    const { type } = parsed.msg;
    switch (type) {
      case 'killAudio':
        return [{ kind: 'command', command: { type: 'clear' } }];
      case 'mark': {
        const name = objectAt(parsed.msg, 'data')?.name;
        if (typeof name !== 'string') return [invalidInput('"mark" needs a string "data.name"')];
        if (name.length > MAX_MARK_NAME) return [invalidInput(`"data.name" longer than ${MAX_MARK_NAME} characters`)];
        return [{ kind: 'command', command: { type: 'mark', name: this.marks.add(name) } }];
      }
      case 'clearMarks':
        // The audio router still reaches their tokens; unknown by then, they are answered with nothing.
        this.marks.drain();
        return [];
      case 'disconnect':
        return [{ kind: 'command', command: { type: 'hangup' } }];
      default:
        return [{ kind: 'ignored', what: `type ${describeValue(type)}` }];
    }
  }
}

function markFrame(name: string, event: 'playout' | 'cleared'): string {
  return JSON.stringify({ type: 'mark', data: { name, event } });
}
