/**
 * A client of the bridge's `GET /v1/events`: opens the stream and collects its events, parsed by the console's
 * own SSE parser, until `stop`.
 */
import { eventStreamParser } from '../../../console/src/event-stream.js';

export interface FollowedStream {
  /** Every event so far, its data parsed as JSON. */
  readonly events: Array<{ event: string; data: any }>;
  /** The answer's status and Content-Type. */
  readonly status: number;
  readonly contentType: string | null;
  stop(): void;
}

export async function followEvents(url: string, key?: string): Promise<FollowedStream> {
  const abort = new AbortController();
  const res = await fetch(url, { headers: key ? { Authorization: `Bearer ${key}` } : {}, signal: abort.signal });
  const events: Array<{ event: string; data: any }> = [];
  const feed = eventStreamParser();
  if (res.body) {
    void (async () => {
      const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        for (const e of feed(value)) events.push({ event: e.event, data: JSON.parse(e.data) });
      }
    })().catch(() => {}); // the stream ends with an abort at `stop`
  }
  return { events, status: res.status, contentType: res.headers.get('content-type'), stop: () => abort.abort() };
}
