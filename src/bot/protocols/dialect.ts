/**
 * The one wire-protocol interface every bot dialect implements (native protocol v1, Twilio Media Streams,
 * Telnyx, ...). A dialect is pure framing: it turns the bridge's side of a call (the protocol v1 vocabulary:
 * {@link StartMessage}, caller L16 frames, {@link BridgeEvent}s) into frames on the bot's socket, and the bot's
 * frames back into L16 audio and {@link BotCommand}s. It never touches a socket, a timer or the media path;
 * {@link WebSocketBotSession} moves the frames, and the engine's audio router acts on `clear` and `mark`.
 *
 * Per connection a dialect keeps only what its wire format needs (sequence numbers, stream ids, the marks the
 * bot is still waiting for), in the {@link DialectCodec} that {@link Dialect.open} returns.
 */
import type { BotProtocolError } from '../../core/errors.js';
import type { BotCommand, BridgeEvent, CallQuality, StartMessage } from './native.js';

/** One WebSocket message: a string is a text frame, a Buffer a binary frame. */
export type WireFrame = string | Buffer;

/** What one frame from the bot means to the bridge, in the order the session must act on it. */
export type BotInput =
  /** Bot audio: L16 little-endian at the session's sample rate, even length. */
  | { kind: 'audio'; pcm: Buffer }
  /** A command in the bridge's vocabulary (`clear` and `mark` go to the audio router, the rest to call control). */
  | { kind: 'command'; command: BotCommand }
  /** A frame to send straight back to the bot (native answers a bad message with an `error` event). */
  | { kind: 'reply'; frame: WireFrame }
  /** The bot broke the dialect's rules: counted and logged (warn); the call goes on. */
  | { kind: 'invalid'; error: BotProtocolError }
  /** A well-formed frame the bridge has no use for (an unknown event): logged at debug, never answered. */
  | { kind: 'ignored'; what: string };

/** Everything a dialect may know about the call it frames, fixed when the socket opens. */
export interface DialectContext {
  /** trunkbridge call id (a UUID in production). */
  callId: string;
  /** The configured bot's name (dialects derive stable account-like identifiers from it). */
  botName: string;
  /** Rate of the L16 audio exchanged with the media path, Hz. */
  sampleRate: number;
  /** `bots.<name>.parameters`: reach the bot in the dialect's custom-parameter field. */
  parameters: Readonly<Record<string, string>>;
  /** Telnyx: the G.711 law of the caller audio sent to the bot (default PCMU). */
  encoding?: 'PCMU' | 'PCMA';
  /**
   * Twilio: the configured account SID (`bots.<name>.twilio.accountSid`), shown in `start` so that the bot posts
   * it back to the bridge's REST shim; absent, the dialect derives one from the bot's name.
   */
  accountSid?: string;
  /** Random bytes for per-connection identifiers (stream ids); tests pass a fixed source. */
  randomBytes(n: number): Buffer;
  /** Wall-clock milliseconds since the epoch, for the dialects whose events carry a date. */
  wallClock(): number;
}

/** One connection's encoder/decoder pair and its small state. Methods never throw on bot input. */
export interface DialectCodec {
  /** The opening frames, in order, built from the call description (sent once, before any audio). */
  handshake(start: StartMessage): WireFrame[];
  /** One frame of caller audio (L16 at the context's rate, `frameMs` long) as frames for the socket. */
  callerAudio(pcm: Buffer): WireFrame[];
  /** A bridge event as this dialect's frames; none when the dialect has no such frame. */
  event(e: BridgeEvent): WireFrame[];
  /** The closing frames when the bridge ends the call (the socket is closed right after). */
  stop(reason: string, quality?: CallQuality): WireFrame[];
  /** Decodes one frame from the bot. */
  receive(frame: WireFrame): BotInput[];
}

/** A bot dialect: its static facts and a factory for per-connection codecs. */
export interface Dialect {
  /** The name used in `bots.<name>.protocol`. */
  readonly name: string;
  /** WebSocket subprotocol offered on the upgrade, if the dialect has one. */
  readonly subprotocol?: string;
  /** The L16 rate the dialect's audio needs (G.711 dialects: 8000); undefined: the bot's configured rate. */
  readonly sampleRate?: number;
  /**
   * True when the bot expects caller audio without gaps from the start (silence while the caller sends none),
   * as telephony providers stream it; the session then paces silence into the gaps.
   */
  readonly continuousAudio: boolean;
  /** State and codec for one connection. */
  open(ctx: DialectContext): DialectCodec;
}
