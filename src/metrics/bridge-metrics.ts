/**
 * Every Prometheus metric trunkbridge exports, in one place, on its own registry (never the prom-client
 * global one, so tests and embedders can run several bridges in one process). Labels come from closed
 * sets; anything unexpected is collapsed to 'other' so a misbehaving peer cannot grow the series count.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { END_REASONS } from '../core/failures.js';
import { BoundedLabel } from './labels.js';
import { SipMetrics, sipMethodLabel } from './sip-metrics.js';

export { sipMethodLabel };

export const METRIC_PREFIX = 'trunkbridge_';

export type CallDirection = 'inbound' | 'outbound';

const DIRECTIONS: ReadonlySet<string> = new Set(['inbound', 'outbound']);

/** Call results as labelled in `trunkbridge_calls_total`: the common refusals by status, the rest by class. */
export type CallResult =
  | 'answered'
  | 'rejected-403'
  | 'rejected-404'
  | 'rejected-488'
  | 'rejected-503'
  | 'rejected-4xx'
  | 'rejected-6xx'
  | 'cancelled'
  | 'failed'
  | 'other';

/** Trunk and bot of a call, as call control reports them (absent: not known). */
export interface CallLabelInput {
  trunk?: string;
  bot?: string;
}

/** End reasons, from the one catalogue (core/failures.ts). */
const END_REASON_LABELS: ReadonlySet<string> = new Set(Object.keys(END_REASONS));
const BOT_FAILURES: ReadonlySet<string> = new Set(['timeout', 'refused', 'upgrade-rejected', 'dns', 'aborted', 'other']);
const TRANSFER_METHODS: ReadonlySet<string> = new Set(['refer', 'bridge', 'none']);
const TRANSFER_RESULTS: ReadonlySet<string> = new Set(['completed', 'answered', 'failed']);

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
      if (status >= 400 && status <= 499) return 'rejected-4xx';
      if (status >= 600 && status <= 699) return 'rejected-6xx';
      return status >= 500 && status <= 599 ? 'failed' : 'other';
  }
}

export function directionLabel(direction: string): string {
  return DIRECTIONS.has(direction) ? direction : 'other';
}

export function endReasonLabel(reason: string): string {
  return END_REASON_LABELS.has(reason) ? reason : 'other';
}

export interface BridgeMetricsOptions {
  /** Also export Node process metrics (CPU, memory, event-loop lag, GC). Default true. */
  defaultMetrics?: boolean;
  /** Distinct trunk names, and bot names, kept as label values; later ones count as `other`. Default 50. */
  labelLimit?: number;
}

/** Why the send loop dropped queued bot audio (media's PlayoutDropped; metrics/ imports only core/). */
const PLAYOUT_DROP_REASONS = ['late', 'backlog', 'overflow'] as const;

/**
 * The bridge's metrics. Counters are public for direct use; the helper methods apply label collapsing.
 * Per-packet counters (RTP, dropped frames) are also fed through cheap helpers that bump a plain number and
 * fold it into the counter on scrape, because a prom-client inc() per packet costs more than the packet handling.
 */
export class BridgeMetrics {
  readonly registry = new Registry();
  readonly sip: SipMetrics;
  /** Trunk and bot label values, bounded (see labels.ts). */
  readonly trunks: BoundedLabel;
  readonly bots: BoundedLabel;

  readonly callsTotal: Counter<'direction' | 'result' | 'trunk' | 'bot'>;
  readonly callsEnded: Counter<'direction' | 'reason' | 'trunk' | 'bot'>;
  readonly activeCalls: Gauge<'trunk' | 'bot'>;
  readonly callDurationSeconds: Histogram<'direction' | 'trunk'>;
  readonly callSetupSeconds: Histogram<'direction' | 'trunk'>;
  readonly botConnectSeconds: Histogram<'bot'>;
  readonly botConnectFailures: Counter<'bot' | 'reason'>;
  readonly transfers: Counter<'method' | 'result'>;
  readonly rtpMos: Histogram;
  readonly rtpBytesReceived: Counter;
  readonly rtpBytesSent: Counter;
  readonly botProtocolErrors: Counter;
  readonly botLinkEvents: Counter<'event'>;
  readonly rtpPacketsReceived: Counter;
  readonly rtpPacketsSent: Counter;
  readonly botFramesDropped: Counter;
  readonly playoutDropped: Counter<'reason'>;
  readonly sipMessagesReceived: Counter<'method'>;
  readonly sipParseErrors: Counter;
  readonly rtpJitterMs: Histogram;
  readonly rtpRttMs: Histogram;
  readonly rtpPacketsLost: Counter;

  private pendingRtpIn = 0;
  private pendingRtpOut = 0;
  private pendingFramesDropped = 0;
  private pendingBytesIn = 0;
  private pendingBytesOut = 0;

  constructor(options: BridgeMetricsOptions = {}) {
    const registers = [this.registry];
    const p = METRIC_PREFIX;
    this.trunks = new BoundedLabel(options.labelLimit ?? 50);
    this.bots = new BoundedLabel(options.labelLimit ?? 50);
    this.sip = new SipMetrics(this.registry, p);
    // prom-client calls collect() with `this` bound to the metric; arrow functions capture `self` instead.
    const self = this;

    this.callsTotal = new Counter({
      name: `${p}calls_total`,
      help: 'Calls offered, by direction, result, trunk and bot (none: refused before it was routed)',
      labelNames: ['direction', 'result', 'trunk', 'bot'] as const,
      registers,
    });
    this.callsEnded = new Counter({
      name: `${p}calls_ended_total`,
      help: 'Answered calls that ended, by direction, end reason, trunk and bot',
      labelNames: ['direction', 'reason', 'trunk', 'bot'] as const,
      registers,
    });
    this.activeCalls = new Gauge({ name: `${p}active_calls`, help: 'Calls currently answered, by trunk and bot', labelNames: ['trunk', 'bot'] as const, registers });
    this.callDurationSeconds = new Histogram({
      name: `${p}call_duration_seconds`,
      help: 'Duration of answered calls, by direction and trunk',
      labelNames: ['direction', 'trunk'] as const,
      buckets: [1, 5, 10, 30, 60, 120, 300, 600, 1800, 3600],
      registers,
    });
    this.callSetupSeconds = new Histogram({
      name: `${p}call_setup_seconds`,
      help: 'Setup time of answered calls: INVITE received (inbound) or sent (outbound) -> 200 OK, by direction and trunk',
      labelNames: ['direction', 'trunk'] as const,
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    });
    this.botConnectSeconds = new Histogram({
      name: `${p}bot_connect_seconds`,
      help: 'Time to open the bot WebSocket, by bot',
      labelNames: ['bot'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.botConnectFailures = new Counter({
      name: `${p}bot_connect_failures_total`,
      help: 'Bot connections that did not open, by bot and reason (timeout, refused, upgrade-rejected, dns, aborted, other)',
      labelNames: ['bot', 'reason'] as const,
      registers,
    });
    this.transfers = new Counter({
      name: `${p}transfers_total`,
      help: 'Transfers by method (refer, bridge; none: refused before one was chosen) and final status (completed, answered, failed)',
      labelNames: ['method', 'result'] as const,
      registers,
    });
    this.rtpMos = new Histogram({
      name: `${p}rtp_mos`,
      help: 'Estimated MOS of each answered call at its end (simplified E-model from loss, jitter and RTT)',
      buckets: [1, 2, 2.5, 3, 3.5, 3.8, 4, 4.2, 4.4, 4.5],
      registers,
    });
    this.rtpBytesReceived = new Counter({
      name: `${p}rtp_bytes_received_total`,
      help: 'RTP bytes (UDP payload, RTP header included) received from callers (added when each call ends)',
      registers,
      collect() {
        this.inc(self.pendingBytesIn);
        self.pendingBytesIn = 0;
      },
    });
    this.rtpBytesSent = new Counter({
      name: `${p}rtp_bytes_sent_total`,
      help: 'RTP bytes (UDP payload, RTP header included) sent to callers (added when each call ends)',
      registers,
      collect() {
        this.inc(self.pendingBytesOut);
        self.pendingBytesOut = 0;
      },
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
    this.playoutDropped = new Counter({
      name: `${p}playout_dropped_seconds_total`,
      help:
        'Audio queued for callers (the bot\'s) that was never sent, by reason: late (slots a stalled event loop missed), ' +
        'backlog (delay a real-time bot was left with after a burst), overflow (beyond the playout limit); added when each call ends',
      labelNames: ['reason'] as const,
      registers,
    });
    // Every reason exported from the start (at 0), so a rate over them works before the first drop.
    for (const reason of PLAYOUT_DROP_REASONS) this.playoutDropped.inc({ reason }, 0);
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

  private labels(who: CallLabelInput): { trunk: string; bot: string } {
    return { trunk: this.trunks.value(who.trunk), bot: this.bots.value(who.bot) };
  }

  /** A call was answered (200 OK sent / received): counts it, adds it to the active calls, records its setup time. */
  callAnswered(direction: CallDirection = 'inbound', info: CallLabelInput & { setupSeconds?: number } = {}): void {
    const who = this.labels(info);
    this.callsTotal.inc({ direction: directionLabel(direction), result: 'answered', ...who });
    this.activeCalls.inc(who);
    if (info.setupSeconds !== undefined) this.callSetupSeconds.observe({ direction: directionLabel(direction), trunk: who.trunk }, Math.max(0, info.setupSeconds));
  }

  /** A call ended before being answered with this final status (487 = cancelled); `reason`: its catalogued reason. */
  callRejected(status: number): void;
  callRejected(direction: CallDirection, status: number, info?: CallLabelInput & { reason?: string }): void;
  callRejected(a: CallDirection | number, b?: number, info: CallLabelInput & { reason?: string } = {}): void {
    const [direction, status] = typeof a === 'number' ? ['inbound', a] : [a, b ?? 0];
    this.callsTotal.inc({ direction: directionLabel(direction), result: callResultForStatus(status), ...this.labels(info) });
    this.sip.refused(info.reason, info.trunk, this.trunks);
  }

  /** A call set up in some other way failed (internal error, no final status). */
  callFailed(direction: CallDirection = 'inbound', info: CallLabelInput = {}): void {
    this.callsTotal.inc({ direction: directionLabel(direction), result: 'failed', ...this.labels(info) });
  }

  /** An answered call ended (its labels as when it was answered, so the active gauge comes back down). */
  callEnded(direction: CallDirection, reason: string, durationSeconds: number, info: CallLabelInput = {}): void {
    const who = this.labels(info);
    this.activeCalls.dec(who);
    this.callsEnded.inc({ direction: directionLabel(direction), reason: endReasonLabel(reason), ...who });
    this.callDurationSeconds.observe({ direction: directionLabel(direction), trunk: who.trunk }, Math.max(0, durationSeconds));
  }

  botConnected(seconds: number, bot?: string): void {
    this.botConnectSeconds.observe({ bot: this.bots.value(bot) }, Math.max(0, seconds));
  }

  botConnectFailed(bot?: string, reason = 'other'): void {
    this.botConnectFailures.inc({ bot: this.bots.value(bot), reason: BOT_FAILURES.has(reason) ? reason : 'other' });
  }

  /** A transfer ended: method refer|bridge|none, result completed|answered|failed. */
  transferDone(method: string, result: string): void {
    this.transfers.inc({ method: TRANSFER_METHODS.has(method) ? method : 'other', result: TRANSFER_RESULTS.has(result) ? result : 'other' });
  }

  /** Bytes of ended calls' RTP, folded in at scrape time like the packet counters. */
  rtpBytes(received: number, sent: number): void {
    this.pendingBytesIn += received;
    this.pendingBytesOut += sent;
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

  /** One ended call's dropped playout audio, ms by reason. */
  playoutDroppedMs(d: Record<(typeof PLAYOUT_DROP_REASONS)[number], number>): void {
    for (const reason of PLAYOUT_DROP_REASONS) if (d[reason] > 0) this.playoutDropped.inc({ reason }, d[reason] / 1000);
  }

  sipMessageReceived(method: string): void {
    this.sipMessagesReceived.inc({ method: sipMethodLabel(method) });
  }

  /** One ended call's RTP quality. */
  mediaQuality(q: { packetsLost: number; jitterMs: number; rttMs?: number; mos?: number }): void {
    if (q.packetsLost > 0) this.rtpPacketsLost.inc(q.packetsLost);
    this.rtpJitterMs.observe(Math.max(0, q.jitterMs));
    if (q.rttMs !== undefined) this.rtpRttMs.observe(Math.max(0, q.rttMs));
    if (q.mos !== undefined) this.rtpMos.observe(q.mos);
  }

  sipParseError(): void {
    this.sipParseErrors.inc();
  }
}
