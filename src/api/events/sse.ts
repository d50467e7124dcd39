/**
 * Server-sent events framing (WHATWG HTML, "Server-sent events"), pure: strings out. Data is JSON on one line,
 * so no value can break the framing; names and ids are checked not to carry a line break.
 */

const NO_BREAK = /^[^\r\n]*$/;

/** One event: `event:` (its name), optional `id:`, one `data:` line of JSON, and the blank line that ends it. */
export function sseEvent(event: string, data: unknown, id?: string): string {
  if (!NO_BREAK.test(event) || (id !== undefined && !NO_BREAK.test(id))) throw new RangeError('an SSE event name or id cannot hold a line break');
  return `event: ${event}\n${id !== undefined ? `id: ${id}\n` : ''}data: ${JSON.stringify(data)}\n\n`;
}

/** A comment line (the client ignores it): keeps proxies and the client's idle timers from closing the stream. */
export function sseComment(text: string): string {
  return `: ${text.replace(/[\r\n]+/g, ' ')}\n\n`;
}

/** How long a client waits before it reconnects, ms (the `retry:` field). */
export function sseRetry(ms: number): string {
  return `retry: ${Math.max(0, Math.round(ms))}\n\n`;
}
