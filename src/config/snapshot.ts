/**
 * The live configuration as a snapshot: one validated, frozen {@link Config} with the plain values it was built
 * from. The sections an operator changes through the admin API ({@link MANAGED_SECTIONS}) live in the
 * configuration store; the rest (listeners, media, API keys, logging, metrics) come from the YAML file and need a
 * restart to change. A new snapshot replaces the old one whole, so a call that took a snapshot keeps it.
 */
import { ConfigError, type ConfigIssue } from '../core/errors.js';
import { configSchema, type Config } from './schema.js';
import { deepFreeze, toConfigIssues } from './load.js';

/** The sections kept in the configuration store and changed through the admin API. */
export const MANAGED_SECTIONS = ['bots', 'inboundTrunks', 'outboundTrunks', 'transferDestinations', 'registrations'] as const;
export type ManagedSection = (typeof MANAGED_SECTIONS)[number];
/** The plain (unparsed) values of the managed sections, as the YAML or an API client wrote them. */
export type ManagedConfig = { readonly [K in ManagedSection]: unknown };

/** One immutable generation of the configuration. */
export interface ConfigSnapshot {
  /** The store's revision this snapshot was built from (0: never written). */
  readonly revision: number;
  readonly config: Config;
  /** The YAML's plain value without the managed sections. */
  readonly base: Readonly<Record<string, unknown>>;
  readonly managed: ManagedConfig;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Splits a plain config value into the file-only part and the managed sections (absent ones: empty). */
export function splitConfig(raw: unknown): { base: Record<string, unknown>; managed: ManagedConfig } {
  const base: Record<string, unknown> = {};
  const managed: Record<string, unknown> = { bots: {}, inboundTrunks: [], outboundTrunks: [], transferDestinations: {}, registrations: [] };
  for (const [k, v] of Object.entries(isRecord(raw) ? raw : {})) {
    if ((MANAGED_SECTIONS as readonly string[]).includes(k)) managed[k] = v ?? managed[k];
    else base[k] = v;
  }
  return { base, managed: managed as ManagedConfig };
}

/** The whole plain config value: the file's part and the managed sections. */
export function joinConfig(base: Readonly<Record<string, unknown>>, managed: ManagedConfig): Record<string, unknown> {
  return { ...base, ...managed };
}

/**
 * Validates managed sections against the file's part with the same schema and cross-checks as the YAML.
 * Returns the frozen snapshot, or every problem (paths as in the YAML: `inboundTrunks[0].allow[1]`).
 */
export function buildSnapshot(base: Readonly<Record<string, unknown>>, managed: ManagedConfig, revision: number): ConfigSnapshot | ConfigIssue[] {
  const result = configSchema.safeParse(joinConfig(base, managed));
  if (!result.success) return toConfigIssues(result.error.issues);
  return deepFreeze({ revision, config: result.data, base: structuredClone(base), managed: structuredClone(managed) });
}

/** {@link buildSnapshot} that throws the problems as one ConfigError. */
export function snapshotOrThrow(base: Readonly<Record<string, unknown>>, managed: ManagedConfig, revision: number, source?: string): ConfigSnapshot {
  const s = buildSnapshot(base, managed, revision);
  if (Array.isArray(s)) throw new ConfigError(s, source);
  return s;
}

/**
 * The file-only sections that differ between two snapshots' bases: a reload cannot change them (listeners,
 * ports, workers, keys), so they are reported as needing a restart.
 */
export function sectionsNeedingRestart(running: Readonly<Record<string, unknown>>, next: Readonly<Record<string, unknown>>): string[] {
  const keys = new Set([...Object.keys(running), ...Object.keys(next)]);
  return [...keys].filter((k) => JSON.stringify(running[k]) !== JSON.stringify(next[k])).sort();
}
