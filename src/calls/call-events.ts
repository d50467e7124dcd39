import type { EndReason } from '../core/failures.js';

/** Why a call ended: a closed set, catalogued (with the bot's socket close code) in core/failures.ts. */
export type { EndReason } from '../core/failures.js';

/** Which trunk and bot a call belongs to, for per-trunk/per-bot metrics (absent: not known, e.g. not routed). */
export interface CallLabels {
  trunk?: string;
  bot?: string;
}

/** What call control reports to metrics; implemented by metrics/ and wired in app.ts. */
export interface CallObserver {
  /** `setupSeconds`: INVITE received (or sent) -> 200 OK sent (or received). */
  callAnswered(direction: 'inbound' | 'outbound', info?: CallLabels & { setupSeconds?: number }): void;
  /** `reason`: the catalogued failure reason (core/failures.ts) behind the status. */
  callRejected(direction: 'inbound' | 'outbound', status: number, info?: CallLabels & { reason?: string }): void;
  callEnded(direction: 'inbound' | 'outbound', reason: EndReason, durationSeconds: number, labels?: CallLabels): void;
  botConnected(seconds: number, bot?: string): void;
  /** `reason`: timeout, refused, upgrade-rejected, dns, other (see calls/bot-connect-failure.ts). */
  botConnectFailed(bot?: string, reason?: string): void;
  /** A transfer finished (or failed): by method (refer, bridge) and final status. */
  transferDone?(method: string, result: string): void;
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
