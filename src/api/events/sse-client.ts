/**
 * One client of an event stream: writes what it is given while the connection keeps up, and drops the
 * connection when more than `maxBufferedBytes` still wait unsent in this process as the next chunk comes (a slow
 * or stalled reader is cut off, never buffered without bound: at most the limit plus one chunk). A chunk bigger
 * than the limit (a snapshot of many calls) still goes to a client that keeps up. Its `onGone` runs exactly once, however it ends (the client left, it was dropped,
 * or the server closed it), so its owner can forget it.
 */
import type { ServerResponse } from 'node:http';

/** What a client needs of an HTTP response (node's ServerResponse). */
export type StreamResponse = Pick<ServerResponse, 'write' | 'end' | 'destroy' | 'once' | 'off' | 'writableLength' | 'destroyed'>;

export interface SseClientOptions {
  /** Bytes that may wait unsent before the client is dropped. */
  maxBufferedBytes: number;
  /** Called once when the client is gone; `dropped`: cut off for being too slow. */
  onGone(why: 'closed' | 'dropped'): void;
}

export class SseClient {
  private gone = false;
  private readonly onClose = (): void => this.finish('closed');

  constructor(
    private readonly res: StreamResponse,
    private readonly options: SseClientOptions,
  ) {
    res.once('close', this.onClose);
  }

  /** True until the connection ended (or was dropped). */
  get open(): boolean {
    return !this.gone;
  }

  /** Writes `chunk` (whole events); drops the client instead when its backlog is already past the limit. */
  send(chunk: string): void {
    if (this.gone) return;
    if (this.res.destroyed) {
      this.finish('closed');
      return;
    }
    if (this.res.writableLength > this.options.maxBufferedBytes) {
      this.finish('dropped');
      this.res.destroy();
      return;
    }
    this.res.write(chunk);
  }

  /** Ends the stream from our side (shutdown). Safe twice. */
  close(): void {
    if (this.gone) return;
    this.finish('closed');
    this.res.end();
  }

  private finish(why: 'closed' | 'dropped'): void {
    if (this.gone) return;
    this.gone = true;
    this.res.off('close', this.onClose);
    this.options.onGone(why);
  }
}
