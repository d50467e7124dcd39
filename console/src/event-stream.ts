// Server-sent events read from a fetch body (EventSource cannot POST): text chunks in, whole events out.
// Pure, so the framing is tested on raw text (test/unit/console/event-stream.test.ts).

/** One event: its name (`message` when none is given) and its data lines joined by "\n". */
export interface StreamEvent {
  event: string;
  data: string;
}

/** Feeds chunks as they arrive; returns the events each chunk completed (a partial event waits for the next). */
export function eventStreamParser(): (chunk: string) => StreamEvent[] {
  let buffer = '';
  return (chunk) => {
    buffer += chunk.replace(/\r\n?/g, '\n');
    const out: StreamEvent[] = [];
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let event = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line === '' || line.startsWith(':')) continue; // a comment (keep-alive)
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'event') event = value;
        else if (field === 'data') data.push(value);
      }
      if (data.length > 0) out.push({ event, data: data.join('\n') });
    }
    return out;
  };
}
