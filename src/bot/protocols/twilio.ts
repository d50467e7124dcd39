/**
 * Twilio Media Streams, bidirectional (`<Connect><Stream>`), as Twilio documents it ("Media Streams - WebSocket
 * Messages") and as Pipecat's `TwilioFrameSerializer` and runner read it. Text JSON frames only:
 *
 * - to the bot: `connected` (`protocol`, `version`) first, `start` second (Pipecat's runner reads exactly these
 *   two; legacy bots skip the first unread and take the second as `start`), then `media` (base64 μ-law 8 kHz,
 *   one 20 ms frame each, `track`/`chunk`/`timestamp` as strings), `dtmf`, `mark` and finally `stop`. Every
 *   event but `connected` carries the one string `sequenceNumber` counter and `streamSid`.
 * - from the bot: `media` (μ-law of any length), `mark` (echoed once the audio before it has played, at once
 *   when nothing is queued), `clear` (drops the queue, then every pending mark comes back). Other events are
 *   ignored. The bot hangs up by closing its socket.
 *
 * `streamSid`/`callSid`/`accountSid` are shaped like Twilio's (MZ/CA/AC + 32 hex): the call SID carries the
 * trunkbridge call id's digits, the account SID is the configured one (`bots.<name>.twilio.accountSid`, what the
 * REST shim authenticates) or else stable per bot. `customParameters` holds the INVITE's X-
 * headers, the bot's `parameters`, and `from_number`/`to_number` (Pipecat promotes these two to the call's
 * from/to).
 */
import type { BotInput, Dialect, DialectCodec, DialectContext, WireFrame } from './dialect.js';
import { encodeG711 } from './g711.js';
import type { BridgeEvent, StartMessage } from './native.js';
import {
  PendingMarks,
  SequenceCounter,
  botDigest,
  customParameters,
  hex32,
  msOf,
  receiveStreamFrame,
} from './stream-events.js';

/** Twilio streams 8 kHz μ-law, whatever the call's codec. */
const RATE = 8000;

/** The identifiers of one stream, as Twilio shapes them. */
export interface TwilioSids {
  streamSid: string;
  callSid: string;
  accountSid: string;
}

/**
 * MZ + random, CA + the call id's digits, and the configured account SID or else AC + a digest of the bot's
 * name. The REST shim (api/twilio-rest.ts) maps a call SID back to the call id by the same rule.
 */
/** The call SID of a call: `CA` + the call id's 32 hex digits (the REST shim reads the id back from it). */
export function twilioCallSid(callId: string): string {
  return `CA${hex32(callId)}`;
}

export function twilioSids(ctx: Pick<DialectContext, 'callId' | 'botName' | 'randomBytes' | 'accountSid'>): TwilioSids {
  return {
    streamSid: `MZ${ctx.randomBytes(16).toString('hex')}`,
    callSid: twilioCallSid(ctx.callId),
    accountSid: ctx.accountSid ?? `AC${botDigest(ctx.botName).slice(0, 32)}`,
  };
}

/** The Twilio dialect. */
export const twilioDialect: Dialect = {
  name: 'twilio',
  sampleRate: RATE,
  continuousAudio: true,
  open: (ctx) => new TwilioCodec(ctx),
};

class TwilioCodec implements DialectCodec {
  private readonly sids: TwilioSids;
  private readonly seq = new SequenceCounter();
  private readonly marks = new PendingMarks();
  private started = false;
  private chunk = 0;
  /** Samples sent so far: the next frame's presentation timestamp. */
  private samples = 0;

  constructor(private readonly ctx: DialectContext) {
    this.sids = twilioSids(ctx);
  }

  handshake(start: StartMessage): WireFrame[] {
    if (this.started) return [];
    this.started = true;
    const { accountSid, streamSid, callSid } = this.sids;
    const params = { ...customParameters(start.headers, this.ctx.parameters), from_number: start.from, to_number: start.to };
    return [
      JSON.stringify({ event: 'connected', protocol: 'Call', version: '1.0.0' }),
      JSON.stringify({
        event: 'start',
        sequenceNumber: this.seq.next(),
        start: {
          accountSid,
          streamSid,
          callSid,
          tracks: ['inbound'],
          mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: RATE, channels: 1 },
          customParameters: params,
        },
        streamSid,
      }),
    ];
  }

  callerAudio(pcm: Buffer): WireFrame[] {
    // Nothing before `start`: a Pipecat bot reads its first two messages as the handshake.
    if (!this.started) return [];
    const timestamp = msOf(this.samples, RATE);
    this.samples += pcm.length >> 1;
    return [
      JSON.stringify({
        event: 'media',
        sequenceNumber: this.seq.next(),
        media: { track: 'inbound', chunk: String(++this.chunk), timestamp: String(timestamp), payload: encodeG711(pcm, 'PCMU').toString('base64') },
        streamSid: this.sids.streamSid,
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
            streamSid: this.sids.streamSid,
            sequenceNumber: this.seq.next(),
            dtmf: { track: 'inbound_track', digit: e.digit },
          }),
        ];
      case 'mark':
        return this.marks.reached(e.name) ? [this.mark(e.name)] : [];
      case 'cleared':
        // Twilio answers a clear only by returning the marks it dropped; `cleared` itself has no frame.
        return this.marks.drain().map((name) => this.mark(name));
      default:
        // error, transfer, answered: Twilio has no such message, and a Pipecat bot must never get one.
        return [];
    }
  }

  stop(): WireFrame[] {
    if (!this.started) return [];
    const { accountSid, callSid, streamSid } = this.sids;
    return [JSON.stringify({ event: 'stop', sequenceNumber: this.seq.next(), stop: { accountSid, callSid }, streamSid })];
  }

  receive(frame: WireFrame): BotInput[] {
    return receiveStreamFrame(frame, this.marks);
  }

  private mark(name: string): string {
    return JSON.stringify({ event: 'mark', sequenceNumber: this.seq.next(), streamSid: this.sids.streamSid, mark: { name } });
  }
}
