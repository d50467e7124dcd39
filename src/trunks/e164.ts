/**
 * Dialed-number normalisation to E.164 (ITU-T E.164: "+" country code and national number, at most 15 digits).
 * No library covers this in our dependency set, and trunks only need the national → international step with
 * the trunk's country, so a small table of calling codes and trunk prefixes does it. Pure.
 */

/** ISO 3166-1 alpha-2 → country calling code. Countries sharing +1 (NANP) all map to "1". */
export const CALLING_CODES: Readonly<Record<string, string>> = {
  US: '1', CA: '1', PR: '1', GB: '44', IE: '353', IN: '91', DE: '49', FR: '33', ES: '34', IT: '39', NL: '31',
  BE: '32', CH: '41', AT: '43', SE: '46', NO: '47', DK: '45', FI: '358', PT: '351', PL: '48', CZ: '420',
  GR: '30', TR: '90', IL: '972', AE: '971', SA: '966', EG: '20', ZA: '27', NG: '234', KE: '254', AU: '61',
  NZ: '64', JP: '81', KR: '82', CN: '86', HK: '852', SG: '65', MY: '60', ID: '62', PH: '63', TH: '66',
  VN: '84', PK: '92', BD: '880', LK: '94', BR: '55', MX: '52', AR: '54', CL: '56', CO: '57', PE: '51',
};

/** True for "+" followed by 8 to 15 digits, the first not 0. */
export function isE164(n: string): boolean {
  return /^\+[1-9]\d{7,14}$/.test(n);
}

/**
 * The dialed user as E.164 when it is a phone number, else unchanged ("sales", "1000" extensions stay as they
 * are when no country is set). Visual separators ("-", ".", " ", "(", ")") are dropped first (RFC 3966).
 * - "+15550100" stays; "0015550100" / "01115550100" (international prefixes 00 and 011) become "+15550100".
 * - With a country: NANP numbers of 10 digits (or 11 starting with 1) get "+1"; elsewhere one leading trunk
 *   "0" is dropped and the calling code prefixed ("020 7946 0018" in GB → "+442079460018").
 */
export function toE164(dialed: string, country?: string): string {
  const compact = dialed.replace(/[-.\s()]/g, '');
  if (compact.startsWith('+')) return /^\+\d+$/.test(compact) ? compact : dialed;
  if (!/^\d+$/.test(compact)) return dialed;
  const cc = country ? CALLING_CODES[country.toUpperCase()] : undefined;
  if (compact.startsWith('00')) return `+${compact.slice(2)}`;
  if (cc === '1' && compact.startsWith('011')) return `+${compact.slice(3)}`;
  if (cc === undefined) return dialed;
  if (cc === '1') {
    if (compact.length === 10) return `+1${compact}`;
    if (compact.length === 11 && compact.startsWith('1')) return `+${compact}`;
    return dialed;
  }
  if (compact.startsWith('0') && compact.length >= 6) return `+${cc}${compact.slice(1)}`;
  // Already international without "+" ("442079460018" on a GB trunk).
  if (compact.startsWith(cc) && compact.length >= 8) return `+${compact}`;
  return dialed;
}
