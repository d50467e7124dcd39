/**
 * The trunkbridge native bot protocol, "protocol v1", as pure encode/decode functions and as the first
 * {@link Dialect}. Over one WebSocket per call: binary frames carry audio (16-bit little-endian PCM, mono, at
 * the negotiated rate) in both directions; text frames carry JSON — {@link BridgeEvent}s from the bridge and
 * {@link BotCommand}s from the bot. Its messages are also the bridge's own vocabulary: every other dialect
 * maps its frames to and from them.
 */
import { BotProtocolError } from '../../core/errors.js';
import type { BotInput, Dialect, DialectCodec, DialectContext, WireFrame } from './dialect.js';
import { describeValue } from './describe.js';

/** First message of every session: who is calling and the audio format. */
export interface StartMessage {
  type: 'start';
  /** trunkbridge call id (UUID). */
  callId: string;
  /** SIP Call-ID. */
  sipCallId: string;
  from: string;
  to: string;
  trunk: string;
  direction: 'inbound' | 'outbound';
  /** Outbound with early media: sent at 183 Session Progress, before answer; `answered` follows. */
  early?: boolean;
  /**
   * The bot's connection dropped mid-call and this is a new socket for the same call (same ids): audio resumes
   * from now. Never set on a call's first `start`.
   */
  resumed?: boolean;
  /** Custom SIP headers (X-*) passed through to the bot. */
  headers: Record<string, string>;
  media: {
    encoding: 'L16';
    sampleRate: number;
    channels: 1;
    frameMs: number;
    /**
     * Receive jitter buffer delay the bridge adds, ms (0 = none). With the adaptive buffer (the default) the
     * most it may add (the trunk's jitterBufferMaxMs): the delay follows the jitter below that.
     */
    jitterBufferMs?: number;
    /** The call's RTP codec (SDP name), for information. */
    codec?: string;
  };
}

/** Audio quality of the call's RTP from the caller, sent with `stop` (RTCP figures, RFC 3550). */
export interface CallQuality {
  packetsReceived: number;
  /** Expected − received (RFC 3550 A.3), never negative. */
  packetsLost: number;
  /** Interarrival jitter, ms. */
  jitterMs: number;
  /** Round-trip time from the caller's RTCP reports on our stream, ms; absent when it sent none. */
  rttMs?: number;
  /** What the caller last reported about our stream (its RTCP receiver report). */
  remote?: { packetsLost: number; jitterMs: number };
}

/** Bot -> bridge. */
export type BotCommand =
  /** Drop audio queued for playback (barge-in). Answered by `cleared`. */
  | { type: 'clear' }
  /** Echoed back as a `mark` event when playback reaches this point. */
  | { type: 'mark'; name: string }
  /** End the call. */
  | { type: 'hangup'; reason?: string }
  /** Play DTMF keys into the call (RFC 4733 events), each `durationMs` long (default 100). */
  | { type: 'dtmf'; digits: string; durationMs: number }
  /** Hand the caller to a person: a named destination, a number (with `trunk`) or a SIP URI. */
  | TransferCommand
  /** Asks how the bridge's buffers stand; answered by a `status` event. */
  | { type: 'status' }
  /** Starts, pauses, resumes or stops the call's recording (recording: on-demand); answered by `recording`. */
  | RecordCommand;

/** What a `record` command asks of the call's recording. */
export type RecordAction = 'start' | 'pause' | 'resume' | 'stop';

/** Bot -> bridge: control of the call's recording (README "Recording"). Paused spans are silence in the file. */
export interface RecordCommand {
  type: 'record';
  action: RecordAction;
}

/** Bridge -> bot: the recording's state after a `record` command (a refused one is answered by `error`). */
export interface RecordingStateEvent {
  type: 'recording';
  state: 'recording' | 'paused' | 'stopped';
}

/** Bot -> bridge: escalate (see README "Transfers"). */
export interface TransferCommand {
  type: 'transfer';
  /** A transferDestinations name, a number ("+15557654321") or a sip: URI. */
  to: string;
  /** Outbound trunk for a number. */
  trunk?: string;
  /** refer: the carrier connects the caller (REFER); bridge: trunkbridge calls and relays. Default per destination. */
  method?: 'refer' | 'bridge';
  /** bridge: keep sending the bot audio (caller + agent mixed) after the agent answers. */
  listen?: boolean;
}

/** Bridge -> bot: progress and outcome of a transfer. */
export interface TransferEvent {
  type: 'transfer';
  status: 'ringing' | 'answered' | 'completed' | 'failed';
  /** Final SIP status of a failed attempt (486, 480, 603, 408 for no answer...). */
  sipStatus?: number;
  /** Why it failed: "not-allowed", "timeout", "busy-here", "in-progress", ... */
  reason?: string;
}

/** Bridge -> bot: answer to `status`, how the bridge's buffers for this call stand. */
export interface StatusEvent {
  type: 'status';
  /** Bot audio queued for the caller and not played yet, ms. */
  playoutMs: number;
  /** Most bot audio the bridge queues (`maxPlayoutSec`), ms: audio beyond it is refused with `playout-overflow`. */
  maxPlayoutMs: number;
  /** Caller audio frames dropped so far because the bot was not reading its socket fast enough. */
  framesDropped: number;
  /** Bot audio refused so far because the playout queue was full, ms. */
  refusedMs: number;
}

/** Bridge -> bot. */
export type BridgeEvent =
  | StartMessage
  | { type: 'stop'; reason: string; quality?: CallQuality }
  | { type: 'cleared'; playedMs: number; lastMark?: string }
  | { type: 'mark'; name: string }
  /** `code` names errors a bot may act on: "playout-overflow" (its audio was refused, see {@link StatusEvent}). */
  | { type: 'error'; message: string; code?: string }
  | StatusEvent
  /** A key the caller pressed (RFC 4733 telephone-event or SIP INFO), once per press. */
  | { type: 'dtmf'; digit: string; durationMs: number }
  | TransferEvent
  /** An outbound call whose early media the bot was already hearing was answered. */
  | { type: 'answered' }
  | RecordingStateEvent;

/** Longest mark name / hangup reason accepted: both end up in logs. */
const MAX_TEXT = 256;

/**
 * Decodes one text frame from the bot. Unknown extra fields are ignored (forward compatibility);
 * known fields must have the right type.
 * @throws BotProtocolError for bad JSON, an unknown `type`, or a bad field.
 */
export function parseBotCommand(text: string): BotCommand {
  let msg: unknown;
  try {
    msg = JSON.parse(text);
  } catch (err) {
    throw new BotProtocolError(`invalid JSON: ${(err as Error).message}`);
  }
  if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) {
    throw new BotProtocolError('message must be a JSON object');
  }
  const m = msg as Record<string, unknown>;
  switch (m.type) {
    case 'clear':
      return { type: 'clear' };
    case 'mark':
      return { type: 'mark', name: textField(m, 'name', true) as string };
    case 'hangup': {
      const reason = textField(m, 'reason', false);
      return reason === undefined ? { type: 'hangup' } : { type: 'hangup', reason };
    }
    case 'transfer':
      return parseTransfer(m);
    case 'dtmf':
      return parseDtmfCommand(m);
    case 'status':
      return { type: 'status' };
    case 'record':
      if (m.action !== 'start' && m.action !== 'pause' && m.action !== 'resume' && m.action !== 'stop') {
        throw new BotProtocolError('"record" action must be "start", "pause", "resume" or "stop"');
      }
      return { type: 'record', action: m.action };
    case undefined:
      throw new BotProtocolError('message has no "type"');
    default:
      throw new BotProtocolError(`unknown message type ${describeValue(m.type)}`);
  }
}

function parseTransfer(m: Record<string, unknown>): TransferCommand {
  const cmd: TransferCommand = { type: 'transfer', to: textField(m, 'to', true) as string };
  const trunk = textField(m, 'trunk', false);
  if (trunk !== undefined) cmd.trunk = trunk;
  if (m.method !== undefined) {
    if (m.method !== 'refer' && m.method !== 'bridge') throw new BotProtocolError('"transfer" method must be "refer" or "bridge"');
    cmd.method = m.method;
  }
  if (m.listen !== undefined) {
    if (typeof m.listen !== 'boolean') throw new BotProtocolError('"transfer" listen must be a boolean');
    cmd.listen = m.listen;
  }
  return cmd;
}

/** DTMF keys a bot may send: 0-9 * # A-D, at most this many per command. */
const DTMF_KEYS = /^[0-9*#A-Da-d]{1,64}$/;
const DTMF_DEFAULT_MS = 100;
const DTMF_MIN_MS = 40;
const DTMF_MAX_MS = 5000;

function parseDtmfCommand(m: Record<string, unknown>): BotCommand {
  const digits = m.digits;
  if (typeof digits !== 'string' || !DTMF_KEYS.test(digits)) {
    throw new BotProtocolError('"dtmf" needs "digits": 1-64 of 0-9 * # A-D');
  }
  const d = m.durationMs ?? DTMF_DEFAULT_MS;
  if (typeof d !== 'number' || !Number.isInteger(d) || d < DTMF_MIN_MS || d > DTMF_MAX_MS) {
    throw new BotProtocolError(`"dtmf" "durationMs" must be an integer ${DTMF_MIN_MS}..${DTMF_MAX_MS}`);
  }
  return { type: 'dtmf', digits: digits.toUpperCase(), durationMs: d };
}

function textField(m: Record<string, unknown>, key: string, required: boolean): string | undefined {
  const v = m[key];
  if (v === undefined && !required) return undefined;
  if (typeof v !== 'string' || (required && v.length === 0)) {
    throw new BotProtocolError(`"${String(m.type)}" needs a ${required ? 'non-empty ' : ''}string "${key}"`);
  }
  if (v.length > MAX_TEXT) throw new BotProtocolError(`"${key}" longer than ${MAX_TEXT} characters`);
  return v;
}

/** Encodes an event for a text frame. */
export function encodeBridgeEvent(e: BridgeEvent): string {
  return JSON.stringify(e);
}

/**
 * Protocol v1 as a dialect: JSON events and commands as they are, L16 binary audio both ways. `parameters`
 * are added to `start.headers` (configured values win over the INVITE's X- headers of the same name).
 */
export const nativeDialect: Dialect = {
  name: 'native',
  continuousAudio: false,
  open: (ctx) => new NativeCodec(ctx),
};

class NativeCodec implements DialectCodec {
  /** Odd trailing byte of the previous binary message (a sample split across messages), or -1. */
  private carryByte = -1;

  constructor(private readonly ctx: Pick<DialectContext, 'parameters'>) {}

  handshake(start: StartMessage): WireFrame[] {
    const params = this.ctx.parameters;
    if (Object.keys(params).length === 0) return [encodeBridgeEvent(start)];
    return [encodeBridgeEvent({ ...start, headers: { ...start.headers, ...params } })];
  }

  callerAudio(pcm: Buffer): WireFrame[] {
    return [pcm];
  }

  event(e: BridgeEvent): WireFrame[] {
    return [encodeBridgeEvent(e)];
  }

  stop(reason: string, quality?: CallQuality): WireFrame[] {
    return [encodeBridgeEvent(quality ? { type: 'stop', reason, quality } : { type: 'stop', reason })];
  }

  receive(frame: WireFrame): BotInput[] {
    if (Buffer.isBuffer(frame)) return this.audio(frame);
    try {
      return [{ kind: 'command', command: parseBotCommand(frame) }];
    } catch (err) {
      if (!(err instanceof BotProtocolError)) throw err;
      return [
        { kind: 'invalid', error: err },
        { kind: 'reply', frame: encodeBridgeEvent({ type: 'error', message: err.message }) },
      ];
    }
  }

  /** Binary frames may split a sample: the odd byte waits for the next message. */
  private audio(buf: Buffer): BotInput[] {
    let pcm = buf;
    if (this.carryByte >= 0) {
      pcm = Buffer.allocUnsafe(buf.length + 1);
      pcm[0] = this.carryByte;
      buf.copy(pcm, 1);
      this.carryByte = -1;
    }
    if (pcm.length % 2 === 1) {
      this.carryByte = pcm[pcm.length - 1];
      pcm = pcm.subarray(0, pcm.length - 1);
    }
    return pcm.length > 0 ? [{ kind: 'audio', pcm }] : [];
  }
}
