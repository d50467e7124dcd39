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
  /** One step of one call's life, for its call record (CDR) and webhooks; implemented by records/, wired in app.ts. */
  record?(e: CallLifecycleEvent): void;
  /** A call's recording began (its record waits for the file); implemented by records/, wired in app.ts. */
  recordingStarted?(callId: string): void;
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
  /** Datagrams on a call's RTP port that were not media from its peer (RFC 7983 kinds, wrong source), at its end. */
  foreignPackets?(counts: { stun: number; dtls: number; unknown: number; wrongSource: number }): void;
  /** Audio queued for the caller that the send loop dropped (late, backlog, overflow), ms, at a call's end. */
  playoutDropped?(ms: { late: number; backlog: number; overflow: number }): void;
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

/**
 * The steps of a call that its record needs, each carrying our call id. Times are stamped by whoever listens
 * (they are reported as they happen). Every call that was `offered` gets exactly one `rejected` or `ended`.
 */
export type CallLifecycleEvent =
  | {
      type: 'offered';
      callId: string;
      sipCallId: string;
      direction: 'inbound' | 'outbound';
      /** From and To users as signalled (outbound: our caller ID and the dialled E.164). */
      from: string;
      to: string;
      /** Known at once for calls we place; inbound calls learn them when `routed`. */
      trunk?: string;
      bot?: string;
    }
  /** An inbound call was matched to a trunk: its bot (absent in pstn mode) and the dialled number as routed (E.164). */
  | { type: 'routed'; callId: string; trunk: string; bot?: string; number: string }
  | { type: 'answered'; callId: string; codec: string }
  /** The call was never answered: the final status of its INVITE and the catalogued reason. */
  | { type: 'rejected'; callId: string; sipStatus: number; reason: string }
  /** A transfer began (its target resolved and allowed). */
  | { type: 'transfer-started'; callId: string; to: string; method: 'refer' | 'bridge'; target: string }
  /** A transfer's final outcome (refused ones included, which never started). */
  | { type: 'transfer-ended'; callId: string; to: string; method?: 'refer' | 'bridge'; status: 'completed' | 'answered' | 'failed'; sipStatus?: number; reason?: string }
  /** An answered call ended; RTP figures of the caller's leg (quality absent when the engine had none). */
  | { type: 'ended'; callId: string; reason: EndReason; rtp: { packetsReceived: number; packetsSent: number }; quality?: CallRecordQuality };

/** RTP quality as the record keeps it (media/'s MediaQuality fits it). */
export interface CallRecordQuality {
  packetsReceived: number;
  packetsLost: number;
  jitterMs: number;
  rttMs?: number;
  remote?: { packetsLost: number; jitterMs: number };
}
