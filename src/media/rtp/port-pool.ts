/**
 * Pool of local UDP ports for RTP. Each allocation binds an even port (RTP convention; RTCP would take the odd
 * one above). Ports are handed out round-robin so a port just released is not reused at once and stray
 * packets of an ended call do not land in a new one.
 */
import dgram from 'node:dgram';
import { isIPv6 } from 'node:net';
import { PortPoolExhaustedError } from '../../core/errors.js';

/** A bound RTP socket. */
export interface RtpSocket {
  readonly port: number;
  readonly socket: dgram.Socket;
  /** Closes the socket and returns the port to the pool; safe to call twice. */
  close(): void;
}

export interface RtpPortPoolOptions {
  /** Lowest port (rounded up to even). */
  min: number;
  /** Highest port (inclusive). */
  max: number;
  /** Local address to bind, e.g. '0.0.0.0', '127.0.0.1' or '::'. */
  host: string;
}

export class RtpPortPool {
  private readonly min: number;
  private readonly max: number;
  private readonly host: string;
  private readonly used = new Set<number>();
  private next: number;

  constructor(opts: RtpPortPoolOptions) {
    this.min = opts.min + (opts.min % 2);
    this.max = opts.max;
    this.host = opts.host;
    if (!Number.isInteger(this.min) || !Number.isInteger(this.max) || this.min > this.max || this.min < 1 || this.max > 65535) {
      throw new RangeError(`invalid RTP port range ${opts.min}-${opts.max}`);
    }
    this.next = this.min;
  }

  /** Number of even ports in the range. */
  get size(): number {
    return Math.floor((this.max - this.min) / 2) + 1;
  }

  /** Ports currently handed out. */
  inUse(): number {
    return this.used.size;
  }

  /**
   * Binds the next free even port. Ports another process holds (EADDRINUSE) are skipped; rejects with
   * {@link PortPoolExhaustedError} when every port in the range was tried, or with the bind error for anything else.
   */
  async allocate(): Promise<RtpSocket> {
    for (let tries = 0; tries < this.size; tries++) {
      const port = this.next;
      this.next = port + 2 > this.max ? this.min : port + 2;
      if (this.used.has(port)) continue;
      this.used.add(port); // reserve before the await so concurrent allocations never pick the same port
      try {
        const socket = await bind(port, this.host);
        return this.wrap(port, socket);
      } catch (err) {
        this.used.delete(port);
        if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') continue;
        throw err;
      }
    }
    throw new PortPoolExhaustedError(`no free RTP port in ${this.min}-${this.max}`);
  }

  private wrap(port: number, socket: dgram.Socket): RtpSocket {
    let closed = false;
    const release = () => {
      if (closed) return;
      closed = true;
      this.used.delete(port);
    };
    socket.once('close', release); // closed behind our back still frees the port
    return {
      port,
      socket,
      close: () => {
        if (closed) return;
        release();
        try {
          socket.close();
        } catch {
          // ERR_SOCKET_DGRAM_NOT_RUNNING: already closed by its owner; the port is released either way.
        }
      },
    };
  }
}

function bind(port: number, host: string): Promise<dgram.Socket> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket({ type: isIPv6(host) ? 'udp6' : 'udp4' });
    const onError = (err: Error) => {
      try {
        socket.close();
      } catch {
        // never bound, nothing to close
      }
      reject(err);
    };
    socket.once('error', onError);
    socket.bind({ port, address: host, exclusive: true }, () => {
      socket.off('error', onError);
      resolve(socket);
    });
  });
}
