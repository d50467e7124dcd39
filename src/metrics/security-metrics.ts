import { Counter, type Registry } from 'prom-client';
import { METRIC_PREFIX } from './bridge-metrics.js';

/** Why a SIP guard stopped a message or connection: the `reason` label (sip/security's SipGuardReason). */
export const SIP_GUARD_LABELS = [
  'flood', 'banned', 'oversize', 'malformed', 'bad-version', 'scanner', 'too-many-headers', 'header-too-long', 'too-many-vias',
  'body-too-large', 'hidden', 'locked-out', 'connection-limit', 'banned-connection',
] as const;
export type SipGuardLabel = (typeof SIP_GUARD_LABELS)[number];

/** What arrived on a media port that is not RTP/RTCP from the latched peer (RFC 7983 demultiplexing). */
export const MEDIA_FOREIGN_LABELS = ['stun', 'dtls', 'unknown', 'wrong-source'] as const;
export type MediaForeignLabel = (typeof MEDIA_FOREIGN_LABELS)[number];

const GUARD_SET: ReadonlySet<string> = new Set(SIP_GUARD_LABELS);
const FOREIGN_SET: ReadonlySet<string> = new Set(MEDIA_FOREIGN_LABELS);

/**
 * The guards of a listener facing the internet (issue #12): what each guard stopped, bans, digest failures and
 * lockouts, and foreign packets on media ports. Labels from closed sets, anything else counted as 'other'.
 */
export class SecurityMetrics {
  readonly guardRejected: Counter<'reason'>;
  readonly sourcesBanned: Counter;
  readonly authLockouts: Counter;
  readonly mediaForeign: Counter<'kind'>;

  constructor(registry: Registry) {
    const registers = [registry];
    const p = METRIC_PREFIX;
    this.guardRejected = new Counter({
      name: `${p}sip_guard_rejected_total`,
      help: 'SIP messages dropped or answered statelessly, and connections refused, by the guard that stopped them',
      labelNames: ['reason'] as const,
      registers,
    });
    this.sourcesBanned = new Counter({ name: `${p}sip_sources_banned_total`, help: 'Sources banned for going over their message budget', registers });
    this.authLockouts = new Counter({ name: `${p}sip_auth_lockouts_total`, help: 'Sources locked out after repeated digest failures (one per episode)', registers });
    this.mediaForeign = new Counter({
      name: `${p}media_foreign_packets_total`,
      help: 'Packets on RTP/RTCP ports that are not media from the peer (STUN, DTLS, unknown first byte, or a source other than the latched one)',
      labelNames: ['kind'] as const,
      registers,
    });
  }

  guard(reason: string): void {
    this.guardRejected.inc({ reason: GUARD_SET.has(reason) ? reason : 'other' });
  }

  foreign(kind: string, n = 1): void {
    if (n > 0) this.mediaForeign.inc({ kind: FOREIGN_SET.has(kind) ? kind : 'other' }, n);
  }
}
