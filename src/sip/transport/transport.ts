import type { SipParseError } from '../../core/errors.js';
import type { SipMessage } from '../message/types.js';

export type SipTransportName = 'udp' | 'tcp' | 'tls';

/** Where a message came from (structurally the same as calls/ PeerAddress). */
export interface SipEndpoint {
  address: string;
  port: number;
  transport: SipTransportName;
}

/** Where to send a message. `address` may be an IP or a host name (resolved by the OS resolver). */
export interface Destination {
  address: string;
  port: number;
}

/**
 * A SIP transport (RFC 3261 §18). UDP today; TCP/TLS implement the same shape with connection reuse.
 * `reliable` decides timer behaviour in transactions (§17: Timers A/E/G only on unreliable transports;
 * D/I/J/K are zero on reliable ones).
 */
export interface Transport {
  readonly name: SipTransportName;
  readonly reliable: boolean;
  /** Starts listening; resolves once bound. */
  listen(): Promise<void>;
  /** The address actually bound (port 0 resolved). Valid after listen(). */
  localAddress(): SipEndpoint;
  /** Sends a message. Rejects on a transport error (ICMP unreachable, unresolvable host...). */
  send(msg: SipMessage, dest: Destination): Promise<void>;
  /** Registers the receiver of every well-formed incoming message. */
  onMessage(listener: (msg: SipMessage, source: SipEndpoint) => void): void;
  /** Registers a listener told of every malformed message (after the transport answered 400 or dropped it). */
  onMalformed(listener: (error: SipParseError, source: SipEndpoint) => void): void;
  /** Releases the socket(s). Safe to call twice. */
  close(): Promise<void>;
}
