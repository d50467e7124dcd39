/**
 * A value a bot sent, for an error message or a log line: strings quoted and cut to 64 characters, anything else
 * by its kind. Never JSON.stringify a bot's value: `{"type":[[[…]]]}` nested a few thousand deep parses fine
 * and then overflows the stack when stringified, which threw out of a dialect's receive().
 */
export function describeValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 62 ? v.slice(0, 62) : v).slice(0, 64);
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  return String(v).slice(0, 64);
}
