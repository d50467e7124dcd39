/**
 * Label values that come from configuration (trunk and bot names) are kept to a bounded set per label: the
 * first `limit` distinct names keep their own series, later ones count as `other`, so a configuration with
 * thousands of trunks (or one edited through the API for months) cannot grow the series count without bound.
 */

/** The value for "no trunk/bot known" (a call refused before it was routed). */
export const NO_LABEL = 'none';
export const OTHER_LABEL = 'other';

/** Config names are `[A-Za-z0-9][A-Za-z0-9_.-]{0,63}`; anything else is not a name we gave out. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export class BoundedLabel {
  private readonly seen = new Set<string>();

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`label limit must be a positive integer, got ${limit}`);
  }

  /** The label value for `name`: itself while there is room (or once seen), else `other`; `none` when absent. */
  value(name: string | undefined): string {
    if (name === undefined || name === '') return NO_LABEL;
    if (this.seen.has(name)) return name;
    if (!NAME.test(name) || name === OTHER_LABEL || name === NO_LABEL || this.seen.size >= this.limit) return OTHER_LABEL;
    this.seen.add(name);
    return name;
  }
}

/** SIP status -> its class label: 1xx .. 6xx, `other` outside 100..699. */
export function statusClass(status: number): string {
  return Number.isInteger(status) && status >= 100 && status <= 699 ? `${Math.floor(status / 100)}xx` : OTHER_LABEL;
}
