import { newBranch } from '../message/ids.js';
import type { SipRequest } from '../message/types.js';
import type { ClientTransaction } from '../transaction/layer.js';
import type { Destination, SipTransportName, Transport } from '../transport/transport.js';
import type { UaCore } from './core.js';
import type { HopSpec } from '../resolve/srv-order.js';

/**
 * What the UAC-side objects (outgoing calls, registrations, REFER) need from the user agent: transports,
 * addresses to advertise and ways to send. Implemented by SipUserAgent.
 */
export interface UacCore {
  /** The UAS-side core, shared so UAC dialogs are DialogSessions like any other. */
  readonly ua: UaCore;
  /** User-Agent header value. */
  readonly userAgent: string;
  /** Allow header value. */
  readonly allow: string;
  /** A started transport of that kind, or undefined. */
  transport(name: SipTransportName): Transport | undefined;
  /** "host:port" we advertise on `transport` (Via sent-by, Contact). */
  hostPort(transport: Transport): string;
  /** Adds a fresh top Via and User-Agent, then starts a client transaction. */
  send(req: SipRequest, dest: Destination, transport: Transport): ClientTransaction;
  /** Starts a client transaction for a request that already has its Via (CANCEL reuses the INVITE's, §9.1). */
  sendWithVia(req: SipRequest, dest: Destination, transport: Transport): ClientTransaction;
  /** Sends a request outside any transaction (the ACK for a 2xx, §13.2.2.4) with a fresh Via. */
  sendStateless(req: SipRequest, dest: Destination, transport: Transport): void;
  /** RFC 3263: the addresses to try for a next hop, in order (absent: the host is sent to as is). */
  resolve?(hop: HopSpec): Promise<Destination[]>;
  /**
   * An exchange the user agent lets finish before it closes its transports (a CANCELled INVITE waiting for its
   * 487, which the transaction must ACK): stopping waits for it, a little.
   */
  finishBeforeStop(work: Promise<unknown>): void;
}

/** What {@link createUacCore} is built from: pieces the user agent owns. */
export interface UacCoreParts {
  ua: UaCore;
  layer: { sendRequest(req: SipRequest, dest: Destination, transport: Transport): ClientTransaction };
  transports(): readonly Transport[];
  hostPort(transport: Transport): string;
  userAgent: string;
  allow: string;
  resolve?(hop: HopSpec): Promise<Destination[]>;
  finishBeforeStop(work: Promise<unknown>): void;
}

/** Builds the {@link UacCore} of a user agent. */
export function createUacCore(parts: UacCoreParts): UacCore {
  const addVia = (req: SipRequest, transport: Transport): void => {
    req.headers.prepend('Via', `SIP/2.0/${transport.name.toUpperCase()} ${parts.hostPort(transport)};branch=${newBranch()};rport`);
    if (!req.headers.has('User-Agent')) req.headers.append('User-Agent', parts.userAgent);
  };
  return {
    ua: parts.ua,
    userAgent: parts.userAgent,
    allow: parts.allow,
    transport: (name) => parts.transports().find((t) => t.name === name),
    hostPort: (t) => parts.hostPort(t),
    send: (req, dest, transport) => {
      addVia(req, transport);
      return parts.layer.sendRequest(req, dest, transport);
    },
    sendWithVia: (req, dest, transport) => parts.layer.sendRequest(req, dest, transport),
    finishBeforeStop: (work) => parts.finishBeforeStop(work),
    ...(parts.resolve ? { resolve: parts.resolve } : {}),
    sendStateless: (req, dest, transport) => {
      addVia(req, transport);
      transport.send(req, dest).catch((err: unknown) =>
        parts.ua.logger.warn({ err, dest, method: req.method }, 'stateless send failed'),
      );
    },
  };
}
