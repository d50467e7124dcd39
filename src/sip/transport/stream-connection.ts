import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import type { Clock, TimerHandle } from '../../core/clock.js';
import { SipStreamFramer } from '../parser/framer.js';
import { rawCallId } from './bad-request.js';
import { normalizeAddress } from './response-routing.js';
import type { SipEndpoint, SipTransportName } from './transport.js';

export interface StreamConnectionOptions {
  transport: Exclude<SipTransportName, 'udp'>;
  clock: Clock;
  logger: Logger;
  /** Closed after this long without a byte in either direction. */
  idleTimeoutMs: number;
  /** A message started but not finished within this time closes the connection (slow-loris guard). */
  incompleteMessageTimeoutMs: number;
  /** Largest message; a longer head or declared body cuts the connection (RFC 3261 §18.3 framing lost). */
  maxMessageBytes: number;
  /** One framed message, unparsed: the owner runs it through the shared ingress (guards, parse). */
  onFrame: (raw: Buffer, conn: StreamConnection) => void;
  /** The stream could not be framed (oversize or bad Content-Length): the connection is being cut. */
  onFramingLost?: (reason: string) => void;
  onClose: (conn: StreamConnection) => void;
}

/**
 * One TCP or TLS connection carrying SIP (RFC 3261 §18.3): Content-Length framing over split and coalesced
 * chunks, CRLF keep-alive answered with a pong (RFC 5626 §3.5.1), idle and incomplete-message timers on the
 * injected clock, and a hard cut when the byte stream can no longer be framed.
 */
export class StreamConnection {
  readonly remote: SipEndpoint;
  private readonly framer: SipStreamFramer;
  private readonly log: Logger;
  private idleTimer: TimerHandle | undefined;
  private incompleteTimer: TimerHandle | undefined;
  private closed = false;

  constructor(
    readonly socket: Socket,
    private readonly options: StreamConnectionOptions,
  ) {
    this.remote = {
      address: normalizeAddress(socket.remoteAddress ?? ''),
      port: socket.remotePort ?? 0,
      transport: options.transport,
    };
    this.log = options.logger.child({ peer: `${this.remote.address}:${this.remote.port}`, transport: options.transport });
    this.framer = new SipStreamFramer({ maxMessageBytes: options.maxMessageBytes });
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', (err) => this.log.debug({ err }, 'SIP connection error'));
    socket.on('close', () => this.teardown());
    this.touch();
  }

  /** "address:port" of the peer, the key connections are found by. */
  get key(): string {
    return endpointKey(this.remote.address, this.remote.port);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Writes bytes; rejects when the connection is gone. */
  write(data: Buffer): Promise<void> {
    if (this.closed || this.socket.destroyed) return Promise.reject(new Error(`connection to ${this.key} closed`));
    this.touch();
    return new Promise((resolve, reject) => {
      this.socket.write(data, (err) => (err ? reject(err) : resolve()));
    });
  }

  /** Closes the connection now. */
  close(reason: string): void {
    if (this.closed) return;
    this.log.debug({ reason }, 'closing SIP connection');
    this.socket.destroy();
    this.teardown();
  }

  private receive(chunk: Buffer): void {
    if (this.closed) return;
    this.touch();
    // RFC 5626 §3.5.1: a double-CRLF "ping" between messages is answered with a single CRLF "pong".
    if (this.framer.pendingBytes === 0 && isCrlfOnly(chunk)) {
      if (chunk.length >= 4) this.socket.write('\r\n');
      return;
    }
    // Messages complete before a framing error in the same chunk are still delivered; then the cut.
    const { frames, lost, rest } = this.framer.pushRaw(chunk);
    for (const raw of frames) {
      if (this.closed) return;
      try {
        this.options.onFrame(raw, this);
      } catch (err) {
        this.log.error({ err, sipCallId: rawCallId(raw) }, 'SIP message handler threw');
      }
    }
    if (lost && !this.closed) {
      // Framing is lost (no/bad Content-Length, oversize head or body): nothing after this can be trusted.
      this.log.warn({ reason: lost.message, sipCallId: rawCallId(rest ?? chunk) }, 'SIP stream cannot be framed; closing connection');
      this.options.onFramingLost?.(lost.message);
      this.close('framing error');
      return;
    }
    this.armIncompleteTimer();
  }

  private touch(): void {
    this.idleTimer?.cancel();
    if (this.closed) return;
    this.idleTimer = this.options.clock.setTimeout(() => this.close('idle timeout'), this.options.idleTimeoutMs);
  }

  private armIncompleteTimer(): void {
    if (this.framer.pendingBytes === 0) {
      this.incompleteTimer?.cancel();
      this.incompleteTimer = undefined;
      return;
    }
    // Started once per partial message, not re-armed by each trickled byte.
    this.incompleteTimer ??= this.options.clock.setTimeout(
      () => this.close('incomplete message timeout'),
      this.options.incompleteMessageTimeoutMs,
    );
  }

  private teardown(): void {
    if (this.closed) return;
    this.closed = true;
    this.idleTimer?.cancel();
    this.incompleteTimer?.cancel();
    this.options.onClose(this);
  }
}

/** Connection map key. */
export function endpointKey(address: string, port: number): string {
  return `${normalizeAddress(address)}|${port}`;
}

function isCrlfOnly(chunk: Buffer): boolean {
  for (const b of chunk) if (b !== 0x0d && b !== 0x0a) return false;
  return true;
}
