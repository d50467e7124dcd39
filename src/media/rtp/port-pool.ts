/**
 * Pool of local UDP ports for RTP. Each allocation binds an even port (RTP convention; RTCP would take the odd
 * one above). Ports are handed out round-robin so a port just released is not reused at once and stray
 * packets of an ended call do not land in a new one.
 */
import dgram from 'node:dgram';
import dns from 'node:dns';
import { isIP, isIPv6 } from 'node:net';
import { PortPoolExhaustedError } from '../../core/errors.js';

/** A packet to send just before a socket closes (an RTCP BYE), so the close waits for its send to finish. */
export interface LastPacket {
  via: 'rtp' | 'rtcp';
  packet: Buffer;
  port: number;
  address: string;
}

/** A bound RTP socket, with the RTCP socket on the odd port above when the pool was asked for one. */
export interface RtpSocket {
  readonly port: number;
  readonly socket: dgram.Socket;
  /** RTCP socket on port + 1 (pools created with `rtcp: true`). */
  readonly rtcp?: dgram.Socket;
  /**
   * Closes the socket(s) and returns the port to the pool; safe to call twice. `last` packets are sent first:
   * each socket closes once its send completed (dgram drops a send still resolving its address at close).
   */
  close(last?: readonly LastPacket[]): void;
}

export interface RtpPortPoolOptions {
  /** Lowest port (rounded up to even). */
  min: number;
  /** Highest port (inclusive). */
  max: number;
  /** Local address to bind, e.g. '0.0.0.0', '127.0.0.1' or '::'. */
  host: string;
  /** Also bind the odd port above each even one for RTCP (RFC 3550 11); a pair is skipped if either is taken. */
  rtcp?: boolean;
  /**
   * Where the round robin starts (default `min`). Pools of several threads share one range, each starting at
   * its own offset; a port another pool holds is skipped like any port in use.
   */
  start?: number;
}

export class RtpPortPool {
  private readonly min: number;
  private readonly max: number;
  private readonly host: string;
  private readonly rtcp: boolean;
  private readonly used = new Set<number>();
  private next: number;

  constructor(opts: RtpPortPoolOptions) {
    this.min = opts.min + (opts.min % 2);
    this.max = opts.max;
    this.host = opts.host;
    this.rtcp = opts.rtcp ?? false;
    if (!Number.isInteger(this.min) || !Number.isInteger(this.max) || this.min > this.max || this.min < 1 || this.max > 65535) {
      throw new RangeError(`invalid RTP port range ${opts.min}-${opts.max}`);
    }
    const start = opts.start ?? this.min;
    this.next = start >= this.min && start <= this.max ? start - ((start - this.min) % 2) : this.min;
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
      if (this.rtcp && port + 1 > this.max) continue;
      this.used.add(port); // reserve before the await so concurrent allocations never pick the same port
      let socket: dgram.Socket | undefined;
      try {
        socket = await bind(port, this.host);
        const rtcp = this.rtcp ? await bind(port + 1, this.host) : undefined;
        return this.wrap(port, socket, rtcp);
      } catch (err) {
        this.used.delete(port);
        if (socket) closeQuietly(socket);
        if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') continue;
        throw err;
      }
    }
    throw new PortPoolExhaustedError(`no free RTP port in ${this.min}-${this.max}`);
  }

  private wrap(port: number, socket: dgram.Socket, rtcp?: dgram.Socket): RtpSocket {
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
      ...(rtcp ? { rtcp } : {}),
      close: (last?: readonly LastPacket[]) => {
        if (closed) return;
        release();
        closeAfter(socket, last?.filter((l) => l.via === 'rtp'));
        if (rtcp) closeAfter(rtcp, last?.filter((l) => l.via === 'rtcp'));
      },
    };
  }
}

function closeQuietly(socket: dgram.Socket): void {
  try {
    socket.close();
  } catch {
    // ERR_SOCKET_DGRAM_NOT_RUNNING: already closed by its owner; the port is released either way.
  }
}

/** Sends `last` packets, then closes the socket once every send has called back (at once if none). */
function closeAfter(socket: dgram.Socket, last: readonly LastPacket[] | undefined): void {
  let pending = last?.length ?? 0;
  if (pending === 0) {
    closeQuietly(socket);
    return;
  }
  const done = () => {
    if (--pending === 0) closeQuietly(socket);
  };
  for (const l of last!) {
    try {
      socket.send(l.packet, l.port, l.address, done);
    } catch {
      done(); // a bad address throws synchronously: nothing to wait for
    }
  }
}

/**
 * dgram passes every send's address through `dns.lookup`, which answers an IP literal on the next tick: a tick,
 * its closures and a drain of the tick queue per RTP packet (about 4 % of a media worker's allocation at 200
 * calls). A literal (what SDP almost always carries) is answered at once; a name still goes to the resolver.
 */
export function lookupLiteralAtOnce(host: string, options: dns.LookupOneOptions, callback: (err: NodeJS.ErrnoException | null, address: string, family: number) => void): void {
  const family = isIP(host);
  if (family !== 0) callback(null, host, family);
  else dns.lookup(host, options, callback);
}

function bind(port: number, host: string): Promise<dgram.Socket> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket({ type: isIPv6(host) ? 'udp6' : 'udp4', lookup: lookupLiteralAtOnce });
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
