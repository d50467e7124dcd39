/**
 * Turning "call this number through that trunk" into the SIP request facts (Request-URI, From, next hop,
 * Route, headers). Pure: the tests read the exact URIs a carrier would see.
 */
import { CallRejectedError } from '../core/errors.js';
import type { OutboundTrunkConfig } from '../trunks/index.js';
import { formatNumber, toE164 } from '../trunks/number-format.js';
import type { OutgoingCallRequest } from './signaling.js';

/** Headers a request may add: carriers read X- and P- headers; core SIP headers are ours to write. */
export function checkCustomHeaders(headers: Record<string, string> | undefined): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (!/^[XP]-[A-Za-z0-9-]{1,64}$/i.test(name)) throw new CallRejectedError('bad-header', `header "${name}" not allowed (X-* or P-* only)`);
    if (/[\r\n]/.test(value) || value.length > 512) throw new CallRejectedError('bad-header', `header "${name}" has a bad value`);
    out.push([name, value]);
  }
  return out;
}

function hostPort(host: string, port: number, defaultPort: number): string {
  const h = host.includes(':') ? `[${host}]` : host;
  return port === defaultPort ? h : `${h}:${port}`;
}

/** A number-like user part gets user=phone (RFC 3261 §19.1.1), as carriers expect for telephone numbers. */
function isNumber(user: string): boolean {
  return /^\+?\d+$/.test(user);
}

export interface TrunkCallOptions {
  /** Dialled number in any form the trunk's country understands. */
  to: string;
  /** Caller ID: a number (formatted like `to`) or a SIP user; default the trunk's callerId. */
  from?: string;
  fromDisplayName?: string;
  sdp: string;
  headers?: Array<[string, string]>;
  ringTimeoutMs: number;
}

/** The dialled number in E.164 and as sent to the trunk. */
export function trunkNumber(trunk: OutboundTrunkConfig, to: string): { e164: string; user: string } {
  const e164 = toE164(to, trunk.country);
  return { e164, user: formatNumber(e164, trunk.numberFormat, trunk.country) };
}

/** Builds the UAC request for a call through `trunk`. Throws CallRejectedError 484 for a bad number. */
export function trunkCallRequest(trunk: OutboundTrunkConfig, o: TrunkCallOptions): OutgoingCallRequest & { e164: string; fromUser: string } {
  const { e164, user } = trunkNumber(trunk, o.to);
  const defaultPort = trunk.transport === 'tls' ? 5061 : 5060;
  const scheme = trunk.transport === 'tls' ? 'sips' : 'sip';
  const hp = hostPort(trunk.host, trunk.port, defaultPort);
  const transportParam = trunk.transport === 'tcp' ? ';transport=tcp' : '';
  const callerId = o.from ?? trunk.callerId ?? 'trunkbridge';
  const fromUser = isNumber(callerId) ? formatNumber(toE164(callerId, trunk.country), trunk.numberFormat, trunk.country) : callerId;
  const next = trunk.proxy ?? { host: trunk.host, port: trunk.port, explicitPort: trunk.explicitPort };
  return {
    e164,
    fromUser,
    requestUri: `${scheme}:${user}@${hp}${transportParam}${isNumber(user) ? ';user=phone' : ''}`,
    fromUri: `${scheme}:${fromUser}@${hp}${isNumber(fromUser) ? ';user=phone' : ''}`,
    ...(o.fromDisplayName ? { fromDisplayName: o.fromDisplayName } : {}),
    nextHop: { host: next.host, port: next.port, transport: trunk.transport, explicitPort: next.explicitPort ?? true },
    ...(trunk.proxy ? { route: `<${scheme}:${hostPort(trunk.proxy.host, trunk.proxy.port, defaultPort)};lr${transportParam}>` } : {}),
    sdp: o.sdp,
    headers: [...Object.entries(trunk.headers), ...(o.headers ?? [])],
    ...(trunk.auth ? { credentials: { username: trunk.auth.username, password: trunk.auth.password } } : {}),
    ringTimeoutMs: o.ringTimeoutMs,
  };
}

/**
 * The UAC request for a call straight to a SIP URI (a PBX extension, an agent's phone): next hop from the
 * URI (host, port, transport param, sips → TLS 5061), From `sip:<fromUser>@<ourHost>`.
 */
export function uriCallRequest(
  uri: string,
  o: { fromUser: string; ourHost: string; sdp: string; ringTimeoutMs: number; credentials?: { username: string; password: string } },
): OutgoingCallRequest {
  const m = /^(sips?):(?:[^@;?]*@)?(\[[^\]]+\]|[^:;?]+)(?::(\d+))?/i.exec(uri);
  if (!m) throw new CallRejectedError('bad-uri', `cannot route to ${uri}`);
  const tls = m[1].toLowerCase() === 'sips' || /;transport=tls/i.test(uri);
  const host = m[2].replace(/^\[|\]$/g, '');
  return {
    requestUri: uri,
    fromUri: `sip:${o.fromUser}@${o.ourHost}`,
    nextHop: {
      host,
      port: m[3] ? Number(m[3]) : tls ? 5061 : 5060,
      transport: tls ? 'tls' : /;transport=tcp/i.test(uri) ? 'tcp' : 'udp',
      // RFC 3263 §4.2: SRV only when the URI has no port.
      explicitPort: m[3] !== undefined,
    },
    sdp: o.sdp,
    ...(o.credentials ? { credentials: o.credentials } : {}),
    ringTimeoutMs: o.ringTimeoutMs,
  };
}
