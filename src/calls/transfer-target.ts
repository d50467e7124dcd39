/**
 * Where a transfer goes, and whether the bot may send it there (toll-fraud guard). Pure.
 *
 * A bot may transfer to: any named `transferDestinations` entry; a number or SIP URI that the calling
 * trunk's `transferAllow` list permits (a destination name, an exact number, a "+1555*" prefix pattern, or a
 * URI pattern like "sip:*@pbx.example.com"); a number equal to a named destination's number. Anything else is
 * refused with reason "not-allowed", before any SIP is sent.
 */
import { CallRejectedError, type FailureReason } from '../core/errors.js';
import type { OutboundTrunkConfig } from '../trunks/index.js';
import { formatNumber, toE164 } from '../trunks/number-format.js';

export interface TransferDestinationConfig {
  readonly number?: string;
  readonly trunk?: string;
  readonly uri?: string;
  readonly auth?: { readonly username: string; readonly password: string };
  readonly method: 'refer' | 'bridge';
  readonly callerId: 'caller' | 'trunk';
  readonly ringTimeoutSec: number;
}

export type TransferTarget =
  | {
      kind: 'number';
      e164: string;
      trunk: OutboundTrunkConfig;
      method: 'refer' | 'bridge';
      callerId: 'caller' | 'trunk';
      ringTimeoutMs: number;
      /** The destination name when one was used. */
      name?: string;
    }
  | {
      kind: 'uri';
      uri: string;
      credentials?: { username: string; password: string };
      method: 'refer' | 'bridge';
      ringTimeoutMs: number;
      name?: string;
    };

export interface TransferPolicy {
  destinations: Readonly<Record<string, TransferDestinationConfig>>;
  outboundTrunk(name: string): OutboundTrunkConfig | undefined;
  /** The calling trunk's transferAllow entries (empty: named destinations only). */
  allow: readonly string[];
  /** A registered PBX for `ext:`/`pbx:` targets: the one the call came through, else the first one. */
  pbx?: { host: string; port: number; transport: 'udp' | 'tcp' | 'tls'; credentials: { username: string; password: string } };
  /** True when the call arrived through that PBX registration (its extensions are then allowed). */
  viaPbx?: boolean;
}

const DEFAULT_RING_TIMEOUT_MS = 30_000;

function refused(reason: FailureReason, message: string): never {
  throw new CallRejectedError(reason, message);
}

/** "*" matches any run of characters; everything else literally; case-insensitive for URIs. */
function globMatches(pattern: string, value: string): boolean {
  const re = new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 'i');
  return re.test(value);
}

function numberAllowed(e164: string, policy: TransferPolicy): boolean {
  for (const d of Object.values(policy.destinations)) {
    if (d.number === undefined || d.trunk === undefined) continue;
    const trunk = policy.outboundTrunk(d.trunk);
    try {
      if (toE164(d.number, trunk?.country) === e164) return true;
    } catch {
      // A malformed configured number allows nothing.
    }
  }
  return policy.allow.some((p) => /^[+\d*]/.test(p) && globMatches(p.startsWith('+') || p.startsWith('*') ? p : `+${p}`, e164));
}

/**
 * Resolves the bot's `to` (destination name, number, tel: or sip: URI) into a target.
 * @throws CallRejectedError 403 with reason "not-allowed", "unknown-trunk" or "invalid-number".
 */
export function resolveTransferTarget(
  cmd: { to: string; trunk?: string; method?: 'refer' | 'bridge' },
  policy: TransferPolicy,
): TransferTarget {
  const named = Object.hasOwn(policy.destinations, cmd.to) ? policy.destinations[cmd.to] : undefined;
  if (named) {
    const method = cmd.method ?? named.method;
    const ringTimeoutMs = named.ringTimeoutSec * 1000;
    if (named.uri !== undefined) {
      return { kind: 'uri', uri: named.uri, method, ringTimeoutMs, name: cmd.to, ...(named.auth ? { credentials: { ...named.auth } } : {}) };
    }
    const trunk = policy.outboundTrunk(named.trunk ?? '');
    if (!trunk || named.number === undefined) return refused('unknown-trunk', `destination "${cmd.to}" has no usable trunk`);
    return { kind: 'number', e164: toE164(named.number, trunk.country), trunk, method, callerId: named.callerId, ringTimeoutMs, name: cmd.to };
  }
  const method = cmd.method ?? 'bridge';
  const ext = /^(?:ext|pbx):([A-Za-z0-9*#._+-]{1,64})$/i.exec(cmd.to);
  if (ext) {
    const pbx = policy.pbx;
    if (!pbx) refused('no-pbx', `"${cmd.to}" needs a PBX registration`);
    const allowed = policy.viaPbx === true || policy.allow.some((p) => /^(ext|pbx):/i.test(p) && globMatches(p.replace(/^pbx:/i, 'ext:'), `ext:${ext[1]}`));
    if (!allowed) refused('not-allowed', `"${cmd.to}" is not an allowed transfer target`);
    const host = pbx.host.includes(':') ? `[${pbx.host}]` : pbx.host;
    const tp = pbx.transport === 'udp' ? '' : `;transport=${pbx.transport}`;
    return { kind: 'uri', uri: `sip:${ext[1]}@${host}:${pbx.port}${tp}`, credentials: { ...pbx.credentials }, method, ringTimeoutMs: DEFAULT_RING_TIMEOUT_MS };
  }
  if (/^sips?:/i.test(cmd.to)) {
    if (!policy.allow.some((p) => /^sips?:/i.test(p) && globMatches(p, cmd.to))) refused('not-allowed', `"${cmd.to}" is not an allowed transfer target`);
    return { kind: 'uri', uri: cmd.to, method, ringTimeoutMs: DEFAULT_RING_TIMEOUT_MS };
  }
  const trunk = policy.outboundTrunk(cmd.trunk ?? '');
  if (!trunk) refused('unknown-trunk', cmd.trunk ? `no outbound trunk "${cmd.trunk}"` : 'a number needs "trunk"');
  const raw = cmd.to.replace(/^tel:/i, '').split(';')[0];
  let e164: string;
  try {
    e164 = toE164(raw, trunk.country);
  } catch {
    return refused('invalid-number', `"${cmd.to}" is not a phone number`);
  }
  if (!numberAllowed(e164, policy)) refused('not-allowed', `${e164} is not an allowed transfer target`);
  return { kind: 'number', e164, trunk, method, callerId: 'caller', ringTimeoutMs: DEFAULT_RING_TIMEOUT_MS };
}

/**
 * Refer-To for a target: a number becomes a SIP URI at the carrier's host with user=phone, in the trunk's
 * number format (carriers route REFERs to numbers this way rather than with tel: URIs).
 */
export function referToUri(target: TransferTarget): string {
  if (target.kind === 'uri') return target.uri;
  const t = target.trunk;
  const user = formatNumber(target.e164, t.numberFormat, t.country);
  const scheme = t.transport === 'tls' ? 'sips' : 'sip';
  const host = t.host.includes(':') ? `[${t.host}]` : t.host;
  const port = t.port === (t.transport === 'tls' ? 5061 : 5060) ? '' : `:${t.port}`;
  return `${scheme}:${user}@${host}${port};user=phone`;
}
