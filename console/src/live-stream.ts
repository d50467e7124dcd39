// Follows the bridge's event stream (GET /v1/events) over fetch, so the API key goes in a header (EventSource
// cannot send one): events as they come, a reconnect with backoff when the stream ends or stalls, and a verdict
// when there is no stream to follow (an older bridge: poll instead; a key refused: stop).
import { eventStreamParser } from './event-stream.js';
import { reconnectDelayMs } from './live-calls.js';

/** What the stream is doing: `live` once a snapshot came; `unsupported` (404/405: poll instead) and `refused` are final. */
export type StreamStatus = 'connecting' | 'live' | 'reconnecting' | 'unsupported' | 'refused';

export interface FollowOptions {
  /** Opens the stream (fetch with the key); `signal` aborts it. */
  open(signal: AbortSignal): Promise<Response>;
  onEvent(event: string, data: unknown): void;
  onStatus(status: StreamStatus, detail?: string): void;
  /** Stops following (the page went away). */
  signal: AbortSignal;
  /** Waits `ms` (resolves early when `signal` aborts). Default: a timer. */
  wait?(ms: number, signal: AbortSignal): Promise<void>;
  /** A stream silent this long (the bridge sends a heartbeat every 15 s) is dropped and reopened, ms. Default 45 000. */
  idleMs?: number;
  random?(): number;
}

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done);
  });

/** Follows the stream until `signal` aborts or a final status; never throws. */
export async function followEventStream(o: FollowOptions): Promise<void> {
  const wait = o.wait ?? sleep;
  let failures = 0;
  o.onStatus('connecting');
  while (!o.signal.aborted) {
    const verdict = await oneConnection(o, () => {
      failures = 0;
      o.onStatus('live');
    });
    if (o.signal.aborted) return;
    if (verdict === 'unsupported' || verdict === 'refused') {
      o.onStatus(verdict);
      return;
    }
    failures++;
    o.onStatus('reconnecting', verdict);
    await wait(reconnectDelayMs(failures, o.random), o.signal);
  }
}

/** One connection, read to its end: a final verdict, or why it ended (then reconnect). */
async function oneConnection(o: FollowOptions, onSnapshot: () => void): Promise<'unsupported' | 'refused' | string> {
  const conn = new AbortController();
  const stop = (): void => conn.abort();
  o.signal.addEventListener('abort', stop);
  let idle: ReturnType<typeof setTimeout> | undefined;
  const touch = (): void => {
    clearTimeout(idle);
    idle = setTimeout(stop, o.idleMs ?? 45_000);
  };
  try {
    touch();
    const res = await o.open(conn.signal);
    if (res.status === 404 || res.status === 405) return 'unsupported';
    if (res.status === 401 || res.status === 403) return 'refused';
    if (!res.ok || !res.body) return `HTTP ${res.status}`;
    const feed = eventStreamParser();
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    // Stopping (or the idle timer) ends the read at once, whatever the body's source does with the signal.
    conn.signal.addEventListener('abort', () => void reader.cancel().catch(() => {}));
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return conn.signal.aborted ? 'the stream went silent' : 'the stream ended';
      touch();
      for (const e of feed(value)) {
        let data: unknown;
        try {
          data = JSON.parse(e.data);
        } catch {
          continue; // not ours to read: skip it, keep the stream
        }
        if (e.event === 'snapshot') onSnapshot();
        o.onEvent(e.event, data);
      }
    }
  } catch (err) {
    return conn.signal.aborted && !o.signal.aborted ? 'the stream went silent' : (err as Error).message;
  } finally {
    clearTimeout(idle);
    o.signal.removeEventListener('abort', stop);
    conn.abort();
  }
}
