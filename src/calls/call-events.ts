/**
 * Why a call ended, as the bot sees it in `stop.reason` and operators see it in logs and metrics.
 * A closed set, so metric labels stay bounded.
 */
export type EndReason =
  | 'caller-hangup'
  | 'caller-cancelled'
  | 'bot-hangup'
  | 'bot-closed'
  | 'ack-timeout'
  | 'rtp-timeout'
  | 'shutdown'
  | 'error'
  /** Ended through HTTP POST /v1/calls/{id}/hangup. */
  | 'api-hangup'
  /** The caller was handed to a transfer destination (REFER completed, or the bot left a bridged transfer). */
  | 'transfer';

/** What call control reports to metrics; implemented by metrics/ and wired in app.ts. */
export interface CallObserver {
  callAnswered(direction: 'inbound' | 'outbound'): void;
  callRejected(direction: 'inbound' | 'outbound', status: number): void;
  callEnded(direction: 'inbound' | 'outbound', reason: EndReason, durationSeconds: number): void;
  botConnected(seconds: number): void;
  botConnectFailed(): void;
  botProtocolError(): void;
  /** An answered call's RTP quality at its end (loss, jitter, RTT from RTCP). */
  mediaQuality?(q: { packetsLost: number; jitterMs: number; rttMs?: number }): void;
  /** RTP packets a call received and sent, reported once when it ends. */
  rtpTotals?(received: number, sent: number): void;
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
