/**
 * Reading config: YAML text -> validated, defaulted, deep-frozen {@link Config}. Every problem (YAML syntax,
 * schema, cross-field) is reported in one {@link ConfigError} so an operator fixes the file in one pass.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { ConfigError, type ConfigIssue } from '../core/errors.js';
import { configSchema, type Config } from './schema.js';

/**
 * Parses and validates config text.
 * @param source file name for messages.
 * @throws ConfigError listing every problem, YAML syntax errors included (with line and column).
 */
export function parseConfig(text: string, source?: string): Config {
  return validateConfig(parseYaml(text, source), source);
}

/**
 * YAML text -> the plain value it holds (not validated): what the configuration store keeps and exports.
 * @throws ConfigError for YAML syntax errors (with line and column).
 */
export function parseYaml(text: string, source?: string): unknown {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((e) => {
        // Pretty messages append a source excerpt after the first line; keep the line with the position.
        const pos = e.linePos?.[0];
        const where = pos ? ` (line ${pos.line}, column ${pos.col})` : '';
        const msg = firstLine(e.message).replace(/ at line \d+, column \d+:?$/, '');
        return { path: '', message: `YAML syntax error${where}: ${msg}` };
      }),
      source,
    );
  }
  // An empty file means "all defaults".
  return doc.toJS({ maxAliasCount: 100 }) ?? {};
}

/**
 * A plain config value (YAML's, or the store's) -> validated, defaulted, deep-frozen {@link Config}.
 * @throws ConfigError listing every bad field.
 */
export function validateConfig(raw: unknown, source?: string): Config {
  const result = configSchema.safeParse(raw);
  if (!result.success) throw new ConfigError(toConfigIssues(result.error.issues), source);
  return deepFreeze(result.data);
}

/**
 * Reads and validates a config file.
 * @throws ConfigError naming the file when it cannot be read or is invalid.
 */
export function loadConfigFile(path: string): Config {
  return parseConfig(readConfigText(path), path);
}

/**
 * The text of a config file.
 * @throws ConfigError naming the file when it cannot be read.
 */
export function readConfigText(path: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError([{ path: '', message: `cannot read config file: ${(err as Error).message}` }], path);
  }
  return text;
}

/** Path of the config shipped with the package. src/config and dist/config are both two levels below the root. */
export function defaultConfigPath(): string {
  return fileURLToPath(new URL('../../config/default.yaml', import.meta.url));
}

/** The embedded config/default.yaml: loopback SIP, echo bot for every number. */
export function loadDefaultConfig(): Config {
  return loadConfigFile(defaultConfigPath());
}

function firstLine(s: string): string {
  const nl = s.indexOf('\n');
  return nl < 0 ? s : s.slice(0, nl);
}

/** Formats a zod path as `inboundTrunks[0].numbers["+15550100"].bot`. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (typeof seg === 'string' && /^[A-Za-z_][A-Za-z0-9_]*$/.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(String(seg))}]`;
  }
  return out;
}

/** One issue per bad field: unknown keys are split so each gets its own path. */
export function toConfigIssues(issues: ReadonlyArray<z.core.$ZodIssue>): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) out.push({ path: formatPath([...issue.path, key]), message: 'unknown key' });
    } else if (issue.code === 'invalid_key') {
      // A bad map key (a bot's name, a number): say what the key must look like, not only that it is bad.
      out.push({ path: formatPath(issue.path), message: `invalid name: ${issue.issues.map((i) => i.message).join('; ')}` });
    } else {
      out.push({ path: formatPath(issue.path), message: issue.message });
    }
  }
  return out;
}

/** Freezes an object graph in place so no layer can mutate shared config. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
