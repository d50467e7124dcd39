/**
 * SIP signalling figures: responses by method and status class (sent and received), request retransmissions
 * received, transaction timeouts, and authentication failures by reason and trunk.
 */
import { Counter, type Registry } from 'prom-client';
import { statusClass, type BoundedLabel } from './labels.js';

/** Methods we label by name; anything else collapses to 'other'. */
const SIP_METHODS: ReadonlySet<string> = new Set([
  'INVITE', 'ACK', 'BYE', 'CANCEL', 'OPTIONS', 'REGISTER', 'INFO', 'UPDATE', 'PRACK', 'REFER', 'NOTIFY', 'SUBSCRIBE', 'MESSAGE', 'RESPONSE',
]);

export function sipMethodLabel(method: string): string {
  const m = method.toUpperCase();
  return SIP_METHODS.has(m) ? m : 'other';
}

/** Refusals that are authentication failures (the `reason` label of trunkbridge_sip_auth_failures_total). */
const AUTH_FAILURES: ReadonlySet<string> = new Set(['source-not-allowed', 'bad-credentials']);

export class SipMetrics {
  readonly responses: Counter<'direction' | 'method' | 'class'>;
  readonly retransmissions: Counter<'method'>;
  readonly retransmissionsSent: Counter<'method'>;
  readonly transactionTimeouts: Counter<'method'>;
  readonly authFailures: Counter<'reason' | 'trunk'>;

  constructor(registry: Registry, prefix: string) {
    const registers = [registry];
    this.responses = new Counter({
      name: `${prefix}sip_responses_total`,
      help: 'SIP responses sent and received, by CSeq method and status class (1xx..6xx)',
      labelNames: ['direction', 'method', 'class'] as const,
      registers,
    });
    this.retransmissions = new Counter({
      name: `${prefix}sip_retransmissions_received_total`,
      help: 'SIP requests received again while their transaction was live (the peer retransmitted: loss or a slow answer)',
      labelNames: ['method'] as const,
      registers,
    });
    this.retransmissionsSent = new Counter({
      name: `${prefix}sip_retransmissions_sent_total`,
      help: 'SIP requests (Timer A/E) and responses (Timer G, or answering a retransmitted request) we sent again, by (CSeq) method',
      labelNames: ['method'] as const,
      registers,
    });
    this.transactionTimeouts = new Counter({
      name: `${prefix}sip_transaction_timeouts_total`,
      help: 'SIP transactions that timed out: no final response to our request (Timer B/F) or no ACK for our final response (Timer H)',
      labelNames: ['method'] as const,
      registers,
    });
    this.authFailures = new Counter({
      name: `${prefix}sip_auth_failures_total`,
      help: 'INVITEs refused by trunk authentication, by reason (source-not-allowed, bad-credentials) and trunk',
      labelNames: ['reason', 'trunk'] as const,
      registers,
    });
  }

  response(direction: 'sent' | 'received', method: string, status: number): void {
    this.responses.inc({ direction, method: sipMethodLabel(method), class: statusClass(status) });
  }

  retransmission(method: string): void {
    this.retransmissions.inc({ method: sipMethodLabel(method) });
  }

  retransmissionSent(method: string): void {
    this.retransmissionsSent.inc({ method: sipMethodLabel(method) });
  }

  timeout(method: string): void {
    this.transactionTimeouts.inc({ method: sipMethodLabel(method) });
  }

  /** A refused call: counted here when its reason is an authentication failure. */
  refused(reason: string | undefined, trunk: string | undefined, trunks: BoundedLabel): void {
    if (reason !== undefined && AUTH_FAILURES.has(reason)) this.authFailures.inc({ reason, trunk: trunks.value(trunk) });
  }
}
