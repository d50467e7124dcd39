import { createSocket, type Socket } from 'node:dgram';
import { isIPv4, isIPv6 } from 'node:net';
import type { Logger } from 'pino';
import { SipParseError } from '../../core/errors.js';
import { topViaOf } from '../message/accessors.js';
import { serializeSipMessage } from '../message/serialize.js';
import type { SipMessage } from '../message/types.js';
import { parseSipMessage } from '../parser/parse.js';
import { badRequestFor, rawCallId } from './bad-request.js';
import { normalizeAddress, responseDestination, stampReceived } from './response-routing.js';
import type { Destination, SipEndpoint, Transport } from './transport.js';

export interface UdpTransportOptions {
  host: string;
  /** 0 picks a free port; {@link UdpTransport.localAddress} reports it. */
  port: number;
  logger: Logger;
  /** Datagrams larger than this are dropped (default 16 KiB). */
  maxMessageBytes?: number;
  /** Server header value on stateless 400s. */
  serverName?: string;
}

/**
 * SIP over UDP (RFC 3261 §18), IPv4 or IPv6 by the bind host. One datagram = one message. Malformed
 * datagrams never stop the socket: requests that still have routable headers get a stateless 400,
 * anything else is dropped and logged.
 */
export class UdpTransport implements Transport {
  private readonly malformedListeners: Array<(error: SipParseError, source: SipEndpoint) => void> = [];
  readonly name = 'udp' as const;
  readonly reliable = false;
  private socket: Socket | undefined;
  private bound: SipEndpoint | undefined;
  private listener: ((msg: SipMessage, source: SipEndpoint) => void) | undefined;
  private closed = false;
  private readonly maxBytes: number;
  private readonly log: Logger;
  private readonly ipv6: boolean;

  constructor(private readonly options: UdpTransportOptions) {
    this.maxBytes = options.maxMessageBytes ?? 16 * 1024;
    this.log = options.logger.child({ component: 'sip-udp' });
    this.ipv6 = isIPv6(options.host);
  }

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = createSocket({ type: this.ipv6 ? 'udp6' : 'udp4' });
      this.socket = socket;
      const onError = (err: Error) => reject(err);
      socket.once('error', onError);
      socket.on('message', (buf, rinfo) => this.receive(buf, rinfo.address, rinfo.port));
      socket.bind(this.options.port, this.options.host, () => {
        socket.off('error', onError);
        socket.on('error', (err) => this.log.error({ err }, 'UDP socket error'));
        const addr = socket.address();
        this.bound = { address: addr.address, port: addr.port, transport: 'udp' };
        resolve();
      });
    });
  }

  localAddress(): SipEndpoint {
    if (!this.bound) throw new Error('UdpTransport not listening');
    return { ...this.bound };
  }

  onMalformed(listener: (error: SipParseError, source: SipEndpoint) => void): void {
    this.malformedListeners.push(listener);
  }

  onMessage(listener: (msg: SipMessage, source: SipEndpoint) => void): void {
    this.listener = listener;
  }

  send(msg: SipMessage, dest: Destination): Promise<void> {
    return this.sendRaw(serializeSipMessage(msg), dest);
  }

  private sendRaw(data: Buffer, dest: Destination): Promise<void> {
    const socket = this.socket;
    if (!socket || this.closed) return Promise.reject(new Error('UdpTransport closed'));
    // A udp6 socket reaches IPv4 peers only through IPv4-mapped addresses.
    const address = this.ipv6 && isIPv4(dest.address) ? `::ffff:${dest.address}` : dest.address;
    return new Promise((resolve, reject) => {
      socket.send(data, dest.port, address, (err) => (err ? reject(err) : resolve()));
    });
  }

  close(): Promise<void> {
    if (this.closed || !this.socket) {
      this.closed = true;
      return Promise.resolve();
    }
    this.closed = true;
    const socket = this.socket;
    return new Promise((resolve) => socket.close(() => resolve()));
  }

  /** Handles one datagram; exposed for tests through the socket only. */
  private receive(buf: Buffer, rawAddress: string, port: number): void {
    const source: SipEndpoint = { address: normalizeAddress(rawAddress), port, transport: 'udp' };
    if (buf.length > this.maxBytes) {
      this.log.warn({ sipCallId: rawCallId(buf), bytes: buf.length, source }, 'oversized SIP datagram dropped');
      return;
    }
    // CRLF keep-alives (RFC 5626 §3.5.1) and stray whitespace carry no message.
    if (/^[\r\n\t ]*$/.test(buf.toString('latin1'))) return;
    let msg: SipMessage;
    try {
      msg = parseSipMessage(buf);
      if (msg.kind === 'request') stampReceived(msg, source);
    } catch (err) {
      this.rejectMalformed(buf, err instanceof SipParseError ? err : new SipParseError(String(err)), source);
      return;
    }
    if (msg.kind === 'response' && msg.version !== 'SIP/2.0') {
      this.log.warn({ sipCallId: rawCallId(buf), source }, 'response with unsupported SIP version dropped');
      return;
    }
    try {
      this.listener?.(msg, source);
    } catch (err) {
      this.log.error({ err, sipCallId: rawCallId(buf), source }, 'SIP message handler threw');
    }
  }

  private rejectMalformed(buf: Buffer, error: SipParseError, source: SipEndpoint): void {
    for (const l of this.malformedListeners) l(error, source);
    const sipCallId = rawCallId(buf);
    const response = badRequestFor(buf, error, source, this.options.serverName ?? 'trunkbridge');
    if (!response) {
      this.log.warn({ sipCallId, source, reason: error.message }, 'malformed SIP datagram dropped');
      return;
    }
    this.log.warn({ sipCallId, source, reason: error.message }, 'malformed SIP request answered 400');
    const dest = responseDestination(topViaOf(response));
    this.send(response, dest).catch((err: unknown) =>
      this.log.warn({ err, sipCallId, dest }, 'could not send 400 for malformed request'),
    );
  }
}
