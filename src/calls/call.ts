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
  /** Escalates the call; absent where there is nothing to escalate (a pstn forward has no bot). */
  transfer?(cmd: Omit<TransferCommand, 'type'>): Promise<TransferEvent>;
  /**
   * Controls the call's recording (POST /v1/calls/{id}/recording); absent where there is none (pstn forward).
   * Rejects with RecordingError (recording-off, recording-state, recording-unavailable).
   */
  record?(action: RecordAction): Promise<RecordingStatus>;
}
