/**
 * User-Agents of SIP scanners and crackers (sipvicious' friendly-scanner, sipcli, sundayddr, VaxSIPUserAgent,
 * pplsip, ...; not sipsak, which administrators use). Kamailio's shipped configuration drops these silently:
 * an answer only confirms that a SIP server listens here. Matching is a case-insensitive substring test.
 */
export const DEFAULT_SCANNER_USER_AGENTS: readonly string[] = [
  'friendly-scanner',
  'sipvicious',
  'sipcli',
  'sip-scan',
  'sundayddr',
  'iWar',
  'VaxSIPUserAgent',
  'pplsip',
  'SIVuS',
  'nmap',
];

/** Lower-cased patterns, ready for {@link isScannerUserAgent}. */
export function scannerPatterns(list: readonly string[]): readonly string[] {
  return list.map((p) => p.toLowerCase()).filter((p) => p.length > 0);
}

/** True when `userAgent` contains one of `patterns` (lower case). A missing User-Agent is legitimate. */
export function isScannerUserAgent(userAgent: string | undefined, patterns: readonly string[]): boolean {
  if (userAgent === undefined || patterns.length === 0) return false;
  const ua = userAgent.toLowerCase();
  return patterns.some((p) => ua.includes(p));
}
