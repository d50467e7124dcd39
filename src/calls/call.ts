/** What call control (CallManager, the HTTP API) needs of any live call: a bot call or a pstn-mode forward. */
import type { RecordAction, TransferCommand, TransferEvent } from '../bot/index.js';
import type { RecordingStatus } from './media-engine.js';
import type { EndReason } from './call-events.js';

/** The events of a call. */
export interface CallEvents {
  /** The call ended (once). */
  ended: (reason: EndReason, durationSeconds: number) => void;
}

/** Who a bot call is with, for the APIs that describe a call (the Twilio REST shim's Call resource). */
export interface CallSummary {
  /** The configured bot's name: the REST shim lets only that bot's credentials act on the call. */
  readonly bot: string;
  readonly from: string;
  readonly to: string;
  readonly direction: 'inbound' | 'outbound';
  /** Wall-clock answer time, ms since the epoch. */
  readonly answeredAtMs: number;
  /** The trunk the call came in on or went out through. */
  readonly trunk?: string;
  /** The caller's leg's codec as negotiated at answer. */
  readonly codec?: string;
}

/** A live call's RTP figures so far (the caller's leg). */
export interface LiveMediaStats {
  packetsReceived: number;
  packetsSent: number;
  bytesReceived: number;
  bytesSent: number;
  /** Expected minus received (RFC 3550). */
  packetsLost: number;
  /** Lost / expected, percent (two decimals). */
  lossPercent: number;
  /** Interarrival jitter of the caller's RTP, ms; absent until RTCP-style figures exist. */
  jitterMs?: number;
  /** Round-trip time from the caller's RTCP reports, ms; absent for callers that send no RTCP. */
  rttMs?: number;
  /** Estimated MOS, 1..4.5 (simplified E-model from loss, jitter and RTT: see media/rtcp/mos.ts). */
  mos?: number;
}

/** What GET /v1/calls shows of a live call. */
export interface LiveCallInfo {
  callId: string;
  sipCallId: string;
  /**
   * answered: talking to its bot (or its fallback); bridged: joined to another party (a transfer destination, the
   * bot listening or gone, or a pstn-mode forward).
   */
  state: 'answered' | 'bridged';
  direction: 'inbound' | 'outbound';
  trunk?: string;
  bot?: string;
  from?: string;
  to?: string;
  codec?: string;
  /** ISO 8601 wall-clock answer time. */
  answeredAt?: string;
  durationSec: number;
  media: LiveMediaStats;
  /** Audio levels on the caller's leg now (see {@link LiveLevels}); absent when the engine does not meter. */
  levels?: LiveLevels;
}

/** An outbound call placed and not yet answered (GET /v1/calls/{id} while it rings). */
export interface RingingCallInfo {
  callId: string;
  sipCallId: string;
  state: 'ringing';
  direction: 'outbound';
  trunk: string;
  bot: string;
  from: string;
  to: string;
  /** ISO 8601 wall-clock time the call was placed. */
  placedAt: string;
  ringingSec: number;
  /** The bot hears the far end's early media (183) already. */
  earlyMedia?: true;
}

/**
 * The audio levels of a live call, dBFS (RMS over the last ~300 ms, one decimal; -96 is silence or no audio):
 * what the caller says (as the bot hears it) and what the caller hears (the bot, or whoever it is bridged to).
 */
export interface LiveLevels {
  callerToBot: number;
  botToCaller: number;
}

export interface Call {
  /** Our call id (UUID), as the bot and the API know it. */
  readonly id: string;
  /** Set on bot calls (absent on a pstn forward, which has no bot). */
  readonly summary?: CallSummary;
  readonly ended: boolean;
  /** Settles once the BYEs sent by {@link end} were answered (or timed out). */
  readonly hangupDone: Promise<void>;
  onEnded(listener: (reason: EndReason, durationSeconds: number) => void): void;
  /** Ends the call for `reason` (BYE to whoever is still there). Idempotent. */
  end(reason: EndReason): void;
  /** Trunk and bot as metrics label the call: the same at its answer and at its end (absent: none). */
  readonly labels?: { trunk?: string; bot?: string };
  /** What the calls API shows of it now. */
  live?(): LiveCallInfo;
  /** Escalates the call; absent where there is nothing to escalate (a pstn forward has no bot). */
  transfer?(cmd: Omit<TransferCommand, 'type'>): Promise<TransferEvent>;
  /**
   * Controls the call's recording (POST /v1/calls/{id}/recording); absent where there is none (pstn forward).
   * Rejects with RecordingError (recording-off, recording-state, recording-unavailable).
   */
  record?(action: RecordAction): Promise<RecordingStatus>;
}
