import { createSocket, type Socket } from 'node:dgram';
import { isIPv4, isIPv6 } from 'node:net';
import type { Logger } from 'pino';
import type { SipParseError } from '../../core/errors.js';
import { topViaOf } from '../message/accessors.js';
import { serializeSipMessage } from '../message/serialize.js';
import type { SipMessage, SipResponse } from '../message/types.js';
import { SipIngress, type IngressOutcome } from '../security/ingress.js';
import { rawCallId } from './bad-request.js';
import { normalizeAddress, responseDestination } from './response-routing.js';
import type { Destination, SipEndpoint, Transport } from './transport.js';

export interface UdpTransportOptions {
  host: string;
  /** 0 picks a free port; {@link UdpTransport.localAddress} reports it. */
  port: number;
  logger: Logger;
  /** Server header value on stateless 400s. */
  serverName?: string;
  /** Shared guards and parsing (budget, limits, scanners); default: limits only. */
  ingress?: SipIngress;
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
  private readonly ingress: SipIngress;
  private readonly log: Logger;
  private readonly ipv6: boolean;

  constructor(private readonly options: UdpTransportOptions) {
    this.ingress = options.ingress ?? new SipIngress({ logger: options.logger, serverName: options.serverName ?? 'trunkbridge' });
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

  /**
   * Handles one datagram through the shared ingress. Nothing a datagram carries may throw out of here: this
   * runs in the socket's 'message' handler, where an exception would take the whole process down.
   */
  private receive(buf: Buffer, rawAddress: string, port: number): void {
    const source: SipEndpoint = { address: normalizeAddress(rawAddress), port, transport: 'udp' };
    // CRLF keep-alives (RFC 5626 §3.5.1) and stray whitespace carry no message.
    if (isBlank(buf)) return;
    let outcome: IngressOutcome;
    try {
      outcome = this.ingress.receive(buf, source, 'datagram');
    } catch (err) {
      this.log.error({ err, sipCallId: rawCallId(buf), source }, 'SIP datagram could not be checked; dropped');
      return;
    }
    if (outcome.kind === 'message') {
      this.deliver(outcome.message, buf, source);
      return;
    }
    if (outcome.malformed) this.tellMalformed(outcome.malformed, buf, source);
    if (outcome.kind === 'answer') this.answer(outcome.response, buf);
  }

  private deliver(message: SipMessage, buf: Buffer, source: SipEndpoint): void {
    try {
      this.listener?.(message, source);
    } catch (err) {
      this.log.error({ err, sipCallId: rawCallId(buf), source }, 'SIP message handler threw');
    }
  }

  private tellMalformed(error: SipParseError, buf: Buffer, source: SipEndpoint): void {
    for (const l of this.malformedListeners) {
      try {
        l(error, source);
      } catch (err) {
        this.log.error({ err, sipCallId: rawCallId(buf), source }, 'malformed-message listener threw');
      }
    }
  }

  /** A stateless answer (400, 513, a limit's status) to the address the request came from (no reflection). */
  private answer(response: SipResponse, buf: Buffer): void {
    let dest: Destination | undefined;
    try {
      // After Via stamping the destination is the address the request came from.
      dest = responseDestination(topViaOf(response));
      this.send(response, dest).catch((err: unknown) => this.log.warn({ err, sipCallId: rawCallId(buf), dest }, 'could not send a stateless answer'));
    } catch (err) {
      this.log.warn({ err, sipCallId: rawCallId(buf), dest }, 'stateless answer could not be built or routed; dropped');
    }
  }
}

function isBlank(buf: Buffer): boolean {
  for (const b of buf) if (b !== 0x0d && b !== 0x0a && b !== 0x20 && b !== 0x09) return false;
  return true;
}
