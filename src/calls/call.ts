/** What call control (CallManager, the HTTP API) needs of any live call: a bot call or a pstn-mode forward. */
import type { TransferCommand, TransferEvent } from '../bot/index.js';
import type { EndReason } from './call-events.js';

/** The events of a call. */
export interface CallEvents {
  /** The call ended (once). */
  ended: (reason: EndReason, durationSeconds: number) => void;
}

export interface Call {
  /** Our call id (UUID), as the bot and the API know it. */
  readonly id: string;
  readonly ended: boolean;
  /** Settles once the BYEs sent by {@link end} were answered (or timed out). */
  readonly hangupDone: Promise<void>;
  onEnded(listener: (reason: EndReason, durationSeconds: number) => void): void;
  /** Ends the call for `reason` (BYE to whoever is still there). Idempotent. */
  end(reason: EndReason): void;
  /** Escalates the call; absent where there is nothing to escalate (a pstn forward has no bot). */
  transfer?(cmd: Omit<TransferCommand, 'type'>): Promise<TransferEvent>;
}
