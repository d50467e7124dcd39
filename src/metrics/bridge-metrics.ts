/**
 * Every Prometheus metric trunkbridge exports, in one place, on its own registry (never the prom-client
 * global one, so tests and embedders can run several bridges in one process). Labels come from closed
 * sets; anything unexpected is collapsed to 'other' so a misbehaving peer cannot grow the series count.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { END_REASONS } from '../core/failures.js';

export const METRIC_PREFIX = 'trunkbridge_';

export type CallDirection = 'inbound' | 'outbound';

const DIRECTIONS: ReadonlySet<string> = new Set(['inbound', 'outbound']);

/** Call results as labelled in `trunkbridge_calls_total`. */
export type CallResult =
  | 'answered'
  | 'rejected-403'
  | 'rejected-404'
  | 'rejected-488'
  | 'rejected-503'
  | 'cancelled'
  | 'failed'
  | 'other';

/** Request methods we label by name; responses count as RESPONSE; anything else collapses to 'other'. */
const SIP_METHODS: ReadonlySet<string> = new Set([
  'INVITE', 'ACK', 'BYE', 'CANCEL', 'OPTIONS', 'REGISTER', 'INFO', 'UPDATE', 'PRACK', 'REFER', 'NOTIFY', 'SUBSCRIBE', 'MESSAGE', 'RESPONSE',
]);

/** End reasons, from the one catalogue (core/failures.ts). */
const END_REASON_LABELS: ReadonlySet<string> = new Set(Object.keys(END_REASONS));

/** Maps a final SIP status of a refused call to its `result` label. */
export function callResultForStatus(status: number): CallResult {
  switch (status) {
    case 403:
      return 'rejected-403';
    case 404:
      return 'rejected-404';
    case 488:
      return 'rejected-488';
    case 503:
      return 'rejected-503';
    case 487:
      return 'cancelled';
    default:
      return status >= 500 && status <= 599 ? 'failed' : 'other';
  }
}

export function directionLabel(direction: string): string {
  return DIRECTIONS.has(direction) ? direction : 'other';
}

export function sipMethodLabel(method: string): string {
  const m = method.toUpperCase();
  return SIP_METHODS.has(m) ? m : 'other';
}

export function endReasonLabel(reason: string): string {
  return END_REASON_LABELS.has(reason) ? reason : 'other';
}

export interface BridgeMetricsOptions {
  /** Also export Node process metrics (CPU, memory, event-loop lag, GC). Default true. */
  defaultMetrics?: boolean;
}

/**
 * The bridge's metrics. Counters are public for direct use; the helper methods apply label collapsing.
 * Per-packet counters (RTP, dropped frames) are also fed through cheap helpers that bump a plain number and
 * fold it into the counter on scrape, because a prom-client inc() per packet costs more than the packet handling.
 */
export class BridgeMetrics {
  readonly registry = new Registry();

  readonly callsTotal: Counter<'direction' | 'result'>;
  readonly callsEnded: Counter<'direction' | 'reason'>;
  readonly activeCalls: Gauge;
  readonly callDurationSeconds: Histogram;
  readonly botConnectSeconds: Histogram;
  readonly botConnectFailures: Counter;
  readonly botProtocolErrors: Counter;
  readonly botLinkEvents: Counter<'event'>;
  readonly rtpPacketsReceived: Counter;
  readonly rtpPacketsSent: Counter;
  readonly botFramesDropped: Counter;
  readonly sipMessagesReceived: Counter<'method'>;
  readonly sipParseErrors: Counter;
  readonly rtpJitterMs: Histogram;
  readonly rtpRttMs: Histogram;
  readonly rtpPacketsLost: Counter;

  private pendingRtpIn = 0;
  private pendingRtpOut = 0;
  private pendingFramesDropped = 0;

  constructor(options: BridgeMetricsOptions = {}) {
    const registers = [this.registry];
    const p = METRIC_PREFIX;
    // prom-client calls collect() with `this` bound to the metric; arrow functions capture `self` instead.
    const self = this;

    this.callsTotal = new Counter({
      name: `${p}calls_total`,
      help: 'Calls offered, by direction and result',
      labelNames: ['direction', 'result'] as const,
      registers,
    });
    this.callsEnded = new Counter({
      name: `${p}calls_ended_total`,
      help: 'Answered calls that ended, by direction and end reason',
      labelNames: ['direction', 'reason'] as const,
      registers,
    });
    this.activeCalls = new Gauge({ name: `${p}active_calls`, help: 'Calls currently answered', registers });
    this.callDurationSeconds = new Histogram({
      name: `${p}call_duration_seconds`,
      help: 'Duration of answered calls',
      buckets: [1, 5, 10, 30, 60, 120, 300, 600, 1800, 3600],
      registers,
    });
    this.botConnectSeconds = new Histogram({
      name: `${p}bot_connect_seconds`,
      help: 'Time to open the bot WebSocket',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.botConnectFailures = new Counter({
      name: `${p}bot_connect_failures_total`,
      help: 'Bot connections refused, timed out or rejected at upgrade',
      registers,
    });
    this.botProtocolErrors = new Counter({
      name: `${p}bot_protocol_errors_total`,
      help: 'Invalid messages received from bots',
      registers,
    });
    this.botLinkEvents = new Counter({
      name: `${p}bot_link_events_total`,
      help: 'Bot connections that dropped mid-call (reconnecting), came back (resumed) or did not (lost)',
      labelNames: ['event'] as const,
      registers,
    });
    this.rtpPacketsReceived = new Counter({
      name: `${p}rtp_packets_received_total`,
      help: 'RTP packets received from callers (added when each call ends)',
      registers,
      collect() {
        this.inc(self.pendingRtpIn);
        self.pendingRtpIn = 0;
      },
    });
    this.rtpPacketsSent = new Counter({
      name: `${p}rtp_packets_sent_total`,
      help: 'RTP packets sent to callers (added when each call ends)',
      registers,
      collect() {
        this.inc(self.pendingRtpOut);
        self.pendingRtpOut = 0;
      },
    });
    this.botFramesDropped = new Counter({
      name: `${p}bot_frames_dropped_total`,
      help: 'Caller audio frames dropped because the bot socket was backed up',
      registers,
      collect() {
        this.inc(self.pendingFramesDropped);
        self.pendingFramesDropped = 0;
      },
    });
    this.sipMessagesReceived = new Counter({
      name: `${p}sip_messages_received_total`,
      help: 'SIP requests received, by method',
      labelNames: ['method'] as const,
      registers,
    });
    this.sipParseErrors = new Counter({
      name: `${p}sip_parse_errors_total`,
      help: 'SIP messages that could not be parsed',
      registers,
    });

    this.rtpJitterMs = new Histogram({
      name: `${p}rtp_jitter_ms`,
      help: 'Interarrival jitter of the caller RTP at the end of each call (RFC 3550), ms',
      buckets: [1, 2, 5, 10, 20, 30, 50, 100, 200],
      registers,
    });
    this.rtpRttMs = new Histogram({
      name: `${p}rtp_rtt_ms`,
      help: 'Round-trip time to the caller from its RTCP reports, last value of each call that had one, ms',
      buckets: [1, 5, 10, 20, 50, 100, 150, 200, 300, 500, 1000],
      registers,
    });
    this.rtpPacketsLost = new Counter({
      name: `${p}rtp_packets_lost_total`,
      help: 'Caller RTP packets lost (expected minus received, RFC 3550), summed over ended calls',
      registers,
    });

    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: p });
  }

  /** Prometheus text exposition of every metric. Content type: `registry.contentType`. */
  metricsText(): Promise<string> {
    return this.registry.metrics();
  }

  /** A call was answered (200 OK sent / received): counts it and adds it to the active calls. */
  callAnswered(direction: CallDirection = 'inbound'): void {
    this.callsTotal.inc({ direction: directionLabel(direction), result: 'answered' });
    this.activeCalls.inc();
  }

  /** A call ended before being answered with this final status (487 = cancelled). */
  callRejected(status: number): void;
  callRejected(direction: CallDirection, status: number): void;
  callRejected(a: CallDirection | number, b?: number): void {
    const [direction, status] = typeof a === 'number' ? ['inbound', a] : [a, b ?? 0];
    this.callsTotal.inc({ direction: directionLabel(direction), result: callResultForStatus(status) });
  }

  /** A call set up in some other way failed (internal error, no final status). */
  callFailed(direction: CallDirection = 'inbound'): void {
    this.callsTotal.inc({ direction: directionLabel(direction), result: 'failed' });
  }

  /** An answered call ended. */
  callEnded(direction: CallDirection, reason: string, durationSeconds: number): void {
    this.activeCalls.dec();
    this.callsEnded.inc({ direction: directionLabel(direction), reason: endReasonLabel(reason) });
    this.callDurationSeconds.observe(Math.max(0, durationSeconds));
  }

  botConnected(seconds: number): void {
    this.botConnectSeconds.observe(Math.max(0, seconds));
  }

  botConnectFailed(): void {
    this.botConnectFailures.inc();
  }

  /** A call's bot link changed (a closed set of labels). */
  botLink(event: 'reconnecting' | 'resumed' | 'lost'): void {
    this.botLinkEvents.inc({ event });
  }

  /** Per packet: a plain increment, folded into the counter at scrape time. */
  rtpPacketReceived(count = 1): void {
    this.pendingRtpIn += count;
  }

  rtpPacketSent(count = 1): void {
    this.pendingRtpOut += count;
  }

  botFrameDropped(count = 1): void {
    this.pendingFramesDropped += count;
  }

  sipMessageReceived(method: string): void {
    this.sipMessagesReceived.inc({ method: sipMethodLabel(method) });
  }

  /** One ended call's RTP quality. */
  mediaQuality(q: { packetsLost: number; jitterMs: number; rttMs?: number }): void {
    if (q.packetsLost > 0) this.rtpPacketsLost.inc(q.packetsLost);
    this.rtpJitterMs.observe(Math.max(0, q.jitterMs));
    if (q.rttMs !== undefined) this.rtpRttMs.observe(Math.max(0, q.rttMs));
  }

  sipParseError(): void {
    this.sipParseErrors.inc();
  }
}
