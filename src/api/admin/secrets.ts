/**
 * Secrets are write-only: answers leave them out, and a replace that omits one keeps the stored value (a client
 * cannot read it back to send it again). A bot's `headers` count as one secret (their values carry tokens).
 */

/** Keys whose values are secrets wherever they appear. */
const SECRET_KEY = /^(password|secret|authToken|token)$/;

type Plain = Record<string, unknown>;

function isRecord(v: unknown): v is Plain {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A copy of an item without its secrets; `topLevel` lists extra top-level keys that are secret (bot headers). */
export function withoutSecrets(value: unknown, topLevel: readonly string[] = []): unknown {
  if (Array.isArray(value)) return value.map((v) => withoutSecrets(v));
  if (!isRecord(value)) return value;
  const out: Plain = {};
  for (const [k, v] of Object.entries(value)) {
    if (topLevel.includes(k) || (SECRET_KEY.test(k) && (typeof v === 'string' || typeof v === 'number'))) continue;
    out[k] = withoutSecrets(v);
  }
  return out;
}

/**
 * The top-level secrets an item has stored (`["headers", "secret"]`), answered as `secretsSet` so a client can
 * show "set" / "not set" without the values. Nested ones (a trunk's SIP users' passwords) are not listed.
 */
export function secretsSet(value: unknown, topLevel: readonly string[] = []): string[] {
  if (!isRecord(value)) return [];
  return Object.entries(value)
    .filter(([k, v]) => v !== undefined && v !== null && (topLevel.includes(k) || (SECRET_KEY.test(k) && (typeof v === 'string' || typeof v === 'number'))))
    .map(([k]) => k)
    .sort();
}

/** `next` with every secret it omits taken from `old` (array items matched by `username`, else by position). */
export function keepSecrets(old: unknown, next: unknown, topLevel: readonly string[] = []): unknown {
  if (Array.isArray(old) && Array.isArray(next)) {
    return next.map((n, i) => {
      const byUser = isRecord(n) && typeof n.username === 'string' ? old.find((o) => isRecord(o) && o.username === n.username) : undefined;
      return keepSecrets(byUser ?? (isRecord(n) && typeof n.username === 'string' ? undefined : old[i]), n);
    });
  }
  if (!isRecord(old) || !isRecord(next)) return next;
  const out: Plain = { ...next };
  for (const [k, v] of Object.entries(old)) {
    if (!(k in next) && (topLevel.includes(k) || SECRET_KEY.test(k))) out[k] = v;
    else if (k in next) out[k] = keepSecrets(v, next[k]);
  }
  return out;
}

/** RFC 7396 JSON merge patch: objects merge, `null` removes, anything else replaces. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isRecord(patch)) return patch;
  const out: Plain = isRecord(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}
