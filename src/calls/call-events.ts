import type { EndReason } from '../core/failures.js';

/** Why a call ended: a closed set, catalogued (with the bot's socket close code) in core/failures.ts. */
export type { EndReason } from '../core/failures.js';

/** What call control reports to metrics; implemented by metrics/ and wired in app.ts. */
export interface CallObserver {
  callAnswered(direction: 'inbound' | 'outbound'): void;
  callRejected(direction: 'inbound' | 'outbound', status: number): void;
  callEnded(direction: 'inbound' | 'outbound', reason: EndReason, durationSeconds: number): void;
  botConnected(seconds: number): void;
  botConnectFailed(): void;
  botProtocolError(): void;
  /** A call's bot link changed: its socket dropped and is being reopened, came back, or was lost. */
  botLink?(state: 'reconnecting' | 'resumed' | 'lost'): void;
  /** An answered call's RTP quality at its end (loss, jitter, RTT from RTCP, the MOS estimate). */
  mediaQuality?(q: { packetsLost: number; jitterMs: number; rttMs?: number; mos?: number }): void;
  /** RTP packets (and UDP bytes) a call received and sent, reported once when it ends. */
  rtpTotals?(received: number, sent: number, bytes?: { received: number; sent: number }): void;
}

/** Observer that does nothing (tests). */
export const nullCallObserver: CallObserver = {
  callAnswered() {},
  callRejected() {},
  callEnded() {},
  botConnected() {},
  botConnectFailed() {},
  botProtocolError() {},
};
