/**
 * The media port of call control. A call's media — its RTP legs and its bot's socket — lives in an engine
 * (in this process, or in a worker thread); call control only opens legs, says where audio goes
 * ({@link AudioRoutes}) and drives control (start, DTMF, re-INVITE changes, end). Audio never reaches this layer,
 * so an engine can run it on another thread. `engine/` implements this port; app.ts wires it.
 */
import type { BotCloseInfo, BotCommand, BotLinkEvent, BotTarget, BridgeEvent, CallQuality, RecordAction, StartMessage, StartOptions } from '../bot/index.js';
import type { Logger } from '../core/logger.js';
import type { AudioLevels, MediaQuality, MediaSessionOptions, MediaSessionStats, CodecSwitch, DtmfPress, RtcpInput } from '../media/index.js';
import type { MediaDirection } from '../sdp/index.js';

/** What a leg's media is built from: the session options less what the engine owns (clock, socket, hold). */
export type LegMediaOptions = Omit<MediaSessionOptions, 'clock' | 'socket' | 'held' | 'onSendLatency' | 'onReceiveLatency' | 'onClearedOnWire'>;

/** Events of a leg that call control acts on (audio frames and marks stay in the engine). */
export interface CallMediaEvents {
  /** A DTMF key press received as RFC 4733 telephone-event, once per press. */
  dtmf: (press: DtmfPress) => void;
  /** No RTP for rtpTimeoutMs; fires once, re-armed when RTP flows again. */
  'rtp-timeout': () => void;
  /** An RTCP report arrived from the far end. */
  rtcp: (input: RtcpInput) => void;
  /** The engine running this leg failed (a media worker crashed): the leg is gone, the call must end. */
  failed: (reason: string) => void;
}

/** How long an ended call's report waits for its media's last figures, ms (a worker answers in well under 1). */
export const FINAL_FIGURES_WAIT_MS = 2000;

/** One leg's media as call control drives it. */
export interface CallMedia {
  /** The leg's name in {@link AudioRoutes}. */
  readonly id: string;
  /** Traffic counters so far (in a worker engine: as last reported). */
  readonly stats: Readonly<MediaSessionStats>;
  /** Loss, jitter, RTT (RTCP) so far. */
  readonly quality?: MediaQuality;
  /**
   * Audio levels now, dBFS: received (the far end speaking, as decoded) and sent (what it hears). In a worker
   * engine: as last reported (about once a second). Absent: the engine does not meter.
   */
  readonly levels?: AudioLevels;
  /** True when telephone-event was negotiated, so {@link sendDtmf} can play keys. */
  readonly canSendDtmf: boolean;
  /** Begins receiving and the paced send loop (and replays held early packets). */
  start(): void;
  /** Plays keys as RFC 4733 events; throws RangeError when telephone-event was not negotiated. */
  sendDtmf(digits: string, durationMs: number): void;
  updateRemote(remote: { address: string; port: number }): void;
  setDirection(direction: MediaDirection): void;
  switchCodec(change: CodecSwitch): void;
  /** Stops everything and frees the port. Safe twice. */
  close(): void;
  /**
   * Resolves once {@link stats} and {@link quality} hold the leg's last figures, after {@link close}: at once in
   * process; from a worker thread, when its answer to the close is back (or the worker is gone).
   */
  finalFigures(): Promise<void>;
  on<E extends keyof CallMediaEvents>(event: E, listener: CallMediaEvents[E]): unknown;
  off<E extends keyof CallMediaEvents>(event: E, listener: CallMediaEvents[E]): unknown;
}

/** A bound RTP port on its way to becoming a call's media. */
export interface MediaLeg {
  /** The leg's name in {@link AudioRoutes}. */
  readonly id: string;
  /** Local RTP port, for our SDP. */
  readonly port: number;
  /** The far end answered: held pre-answer packets (ringback) are dropped but the last few. */
  answered(): void;
  /** Builds the leg's media; it owns the port from then on. Once per leg. */
  open(options: LegMediaOptions): CallMedia;
  /** Gives the port back when open() never took it. Safe at any time, twice. */
  release(): void;
}

/** Commands from the bot that call control acts on; `clear` and `mark` are played out inside the engine. */
export type BotControlCommand = Exclude<BotCommand, { type: 'clear' } | { type: 'mark' } | { type: 'status' }>;

/** Events of the bot as call control sees it. */
export interface BotControlEvents {
  command: (cmd: BotControlCommand) => void;
  /**
   * Emitted once; a listener added after the close is called right away. `dropped`: the connection was lost (and
   * not brought back within the bot's reconnectMs), as opposed to the bot hanging up.
   */
  close: (info: BotCloseInfo) => void;
  /**
   * The engine reopens a dropped bot socket by itself, where the socket lives: call control only hears how it
   * goes (reconnecting, resumed, lost; 'lost' is followed by a close with `dropped: true`).
   */
  link: (e: BotLinkEvent) => void;
  /** The bot sent something invalid; it was answered `{type:'error'}` and the call goes on. */
  'protocol-error': (err: Error) => void;
}

/** The control half of a call's bot connection (its audio is routed inside the engine). */
export interface BotControl {
  /**
   * Sends `start`; the bot's messages are held back until then. With `beforeAnswer` (the 200 OK is about to go)
   * only the opening messages and the caller-audio stream start; call again without it once answered.
   */
  sendStart(msg: StartMessage, options?: StartOptions): void;
  sendEvent(e: BridgeEvent): void;
  /** Sends `stop` then closes the socket. Safe twice. */
  stop(reason: string, extra?: { quality?: CallQuality }): void;
  on<E extends keyof BotControlEvents>(event: E, listener: BotControlEvents[E]): unknown;
}

/**
 * Where audio flows inside a call: for each sink (a leg id, or 'bot'), the sources it hears. One source is
 * passed through; several are mixed (the first one's frames set the pace). A sink not named hears nothing.
 * A leg that stops hearing the bot drops the bot audio it had queued.
 */
export type AudioRoutes = Readonly<Record<string, readonly string[]>>;

/** The bot's endpoint name in {@link AudioRoutes}. */
export const BOT_ENDPOINT = 'bot';

/** One call's media: its legs and its bot, always in the same engine (thread). */
export interface CallMediaGroup {
  /**
   * Binds an RTP port for a new leg. `holdEarlyPackets`: packets arriving before the media starts are kept and
   * replayed into it (a callee speaks the instant it answers). Rejects with PortPoolExhaustedError when full.
   */
  allocate(options?: { holdEarlyPackets?: boolean }): Promise<MediaLeg>;
  /** Opens the call's bot connection (at most one per call). Rejects with BotConnectError. */
  connectBot(target: BotTarget, options?: { abort?: AbortSignal }): Promise<BotControl>;
  /** Replaces the routing table. */
  route(routes: AudioRoutes): void;
  /**
   * Plays a prompt file (see media/prompt.ts) to one leg in place of what it had queued; resolves once it has
   * played, or the leg closed. The engine reads the file (only its name crosses to a worker thread).
   */
  play(leg: string, file: string): Promise<void>;
  /**
   * Starts, pauses, resumes or stops the call's recording in the engine (on the leg the bot talks to); answers
   * the state after it. Throws (or rejects with) RecordingError when not configured or the state refuses it.
   */
  record?(action: RecordAction): RecordingStatus | Promise<RecordingStatus>;
  /** Releases whatever the call still holds (legs, bot). Safe twice. */
  close(): void;
}

/** A call's recording as the engine reports it. */
export type RecordingStatus = 'idle' | 'recording' | 'paused' | 'stopped' | 'failed';

/** How a call is recorded (config `recording` of its number, trunk or bot). */
export interface CallRecordingPolicy {
  /** off: never; always: from the answer to the end; on-demand: the bot (or the API) starts and stops it. */
  mode: 'off' | 'always' | 'on-demand';
  /** Played to the caller before the bot is heard, when the call may be recorded. */
  consentFile?: string;
}

/** Where call control gets media. */
export interface MediaEngine {
  /**
   * Opens the media of one call (placed on one thread for its whole life).
   * @throws CallRejectedError `media-unavailable` (503) when no media thread is running to take it.
   */
  openCall(ctx: { callId: string; logger: Logger }): CallMediaGroup;
}
