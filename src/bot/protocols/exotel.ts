/**
 * Exotel's Voicebot applet (bidirectional stream), as Exotel documents its WebSocket messages and as Pipecat's
 * `ExotelFrameSerializer` and runner read them. Text JSON frames only, raw 16-bit little-endian PCM in base64:
 *
 * - to the bot: `connected`, then `start` with the top-level `stream_sid` and `start.stream_sid`/`call_sid`/
 *   `account_sid` (all three: how Pipecat's runner recognises Exotel), `from`, `to`, `custom_parameters` and
 *   `media_format` (`audio/x-raw`, `sample_rate` and `bit_rate` as strings) at the bot's `sampleRate` (8, 16
 *   or 24 kHz). Then `media` (one 20 ms frame each, `chunk`/`timestamp` strings), `dtmf`, `mark` and `stop`;
 *   one string `sequence_number` counter across them, rising by 1.
 * - from the bot: `media` of any size (Exotel asks its bots for multiples of 3,200 bytes and Pipecat sends
 *   640; the bridge's playout queue re-frames whatever comes, a sample split across messages included), `mark`
 *   (echoed once the audio before it has played, at once when nothing is queued), `clear` (drops the queue;
 *   marks not yet reached are dropped with it, never echoed). Neither needs `stream_sid`. Other events are
 *   ignored; the bot hangs up by closing its socket.
 *
 * `call_sid` carries the trunkbridge call id's digits, `account_sid` is stable per bot, `stream_sid` random.
 */
import type { BotInput, Dialect, DialectCodec, DialectContext, WireFrame } from './dialect.js';
import { fromBase64 } from './g711.js';
import { L16Joiner, MarkTokens, invalidInput, objectAt } from './l16-wire.js';
import type { BridgeEvent, StartMessage } from './native.js';
import { MAX_MARK_NAME, SequenceCounter, botDigest, customParameters, hex32, ignoredEvent, msOf, parseEventFrame } from './stream-events.js';

/** The identifiers of one stream, as Exotel shapes them (32 hex digits). */
export interface ExotelSids {
  streamSid: string;
  callSid: string;
  accountSid: string;
}

/** A random stream SID, the call id's digits as call SID, an account SID from the bot's name. */
export function exotelSids(ctx: Pick<DialectContext, 'callId' | 'botName' | 'randomBytes'>): ExotelSids {
  return {
    streamSid: ctx.randomBytes(16).toString('hex'),
    callSid: hex32(ctx.callId),
    accountSid: botDigest(ctx.botName).slice(0, 32),
  };
}

/** Exotel's `stop.reason`: `callended` when the caller hung up, `stopped` for any other end of the stream. */
function stopReason(reason: string): string {
  return reason === 'caller-hangup' ? 'callended' : 'stopped';
}

/** The Exotel dialect: the bot's own rate (no fixed one). */
export const exotelDialect: Dialect = {
  name: 'exotel',
  continuousAudio: true,
  open: (ctx) => new ExotelCodec(ctx),
};

class ExotelCodec implements DialectCodec {
  private readonly sids: ExotelSids;
  private readonly seq = new SequenceCounter();
  private readonly marks = new MarkTokens<string>();
  private readonly joiner = new L16Joiner();
  private started = false;
  private chunk = 0;
  private samples = 0;

  constructor(private readonly ctx: DialectContext) {
    this.sids = exotelSids(ctx);
  }

  handshake(start: StartMessage): WireFrame[] {
    if (this.started) return [];
    this.started = true;
    const { streamSid, callSid, accountSid } = this.sids;
    const rate = this.ctx.sampleRate;
    return [
      JSON.stringify({ event: 'connected' }),
      JSON.stringify({
        event: 'start',
        sequence_number: this.seq.next(),
        stream_sid: streamSid,
        start: {
          stream_sid: streamSid,
          call_sid: callSid,
          account_sid: accountSid,
          from: start.from,
          to: start.to,
          custom_parameters: customParameters(start.headers, this.ctx.parameters),
          media_format: { encoding: 'audio/x-raw', sample_rate: String(rate), bit_rate: `${(rate * 16) / 1000}kbps` },
        },
      }),
    ];
  }

  callerAudio(pcm: Buffer): WireFrame[] {
    if (!this.started) return [];
    const timestamp = msOf(this.samples, this.ctx.sampleRate);
    this.samples += pcm.length >> 1;
    return [
      JSON.stringify({
        event: 'media',
        sequence_number: this.seq.next(),
        stream_sid: this.sids.streamSid,
        media: { chunk: String(++this.chunk), timestamp: String(timestamp), payload: pcm.toString('base64') },
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
            sequence_number: this.seq.next(),
            stream_sid: this.sids.streamSid,
            dtmf: { digit: e.digit, duration: String(e.durationMs) },
          }),
        ];
      case 'mark': {
        const name = this.marks.reached(e.name);
        return name === undefined
          ? []
          : [JSON.stringify({ event: 'mark', sequence_number: this.seq.next(), stream_sid: this.sids.streamSid, mark: { name } })];
      }
      case 'cleared':
        // Exotel drops the marks with the audio and answers a clear with nothing.
        this.marks.drain();
        return [];
      default:
        return [];
    }
  }

  stop(reason: string): WireFrame[] {
    if (!this.started) return [];
    const { streamSid, callSid, accountSid } = this.sids;
    return [
      JSON.stringify({
        event: 'stop',
        sequence_number: this.seq.next(),
        stream_sid: streamSid,
        stop: { call_sid: callSid, account_sid: accountSid, reason: stopReason(reason) },
      }),
    ];
  }

  receive(frame: WireFrame): BotInput[] {
    const parsed = parseEventFrame(frame);
    if ('input' in parsed) return [parsed.input];
    switch (parsed.event) {
      case 'media': {
        const payload = objectAt(parsed.msg, 'media')?.payload;
        if (typeof payload !== 'string') return [invalidInput('"media" needs a string "media.payload"')];
        const bytes = fromBase64(payload);
        return bytes ? this.joiner.take(bytes) : [invalidInput('"media.payload" is not base64')];
      }
      case 'mark': {
        const name = objectAt(parsed.msg, 'mark')?.name;
        if (typeof name !== 'string') return [invalidInput('"mark" needs a string "mark.name"')];
        if (name.length > MAX_MARK_NAME) return [invalidInput(`"mark.name" longer than ${MAX_MARK_NAME} characters`)];
        return [{ kind: 'command', command: { type: 'mark', name: this.marks.add(name) } }];
      }
      case 'clear':
        return [{ kind: 'command', command: { type: 'clear' } }];
      default:
        return ignoredEvent(parsed.event);
    }
  }
}
