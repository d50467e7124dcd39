/**
 * Phone number normalisation and the formats carriers expect in a Request-URI user part. Pure.
 * E.164 is the pivot: every input is first brought to "+<country code><national significant number>".
 */
import { CallRejectedError } from '../core/errors.js';

export type NumberFormat = 'e164' | 'e164-no-plus' | 'national';

/** Dialling facts for one country (ITU-T E.164 assignments, national trunk and international prefixes). */
export interface CountryDialPlan {
  /** Country calling code without "+". */
  cc: string;
  /** National trunk prefix dialled before the significant number ("0"), or "" (NANP, Spain, Italy...). */
  trunkPrefix: string;
  /** International call prefix ("00", "011"). */
  exitPrefix: string;
}

/**
 * The countries a trunk may name (`country`), for reading national numbers both ways (inbound dialed numbers,
 * outbound destinations and national output). Extend as carriers need; unknown ones fail config validation.
 */
export const DIAL_PLANS: Readonly<Record<string, CountryDialPlan>> = {
  US: { cc: '1', trunkPrefix: '', exitPrefix: '011' },
  CA: { cc: '1', trunkPrefix: '', exitPrefix: '011' },
  PR: { cc: '1', trunkPrefix: '', exitPrefix: '011' },
  GB: { cc: '44', trunkPrefix: '0', exitPrefix: '00' },
  IE: { cc: '353', trunkPrefix: '0', exitPrefix: '00' },
  DE: { cc: '49', trunkPrefix: '0', exitPrefix: '00' },
  FR: { cc: '33', trunkPrefix: '0', exitPrefix: '00' },
  NL: { cc: '31', trunkPrefix: '0', exitPrefix: '00' },
  BE: { cc: '32', trunkPrefix: '0', exitPrefix: '00' },
  CH: { cc: '41', trunkPrefix: '0', exitPrefix: '00' },
  AT: { cc: '43', trunkPrefix: '0', exitPrefix: '00' },
  ES: { cc: '34', trunkPrefix: '', exitPrefix: '00' },
  // Italy keeps the leading 0 of fixed numbers inside the significant number: no trunk prefix to strip.
  IT: { cc: '39', trunkPrefix: '', exitPrefix: '00' },
  PT: { cc: '351', trunkPrefix: '', exitPrefix: '00' },
  RO: { cc: '40', trunkPrefix: '0', exitPrefix: '00' },
  PL: { cc: '48', trunkPrefix: '', exitPrefix: '00' },
  CZ: { cc: '420', trunkPrefix: '', exitPrefix: '00' },
  GR: { cc: '30', trunkPrefix: '', exitPrefix: '00' },
  DK: { cc: '45', trunkPrefix: '', exitPrefix: '00' },
  NO: { cc: '47', trunkPrefix: '', exitPrefix: '00' },
  SE: { cc: '46', trunkPrefix: '0', exitPrefix: '00' },
  FI: { cc: '358', trunkPrefix: '0', exitPrefix: '00' },
  TR: { cc: '90', trunkPrefix: '0', exitPrefix: '00' },
  IL: { cc: '972', trunkPrefix: '0', exitPrefix: '00' },
  AE: { cc: '971', trunkPrefix: '0', exitPrefix: '00' },
  SA: { cc: '966', trunkPrefix: '0', exitPrefix: '00' },
  EG: { cc: '20', trunkPrefix: '0', exitPrefix: '00' },
  ZA: { cc: '27', trunkPrefix: '0', exitPrefix: '00' },
  NG: { cc: '234', trunkPrefix: '0', exitPrefix: '009' },
  KE: { cc: '254', trunkPrefix: '0', exitPrefix: '000' },
  AU: { cc: '61', trunkPrefix: '0', exitPrefix: '0011' },
  NZ: { cc: '64', trunkPrefix: '0', exitPrefix: '00' },
  JP: { cc: '81', trunkPrefix: '0', exitPrefix: '010' },
  KR: { cc: '82', trunkPrefix: '0', exitPrefix: '001' },
  CN: { cc: '86', trunkPrefix: '0', exitPrefix: '00' },
  HK: { cc: '852', trunkPrefix: '', exitPrefix: '001' },
  SG: { cc: '65', trunkPrefix: '', exitPrefix: '000' },
  MY: { cc: '60', trunkPrefix: '0', exitPrefix: '00' },
  ID: { cc: '62', trunkPrefix: '0', exitPrefix: '001' },
  PH: { cc: '63', trunkPrefix: '0', exitPrefix: '00' },
  TH: { cc: '66', trunkPrefix: '0', exitPrefix: '001' },
  VN: { cc: '84', trunkPrefix: '0', exitPrefix: '00' },
  IN: { cc: '91', trunkPrefix: '0', exitPrefix: '00' },
  PK: { cc: '92', trunkPrefix: '0', exitPrefix: '00' },
  BD: { cc: '880', trunkPrefix: '0', exitPrefix: '00' },
  LK: { cc: '94', trunkPrefix: '0', exitPrefix: '00' },
  BR: { cc: '55', trunkPrefix: '0', exitPrefix: '00' },
  MX: { cc: '52', trunkPrefix: '', exitPrefix: '00' },
  AR: { cc: '54', trunkPrefix: '0', exitPrefix: '00' },
  CL: { cc: '56', trunkPrefix: '', exitPrefix: '00' },
  CO: { cc: '57', trunkPrefix: '', exitPrefix: '00' },
  PE: { cc: '51', trunkPrefix: '0', exitPrefix: '00' },
};

/** True for "+" followed by 8 to 15 digits, the first not 0 (ITU-T E.164 §6: at most 15 digits). */
export function isE164(n: string): boolean {
  return /^\+[1-9]\d{7,14}$/.test(n);
}

function invalid(number: string, why: string): never {
  throw new CallRejectedError('invalid-number', `number "${number}": ${why}`);
}

/**
 * Normalises a dialled number to E.164 ("+12025550123"), the one rule for both directions. Visual separators
 * (space, "-", ".", "(", ")", RFC 3966) are ignored. In order:
 * - "+..." is already international;
 * - the country's international prefix ("011" in the US, "0011" in AU) or "00" is dropped;
 * - without a country, bare digits are read as international without "+" (what `e164-no-plus` carriers send);
 * - NANP (US, CA, PR): 10 digits get "+1", 11 digits starting with 1 get "+";
 * - a leading trunk prefix ("0") is replaced by the calling code (GB "020 7946 0000" → "+442079460000");
 * - digits that start with the calling code are international without "+" ("442079460000" on a GB trunk);
 * - in countries without a trunk prefix (ES, IT...) the calling code is prefixed ("612345678" ES → "+34612345678").
 * The result must be valid E.164 ({@link isE164}); extensions ("1000"), names and local numbers without an
 * area code are not numbers here.
 * @throws CallRejectedError 484 'invalid-number' for anything else (outbound calls and transfers answer 484).
 */
export function toE164(input: string, country?: string): string {
  const cleaned = input.trim().replace(/[\s\-.()]/g, '');
  if (!/^\+?\d+$/.test(cleaned)) invalid(input, 'only digits, an optional leading "+" and separators are allowed');
  const plan = country ? DIAL_PLANS[country.toUpperCase()] : undefined;
  if (country && !plan) invalid(input, `unknown country "${country}"`);
  let digits: string;
  if (cleaned.startsWith('+')) digits = cleaned.slice(1);
  else if (plan && cleaned.startsWith(plan.exitPrefix)) digits = cleaned.slice(plan.exitPrefix.length);
  else if (cleaned.startsWith('00')) digits = cleaned.slice(2);
  else if (!plan) digits = cleaned;
  else if (plan.cc === '1') {
    if (cleaned.length === 10) digits = `1${cleaned}`;
    else if (cleaned.length === 11 && cleaned.startsWith('1')) digits = cleaned;
    else invalid(input, 'a NANP number has 10 digits (or 11 starting with 1)');
  } else if (plan.trunkPrefix !== '' && cleaned.startsWith(plan.trunkPrefix)) digits = plan.cc + cleaned.slice(plan.trunkPrefix.length);
  else if (cleaned.startsWith(plan.cc)) digits = cleaned;
  else if (plan.trunkPrefix === '') digits = plan.cc + cleaned;
  else invalid(input, `a national number in ${country} starts with "${plan.trunkPrefix}"`);
  const e164 = `+${digits}`;
  if (!isE164(e164)) invalid(input, 'not a valid E.164 number');
  return e164;
}

/**
 * Inbound routing's reading of a dialed user part: {@link toE164} when it is a number, else the dialed string
 * unchanged (extensions, names: routing then tries them as they are and answers 404 when nothing matches).
 */
export function normalizeDialed(dialed: string, country?: string): string {
  try {
    return toE164(dialed, country);
  } catch {
    return dialed;
  }
}

/**
 * Writes an E.164 number the way a trunk wants it: `e164` "+12025550123", `e164-no-plus` "12025550123",
 * `national` for `country` ("2025550123" in the US, "0741926265" in Romania); a number of another country in
 * `national` format is written with the country's international prefix ("011442079460000" from the US).
 */
export function formatNumber(e164: string, format: NumberFormat, country?: string): string {
  const digits = e164.startsWith('+') ? e164.slice(1) : e164;
  if (format === 'e164') return `+${digits}`;
  if (format === 'e164-no-plus') return digits;
  const plan = country ? DIAL_PLANS[country.toUpperCase()] : undefined;
  if (!plan) invalid(e164, `national format needs a known country (got "${country ?? ''}")`);
  if (digits.startsWith(plan.cc)) return plan.trunkPrefix + digits.slice(plan.cc.length);
  return plan.exitPrefix + digits;
}
