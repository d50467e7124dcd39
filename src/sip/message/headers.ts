import { headerKey, LIST_HEADERS } from './header-names.js';
import { splitOutside } from './text.js';

/**
 * Ordered, case-insensitive header multimap. Keeps every header line in arrival order with the name as it
 * was sent, so a relayed or logged message looks like the original; lookups understand compact forms
 * ("v" = "Via", §7.3.3).
 */
export class SipHeaders {
  private readonly list: Array<[string, string]> = [];

  constructor(entries?: Iterable<readonly [string, string]>) {
    if (entries) for (const [n, v] of entries) this.list.push([n, v]);
  }

  /** First value for `name`, or undefined. */
  get(name: string): string | undefined {
    const key = headerKey(name);
    for (const [n, v] of this.list) if (headerKey(n) === key) return v;
    return undefined;
  }

  /** Every line's value for `name`, in order (a line with commas stays one value). */
  getAll(name: string): string[] {
    const key = headerKey(name);
    const out: string[] = [];
    for (const [n, v] of this.list) if (headerKey(n) === key) out.push(v);
    return out;
  }

  /**
   * Every element for a list header (§7.3.1): lines split on commas outside quotes and <...>.
   * For non-list headers this equals {@link getAll}.
   */
  getList(name: string): string[] {
    const key = headerKey(name);
    const values = this.getAll(name);
    if (!LIST_HEADERS.has(key)) return values;
    const out: string[] = [];
    for (const v of values) for (const part of splitOutside(v, ',')) if (part !== '') out.push(part);
    return out;
  }

  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  /** Adds a line at the end. */
  append(name: string, value: string): this {
    this.list.push([name, value]);
    return this;
  }

  /** Adds a line before every other line (a new top Via). */
  prepend(name: string, value: string): this {
    this.list.unshift([name, value]);
    return this;
  }

  /** Replaces all lines for `name` with one line at the position of the first (or at the end). */
  set(name: string, value: string): this {
    const key = headerKey(name);
    const idx = this.list.findIndex(([n]) => headerKey(n) === key);
    this.delete(name);
    if (idx < 0) this.list.push([name, value]);
    else this.list.splice(Math.min(idx, this.list.length), 0, [name, value]);
    return this;
  }

  /** Replaces the value of the first line for `name`. Returns false when there is none. */
  replaceFirst(name: string, value: string): boolean {
    const key = headerKey(name);
    const entry = this.list.find(([n]) => headerKey(n) === key);
    if (!entry) return false;
    entry[1] = value;
    return true;
  }

  /** Removes every line for `name`. */
  delete(name: string): this {
    const key = headerKey(name);
    for (let i = this.list.length - 1; i >= 0; i--) if (headerKey(this.list[i][0]) === key) this.list.splice(i, 1);
    return this;
  }

  /** All lines as [name, value] in order. */
  entries(): ReadonlyArray<readonly [string, string]> {
    return this.list;
  }

  get size(): number {
    return this.list.length;
  }

  clone(): SipHeaders {
    return new SipHeaders(this.list);
  }
}
