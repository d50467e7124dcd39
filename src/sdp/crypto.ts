/**
 * SDES key exchange (RFC 4568 a=crypto) for SRTP: reading the offer's crypto lines and writing ours.
 * Only what {@link SrtpContext} implements is accepted: AES_CM_128_HMAC_SHA1_80/_32, one inline key, no MKI,
 * no session parameters (UNENCRYPTED_SRTP, KDR...), since each of those would change the packet format.
 */
import { randomBytes } from 'node:crypto';
import type { MediaDescription } from 'sdp-transform';
import { SRTP_KEY_SALT_BYTES, SRTP_SUITES, type SrtpSuite } from '../media/srtp/index.js';

/** The profiles that carry SDES-keyed SRTP (DTLS-SRTP's UDP/TLS/RTP/SAVP is another matter). */
export function isSdesSrtp(protocol: string): boolean {
  return /^RTP\/SAVPF?$/i.test(protocol.trim());
}

/** One crypto line of an offer we can use. */
export interface OfferedCrypto {
  tag: number;
  suite: SrtpSuite;
  /** The far end's master key || salt (30 bytes). */
  keySalt: Buffer;
}

/** Why a crypto line was not usable (for the 488 message), or the line itself. */
export function readCrypto(line: { id: number; suite: string; config: string; sessionConfig?: string }): OfferedCrypto | string {
  const suite = SRTP_SUITES.find((s) => s === line.suite);
  if (!suite) return `suite ${line.suite} not supported`;
  if (line.sessionConfig !== undefined && line.sessionConfig.trim() !== '') return `session parameters "${line.sessionConfig}" not supported`;
  const params = line.config.split(';');
  if (params.length !== 1) return 'several keys not supported';
  const m = /^inline:([A-Za-z0-9+/=]+)(?:\|([^|]+))?(?:\|([^|]+))?$/.exec(params[0].trim());
  if (!m) return 'key parameter is not inline:<base64>';
  // After the key: an optional lifetime ("2^31" or digits), then an optional MKI ("1:4"); an MKI changes every packet.
  const extras = [m[2], m[3]].filter((x): x is string => x !== undefined);
  if (extras.some((x) => x.includes(':'))) return 'MKI not supported';
  if (extras.length > 1 || extras.some((x) => !/^(2\^\d+|\d+)$/.test(x))) return 'bad key lifetime';
  const keySalt = Buffer.from(m[1], 'base64');
  if (keySalt.length !== SRTP_KEY_SALT_BYTES) return `key||salt is ${keySalt.length} bytes, expected ${SRTP_KEY_SALT_BYTES}`;
  return { tag: line.id, suite, keySalt };
}

/** The first usable crypto line of an m-line, or the reasons none was. */
export function chooseCrypto(m: MediaDescription): OfferedCrypto | string[] {
  const reasons: string[] = [];
  for (const line of m.crypto ?? []) {
    const c = readCrypto(line);
    if (typeof c !== 'string') return c;
    reasons.push(`crypto:${line.id} ${c}`);
  }
  if (reasons.length === 0) reasons.push('no a=crypto line');
  return reasons;
}

/** Our answer's crypto line: the offer's tag and suite with our own fresh key (RFC 4568 5.1.2). */
export function answerCrypto(offered: OfferedCrypto, localKeySalt: Buffer = randomBytes(SRTP_KEY_SALT_BYTES)): {
  line: { id: number; suite: string; config: string };
  localKeySalt: Buffer;
} {
  return { line: { id: offered.tag, suite: offered.suite, config: `inline:${localKeySalt.toString('base64')}` }, localKeySalt };
}
