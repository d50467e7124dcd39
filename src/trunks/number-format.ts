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

/** The countries a `national` trunk may name. Extend as carriers need; unknown ones fail config validation. */
export const DIAL_PLANS: Readonly<Record<string, CountryDialPlan>> = {
  US: { cc: '1', trunkPrefix: '', exitPrefix: '011' },
  CA: { cc: '1', trunkPrefix: '', exitPrefix: '011' },
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
  SE: { cc: '46', trunkPrefix: '0', exitPrefix: '00' },
  AU: { cc: '61', trunkPrefix: '0', exitPrefix: '0011' },
  NZ: { cc: '64', trunkPrefix: '0', exitPrefix: '00' },
  IN: { cc: '91', trunkPrefix: '0', exitPrefix: '00' },
  BR: { cc: '55', trunkPrefix: '0', exitPrefix: '00' },
  MX: { cc: '52', trunkPrefix: '', exitPrefix: '00' },
  ZA: { cc: '27', trunkPrefix: '0', exitPrefix: '00' },
  IL: { cc: '972', trunkPrefix: '0', exitPrefix: '00' },
  JP: { cc: '81', trunkPrefix: '0', exitPrefix: '010' },
  SG: { cc: '65', trunkPrefix: '', exitPrefix: '000' },
};

function invalid(number: string, why: string): never {
  throw new CallRejectedError(484, 'invalid-number', `number "${number}": ${why}`);
}

/**
 * Normalises a dialled number to E.164 ("+12025550123"). Accepts "+..." and "00..." international forms,
 * and national forms for `country` (trunk prefix stripped, e.g. GB "020 7946 0000" → "+442079460000"; NANP
 * 10-digit numbers for US/CA). Visual separators (space, "-", ".", "(", ")") are ignored. Digits without
 * any of those cues and no country are taken as international without "+".
 * @throws CallRejectedError 484 'invalid-number' for anything else.
 */
export function toE164(input: string, country?: string): string {
  const cleaned = input.trim().replace(/[\s\-.()]/g, '');
  if (!/^\+?\d+$/.test(cleaned)) invalid(input, 'only digits, an optional leading "+" and separators are allowed');
  let digits: string;
  const plan = country ? DIAL_PLANS[country.toUpperCase()] : undefined;
  if (country && !plan) invalid(input, `unknown country "${country}"`);
  if (cleaned.startsWith('+')) digits = cleaned.slice(1);
  else if (plan && cleaned.startsWith(plan.exitPrefix)) digits = cleaned.slice(plan.exitPrefix.length);
  else if (!plan && cleaned.startsWith('00')) digits = cleaned.slice(2);
  else if (plan && plan.trunkPrefix !== '' && cleaned.startsWith(plan.trunkPrefix)) digits = plan.cc + cleaned.slice(plan.trunkPrefix.length);
  else if (plan && plan.cc === '1' && cleaned.length === 10) digits = `1${cleaned}`;
  else if (plan && plan.trunkPrefix === '' && !cleaned.startsWith(plan.cc)) digits = plan.cc + cleaned;
  else digits = cleaned;
  // E.164 §6: at most 15 digits; the shortest real numbers (with country code) have 7-8.
  if (digits.length < 7 || digits.length > 15 || digits.startsWith('0')) invalid(input, 'not a valid E.164 number');
  return `+${digits}`;
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
