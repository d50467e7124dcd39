// Text for the carrier's portal, from the trunk form as it stands; and password advice as the user types.
import { checkPasswordPolicy } from '../../src/config/cross-checks.js';

/** One of our SIP listeners (GET /v1/whoami `sip`). */
export interface SipEndpoint {
  transport: string;
  host: string;
  port: number;
}

/** The parts of the trunk form the text reads. */
export interface TrunkFormValues {
  numbers?: ReadonlyArray<{ number: string }>;
  credentials?: ReadonlyArray<{ username: string }>;
  allow?: unknown;
  domain?: unknown;
}

/** What a carrier needs to send us this trunk's calls. `sip`: our listeners from GET /v1/whoami. */
export function carrierText(values: TrunkFormValues, sip: readonly SipEndpoint[], pageHost: string): string {
  const lines: string[] = [];
  const endpoints = sip.length > 0 ? sip : [{ transport: 'udp', host: pageHost, port: 5060 }];
  for (const e of endpoints) {
    // A wildcard bind address is no address for a carrier: the host this page was loaded from is the best guess.
    const host = e.host === '0.0.0.0' || e.host === '::' ? pageHost : e.host;
    lines.push(`SIP server: ${host}:${e.port} (${e.transport.toUpperCase()})   URI: sip:${host}:${e.port};transport=${e.transport}`);
  }
  const numbers = (values.numbers ?? []).map((n) => n.number.trim()).filter(Boolean);
  lines.push(`Numbers (send the dialled number in the Request-URI): ${numbers.join(', ') || '(none yet)'}`);
  if (typeof values.domain === 'string' && values.domain !== '') lines.push(`SIP domain: ${values.domain}`);
  const users = (values.credentials ?? []).map((c) => c.username.trim()).filter(Boolean);
  if (users.length > 0) lines.push(`Digest authentication: username ${users.join(' or ')} (password as set here)`);
  const allow = String(values.allow ?? '').split(/[\n,]+/).map((s) => s.trim()).filter(Boolean);
  if (allow.length > 0) lines.push(`We accept calls from: ${allow.join(', ')}`);
  if (users.length > 0 && allow.length > 0) lines.push('Both apply: calls must come from those addresses and authenticate.');
  if (users.length === 0 && allow.length === 0) lines.push('Authentication: none set yet (add allowed addresses or a SIP user)');
  return lines.join('\n');
}

/** The bridge's own password policy for trunk SIP users (config's check), shown as the user types. */
export function passwordAdvice(password: string, stored: boolean | undefined): string {
  if (!password) return stored ? 'unchanged' : 'required for a new user';
  return checkPasswordPolicy(password) ?? 'meets the policy';
}
