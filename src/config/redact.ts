import type { Config } from './schema.js';

const REDACTED = '[redacted]';
/** Keys whose values are secrets wherever they appear. */
const SECRET_KEY = /pass(word)?|secret|token|credential|private/i;

/**
 * A copy of the config safe to log: bot header values (often bearer tokens) and any secret-looking field
 * are replaced by "[redacted]". The input is not modified.
 */
export function redactConfig(cfg: Config): unknown {
  return redact(cfg, []);
}

function redact(value: unknown, path: readonly string[]): unknown {
  if (Array.isArray(value)) return value.map((v) => redact(v, path));
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  // bots.<name>.headers.<header>: every header value may carry credentials.
  const isBotHeaders = path.length === 3 && path[0] === 'bots' && path[2] === 'headers';
  for (const [k, v] of Object.entries(value)) {
    // store.url: a libpq URL may carry the database password.
    if (path.length === 1 && path[0] === 'store' && k === 'url' && typeof v === 'string') out[k] = v.replace(/\/\/([^:@/]*):[^@/]*@/, `//$1:${REDACTED}@`);
    else if (isBotHeaders || (SECRET_KEY.test(k) && (typeof v === 'string' || typeof v === 'number'))) out[k] = REDACTED;
    else out[k] = redact(v, [...path, k]);
  }
  return out;
}
