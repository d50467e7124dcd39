// "+1 202 555 0123 is sent as sip:2025550123@host": the bridge's own number-format code, bundled into the page.
import { formatNumber, toE164, type NumberFormat } from '../../src/trunks/number-format.js';

/** The outbound trunk form's fields the preview reads. */
export interface PreviewValues {
  host?: string;
  route?: string;
  numberFormat?: string;
  country?: string;
}

const FORMATS: readonly string[] = ['e164', 'e164-no-plus', 'national'];

export function previewText(sample: string, values: PreviewValues): string {
  const host = values.host || (values.route ? values.route.split(/[;:]/)[0] : 'host');
  const format = (FORMATS.includes(values.numberFormat ?? '') ? values.numberFormat : 'e164') as NumberFormat;
  try {
    const country = values.country || undefined;
    return `${sample} is sent as sip:${formatNumber(toE164(sample, country), format, country)}@${host}`;
  } catch (err) {
    return `${sample}: ${(err as Error).message}`;
  }
}
