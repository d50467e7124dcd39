/**
 * The admin API's resources as collections over the managed configuration sections: each maps between the
 * section's plain YAML shape and the API's items (`{ name, ... }`, or `{ number, trunk, ... }` for numbers).
 * Pure functions over plain values; validation is the config schema's, run by the caller on the result.
 */
import type { z } from 'zod';
import type { ManagedConfig, ManagedSection } from '../../config/index.js';
import { AdminApiError } from './http.js';

export type Plain = Record<string, unknown>;

export function isRecord(v: unknown): v is Plain {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export interface Collection {
  /** URL segment: `/v1/<name>`. */
  readonly name: string;
  readonly section: ManagedSection;
  /** The field of an item that is its key in URLs. */
  readonly keyField: 'name' | 'number';
  /** The item's schema (YAML shape), for the OpenAPI document. */
  readonly schema: () => z.ZodType;
  /** Top-level keys that are secrets as a whole (a bot's headers). */
  readonly secretKeys: readonly string[];
  /** Keys an item shows and accepts only through another resource (a trunk's numbers). */
  readonly hiddenKeys: readonly string[];
  list(m: ManagedConfig): Plain[];
  get(m: ManagedConfig, key: string): Plain | undefined;
  /** Inserts or replaces the item with key `key` (item in API shape, key field included). */
  put(m: ManagedConfig, key: string, item: Plain): ManagedConfig;
  remove(m: ManagedConfig, key: string): ManagedConfig;
  /** The item's path in the config (for relating validation issues to its fields). */
  pathOf(m: ManagedConfig, key: string): Array<string | number> | undefined;
}

const asArray = (v: unknown): Plain[] => (Array.isArray(v) ? v.filter(isRecord) : []);
const asRecord = (v: unknown): Plain => (isRecord(v) ? v : {});

/** A section that is a list of items with unique `name`s (inboundTrunks, outboundTrunks, registrations). */
export function arrayCollection(name: string, section: ManagedSection, schema: () => z.ZodType, hiddenKeys: readonly string[] = []): Collection {
  const items = (m: ManagedConfig): Plain[] => asArray(m[section]);
  return {
    name,
    section,
    keyField: 'name',
    schema,
    secretKeys: [],
    hiddenKeys,
    list: (m) => items(m),
    get: (m, key) => items(m).find((i) => i.name === key),
    put: (m, key, item) => {
      const list = [...(Array.isArray(m[section]) ? (m[section] as unknown[]) : [])];
      const at = list.findIndex((i) => isRecord(i) && i.name === key);
      if (at >= 0) list[at] = item;
      else list.push(item);
      return { ...m, [section]: list };
    },
    remove: (m, key) => ({ ...m, [section]: (Array.isArray(m[section]) ? (m[section] as unknown[]) : []).filter((i) => !(isRecord(i) && i.name === key)) }),
    pathOf: (m, key) => {
      const at = (Array.isArray(m[section]) ? (m[section] as unknown[]) : []).findIndex((i) => isRecord(i) && i.name === key);
      return at >= 0 ? [section, at] : undefined;
    },
  };
}

/** A section that is a map name -> entry (bots, transferDestinations); items carry the name as `name`. */
export function recordCollection(name: string, section: ManagedSection, schema: () => z.ZodType, secretKeys: readonly string[] = []): Collection {
  return {
    name,
    section,
    keyField: 'name',
    schema,
    secretKeys,
    hiddenKeys: [],
    list: (m) => Object.entries(asRecord(m[section])).map(([k, v]) => ({ name: k, ...asRecord(v) })),
    get: (m, key) => (Object.hasOwn(asRecord(m[section]), key) ? { name: key, ...asRecord(asRecord(m[section])[key]) } : undefined),
    put: (m, key, item) => {
      const { name: _name, ...value } = item;
      return { ...m, [section]: { ...asRecord(m[section]), [key]: value } };
    },
    remove: (m, key) => {
      const { [key]: _gone, ...rest } = asRecord(m[section]);
      return { ...m, [section]: rest };
    },
    pathOf: (m, key) => (Object.hasOwn(asRecord(m[section]), key) ? [section, key] : undefined),
  };
}

/** Numbers match with or without a leading '+' (as routing and the config's cross-checks do). */
export const sameNumber = (a: string, b: string): boolean => a.replace(/^\+/, '') === b.replace(/^\+/, '');

/**
 * `/v1/numbers`: every DID of every inbound trunk, as `{ number, trunk, bot | mode+forwardTo, fallback }`.
 * A number has one owner: moving it to another trunk takes it off the first.
 */
export function numbersCollection(schema: () => z.ZodType): Collection {
  const trunks = (m: ManagedConfig): Plain[] => asArray(m.inboundTrunks);
  const find = (m: ManagedConfig, key: string): { trunk: Plain; index: number; number: string } | undefined => {
    const list = Array.isArray(m.inboundTrunks) ? (m.inboundTrunks as unknown[]) : [];
    for (let index = 0; index < list.length; index++) {
      const t = list[index];
      if (!isRecord(t)) continue;
      const number = Object.keys(asRecord(t.numbers)).find((n) => n === key) ?? Object.keys(asRecord(t.numbers)).find((n) => sameNumber(n, key));
      if (number !== undefined) return { trunk: t, index, number };
    }
    return undefined;
  };
  const without = (m: ManagedConfig, key: string): ManagedConfig => {
    const hit = find(m, key);
    if (!hit) return m;
    const { [hit.number]: _gone, ...rest } = asRecord(hit.trunk.numbers);
    const list = [...(m.inboundTrunks as unknown[])];
    list[hit.index] = { ...hit.trunk, numbers: rest };
    return { ...m, inboundTrunks: list };
  };
  return {
    name: 'numbers',
    section: 'inboundTrunks',
    keyField: 'number',
    schema,
    secretKeys: [],
    hiddenKeys: [],
    list: (m) => trunks(m).flatMap((t) => Object.entries(asRecord(t.numbers)).map(([n, v]) => ({ number: n, trunk: t.name, ...asRecord(v) }))),
    get: (m, key) => {
      const hit = find(m, key);
      return hit ? { number: hit.number, trunk: hit.trunk.name, ...asRecord(asRecord(hit.trunk.numbers)[hit.number]) } : undefined;
    },
    put: (m, key, item) => {
      const { number: _n, trunk, ...entry } = item;
      const cleared = without(m, key);
      const list = [...(Array.isArray(cleared.inboundTrunks) ? (cleared.inboundTrunks as unknown[]) : [])];
      const at = list.findIndex((t) => isRecord(t) && t.name === trunk);
      if (typeof trunk !== 'string' || at < 0) {
        const message = typeof trunk !== 'string' ? 'required: the inbound trunk that owns the number' : `unknown inbound trunk "${trunk}"`;
        throw new AdminApiError('bad-request', 'invalid number', { issues: [{ field: 'trunk', path: 'trunk', message }] });
      }
      const t = list[at] as Plain;
      list[at] = { ...t, numbers: { ...asRecord(t.numbers), [key]: entry } };
      return { ...cleared, inboundTrunks: list };
    },
    remove: (m, key) => without(m, key),
    pathOf: (m, key) => {
      const hit = find(m, key);
      return hit ? ['inboundTrunks', hit.index, 'numbers', hit.number] : undefined;
    },
  };
}
