/**
 * Turns the steps of each call's life (what call control reports, {@link CallStep}) into webhook-worthy events
 * and, when the call ends or is refused, its {@link CallRecord}. No I/O: steps in, outputs out, the wall clock
 * injected.
 */
import { isFailureReason, OWN_FAILURES } from '../core/failures.js';
import type { CallRecord, TransferRecord } from './call-record.js';
import { estimateMos } from './mos.js';

/** RTP quality of a leg at its end (calls/'s CallRecordQuality; media/'s MediaQuality fits it). */
export interface StepQuality {
  packetsReceived: number;
  packetsLost: number;
  jitterMs: number;
  rttMs?: number;
  remote?: { packetsLost: number; jitterMs: number };
}

/**
 * A step of one call, as call control reports it (calls/call-events.ts CallLifecycleEvent is this shape; app.ts
 * joins them, so a difference fails to compile there).
 */
export type CallStep =
  | { type: 'offered'; callId: string; sipCallId: string; direction: 'inbound' | 'outbound'; from: string; to: string; trunk?: string; bot?: string }
  | { type: 'routed'; callId: string; trunk: string; bot?: string; number: string }
  | { type: 'answered'; callId: string; codec: string }
  | { type: 'rejected'; callId: string; sipStatus: number; reason: string }
  | { type: 'transfer-started'; callId: string; to: string; method: 'refer' | 'bridge'; target: string }
  | { type: 'transfer-ended'; callId: string; to: string; method?: 'refer' | 'bridge'; status: 'completed' | 'answered' | 'failed'; sipStatus?: number; reason?: string }
  | { type: 'ended'; callId: string; reason: string; rtp: { packetsReceived: number; packetsSent: number }; quality?: StepQuality };

/** What a step produced: an event for webhooks, or the call's finished record. */
export type BuilderOutput =
  | { kind: 'started' | 'answered'; callId: string; at: number; data: CallFacts & { answeredAt?: string; codec?: string } }
  | { kind: 'transfer'; callId: string; at: number; data: TransferRecord }
  | { kind: 'record'; callId: string; at: number; record: CallRecord };

/** Who and what a call is, as call.started and call.answered tell it. */
export interface CallFacts {
  sipCallId: string;
  direction: 'inbound' | 'outbound';
  trunk: string | null;
  bot: string | null;
  from: string;
  to: string;
  invitedAt: string;
}

interface OpenCall {
  facts: CallFacts;
  answeredAt: number | undefined;
  codec: string | null;
  transfers: Array<TransferRecord & { open: boolean }>;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * Refusals that are a step of the digest handshake, not the outcome of a call: the caller sends the INVITE again
 * with credentials (RFC 3261 §22.2), and that one gets the record.
 */
const CHALLENGES: ReadonlySet<string> = new Set(['auth-challenge', 'auth-stale']);

/** Collects steps per call; a call is forgotten once its record is out. */
export class CallRecordBuilder {
  private readonly calls = new Map<string, OpenCall>();

  constructor(private readonly wallNow: () => number = Date.now) {}

  /** Calls offered and not yet ended (their records are still to come). */
  get openCalls(): number {
    return this.calls.size;
  }

  /** True while the call's record is still to come. */
  isOpen(callId: string): boolean {
    return this.calls.has(callId);
  }

  /** Applies one step; steps of a call never offered (or already finished) produce nothing. */
  step(e: CallStep): BuilderOutput[] {
    const at = this.wallNow();
    if (e.type === 'offered') return this.offered(e, at);
    const call = this.calls.get(e.callId);
    if (!call) return [];
    switch (e.type) {
      case 'routed':
        Object.assign(call.facts, { trunk: e.trunk, bot: e.bot ?? null, to: e.number });
        return [{ kind: 'started', callId: e.callId, at, data: { ...call.facts } }];
      case 'answered':
        call.answeredAt = at;
        call.codec = e.codec;
        return [{ kind: 'answered', callId: e.callId, at, data: { ...call.facts, answeredAt: iso(at), codec: e.codec } }];
      case 'transfer-started':
        call.transfers.push({ to: e.to, target: e.target, method: e.method, result: 'failed', sipStatus: null, reason: null, startedAt: iso(at), endedAt: iso(at), open: true });
        return [];
      case 'transfer-ended':
        return [{ kind: 'transfer', callId: e.callId, at, data: this.transferEnded(call, e, at) }];
      case 'rejected':
        this.calls.delete(e.callId);
        if (CHALLENGES.has(e.reason)) return [];
        return [{ kind: 'record', callId: e.callId, at, record: this.record(e.callId, call, at, { sipStatus: e.sipStatus, endReason: e.reason, endedBy: rejectedBy(e.reason, call.facts.direction), quality: null }) }];
      case 'ended':
        this.calls.delete(e.callId);
        return [{ kind: 'record', callId: e.callId, at, record: this.record(e.callId, call, at, { sipStatus: 200, endReason: e.reason, endedBy: endedBy(e.reason, call.facts.direction), quality: qualityOf(e.rtp, e.quality) }) }];
      default: {
        const unknown: never = e;
        return unknown;
      }
    }
  }

  private offered(e: Extract<CallStep, { type: 'offered' }>, at: number): BuilderOutput[] {
    const facts: CallFacts = { sipCallId: e.sipCallId, direction: e.direction, trunk: e.trunk ?? null, bot: e.bot ?? null, from: e.from, to: e.to, invitedAt: iso(at) };
    this.calls.set(e.callId, { facts, answeredAt: undefined, codec: null, transfers: [] });
    // A call we place is routed from the start; an inbound one is announced once routed.
    return e.direction === 'outbound' ? [{ kind: 'started', callId: e.callId, at, data: { ...facts } }] : [];
  }

  private transferEnded(call: OpenCall, e: Extract<CallStep, { type: 'transfer-ended' }>, at: number): TransferRecord {
    let t = [...call.transfers].reverse().find((x) => x.open && x.to === e.to);
    if (!t) {
      // Refused before it began (not allowed, one already running): no start step came.
      t = { to: e.to, target: null, method: e.method ?? null, result: 'failed', sipStatus: null, reason: null, startedAt: iso(at), endedAt: iso(at), open: true };
      call.transfers.push(t);
    }
    Object.assign(t, { open: false, result: e.status, sipStatus: e.sipStatus ?? null, reason: e.reason ?? null, endedAt: iso(at) });
    const { open: _open, ...record } = t;
    return record;
  }

  private record(callId: string, call: OpenCall, at: number, end: Pick<CallRecord, 'sipStatus' | 'endReason' | 'endedBy' | 'quality'>): CallRecord {
    const answeredAt = call.answeredAt;
    return {
      version: 1,
      callId,
      ...call.facts,
      answeredAt: answeredAt === undefined ? null : iso(answeredAt),
      endedAt: iso(at),
      durationSec: answeredAt === undefined ? 0 : Math.round(Math.max(0, at - answeredAt)) / 1000,
      ...end,
      codec: call.codec,
      // A transfer still running when the call ended never got its outcome: it failed with the call.
      transfers: call.transfers.map(({ open, ...t }) => (open ? { ...t, result: 'failed' as const, reason: 'call-ended', endedAt: iso(at) } : t)),
      recording: null,
    };
  }
}

/** Who ended an answered call, from its end reason (core/failures.ts END_REASONS). */
export function endedBy(reason: string, direction: 'inbound' | 'outbound'): CallRecord['endedBy'] {
  switch (reason) {
    case 'caller-hangup':
      // The SIP party of our leg: the caller on an inbound call, the callee on one we placed.
      return direction === 'inbound' ? 'caller' : 'callee';
    case 'bot-hangup':
    case 'bot-closed':
      return 'bot';
    case 'api-hangup':
      return 'api';
    case 'transfer':
      return 'transfer';
    default:
      return 'bridge';
  }
}

/** Who ended a call that was never answered: the caller's CANCEL, the callee's refusal, or the bridge. */
export function rejectedBy(reason: string, direction: 'inbound' | 'outbound'): CallRecord['endedBy'] {
  if (reason === 'caller-cancelled') return 'caller';
  // A far end's own final status is a catalogued slug that is not one of our reasons ("busy-here", "decline").
  if (direction === 'outbound' && isFailureReason(reason) && !(reason in OWN_FAILURES)) return 'callee';
  return 'bridge';
}

/** Both directions of an answered call's RTP, with MOS estimates where there are figures. */
export function qualityOf(rtp: { packetsReceived: number; packetsSent: number }, q: StepQuality | undefined): CallRecord['quality'] {
  const rttMs = q?.rttMs ?? null;
  const mos = (lost: number, total: number, jitterMs: number) =>
    total > 0 ? estimateMos({ lossRatio: lost / total, jitterMs, ...(rttMs !== null ? { rttMs } : {}) }) : null;
  const received = q
    ? { packets: q.packetsReceived, packetsLost: q.packetsLost, jitterMs: q.jitterMs, mos: mos(q.packetsLost, q.packetsReceived + q.packetsLost, q.jitterMs) }
    : { packets: rtp.packetsReceived, packetsLost: null, jitterMs: null, mos: null };
  const remote = q?.remote;
  const sent = remote
    ? { packets: rtp.packetsSent, packetsLost: remote.packetsLost, jitterMs: remote.jitterMs, mos: mos(remote.packetsLost, Math.max(rtp.packetsSent, remote.packetsLost), remote.jitterMs) }
    : { packets: rtp.packetsSent, packetsLost: null, jitterMs: null, mos: null };
  return { received, sent, rttMs };
}
