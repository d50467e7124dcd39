/**
 * Telnyx media streaming over WebSocket (bidirectional RTP mode), as Telnyx documents it ("Stream call media
 * over WebSocket") and as Pipecat's `TelnyxFrameSerializer` and runner read it. Text JSON frames only:
 *
 * - to the bot: `connected` (`version`), then `start` with the top-level `stream_id` and `start.call_control_id`
 *   (how Pipecat's runner recognises Telnyx), `start.from`/`to`, `start.custom_parameters` and
 *   `start.media_format` (`encoding` exactly `PCMU` or `PCMA`, per the bot's `encoding`, default PCMU, whatever
 *   the call's codec; 8000; 1). Then `media` (base64 G.711 in that law, 20 ms each, `track`/`chunk`/`timestamp`
 *   strings), `dtmf`, `mark`, `stop`; one string `sequence_number` counter across them.
 * - from the bot: `media` (PCMU, any length: Telnyx's default bidirectional codec, and what Pipecat's runner
 *   always sends), `mark` (echoed once the audio before it has played, at once when nothing is queued),
 *   `clear` (drops the queue and returns the pending marks). Neither needs `stream_id`. Other events are
 *   ignored; the bot hangs up by closing its socket.
 *
 * `call_session_id` is the trunkbridge call id; `call_control_id` carries it too ("v3:" + its bytes, base64url);
 * `user_id` is stable per bot.
 */
import type { BotInput, Dialect, DialectCodec, DialectContext, WireFrame } from './dialect.js';
import { encodeG711, type G711Law } from './g711.js';
import type { BridgeEvent, StartMessage } from './native.js';
import {
  PendingMarks,
  SequenceCounter,
  botDigest,
  customParameters,
  hex32,
  msOf,
  receiveStreamFrame,
  uuidOf,
} from './stream-events.js';

/** Telnyx's G.711 streams are 8 kHz. */
const RATE = 8000;

/** The identifiers of one stream, as Telnyx shapes them. */
export interface TelnyxIds {
  streamId: string;
  callControlId: string;
  callSessionId: string;
  userId: string;
}

/** A random stream id; the call id's digits in the call ids; the user id from the bot's name. */
export function telnyxIds(ctx: Pick<DialectContext, 'callId' | 'botName' | 'randomBytes'>): TelnyxIds {
  const callHex = hex32(ctx.callId);
  return {
    streamId: uuidOf(ctx.randomBytes(16)).toUpperCase(),
    callControlId: `v3:${Buffer.from(callHex, 'hex').toString('base64url')}`,
    callSessionId: uuidOf(Buffer.from(callHex, 'hex')),
    userId: uuidOf(Buffer.from(botDigest(ctx.botName), 'hex')),
  };
}

/** The Telnyx dialect. */
export const telnyxDialect: Dialect = {
  name: 'telnyx',
  sampleRate: RATE,
  continuousAudio: true,
  open: (ctx) => new TelnyxCodec(ctx),
};

class TelnyxCodec implements DialectCodec {
  private readonly ids: TelnyxIds;
  private readonly law: G711Law;
  private readonly seq = new SequenceCounter();
  private readonly marks = new PendingMarks();
  private started = false;
  private chunk = 0;
  private samples = 0;

  constructor(private readonly ctx: DialectContext) {
    this.ids = telnyxIds(ctx);
    this.law = ctx.encoding ?? 'PCMU';
  }

  handshake(start: StartMessage): WireFrame[] {
    if (this.started) return [];
    this.started = true;
    const { streamId, userId, callControlId, callSessionId } = this.ids;
    return [
      JSON.stringify({ event: 'connected', version: '1.0.0' }),
      JSON.stringify({
        event: 'start',
        sequence_number: this.seq.next(),
        stream_id: streamId,
        start: {
          user_id: userId,
          call_control_id: callControlId,
          call_session_id: callSessionId,
          from: start.from,
          to: start.to,
          custom_parameters: customParameters(start.headers, this.ctx.parameters),
          media_format: { encoding: this.law, sample_rate: RATE, channels: 1 },
        },
      }),
    ];
  }

  callerAudio(pcm: Buffer): WireFrame[] {
    if (!this.started) return [];
    const timestamp = msOf(this.samples, RATE);
    this.samples += pcm.length >> 1;
    return [
      JSON.stringify({
        event: 'media',
        sequence_number: this.seq.next(),
        media: { track: 'inbound', chunk: String(++this.chunk), timestamp: String(timestamp), payload: encodeG711(pcm, this.law).toString('base64') },
        stream_id: this.ids.streamId,
      }),
    ];
  }

  event(e: BridgeEvent): WireFrame[] {
    if (!this.started) return [];
    switch (e.type) {
      case 'dtmf':
        return [
          JSON.stringify({
            event: 'dtmf',
            stream_id: this.ids.streamId,
            occurred_at: new Date(this.ctx.wallClock()).toISOString(),
            sequence_number: this.seq.next(),
            dtmf: { digit: e.digit },
          }),
        ];
      case 'mark':
        return this.marks.reached(e.name) ? [this.mark(e.name)] : [];
      case 'cleared':
        return this.marks.drain().map((name) => this.mark(name));
      default:
        return [];
    }
  }

  stop(): WireFrame[] {
    if (!this.started) return [];
    const { userId, callControlId, streamId } = this.ids;
    return [JSON.stringify({ event: 'stop', sequence_number: this.seq.next(), stop: { user_id: userId, call_control_id: callControlId }, stream_id: streamId })];
  }

  receive(frame: WireFrame): BotInput[] {
    return receiveStreamFrame(frame, this.marks);
  }

  private mark(name: string): string {
    return JSON.stringify({ event: 'mark', sequence_number: this.seq.next(), stream_id: this.ids.streamId, mark: { name } });
  }
}
