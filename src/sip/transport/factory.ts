import type { Logger } from 'pino';
import type { Clock } from '../../core/clock.js';
import type { SipIngress } from '../security/ingress.js';
import { StreamTransport, type StreamTransportOptions } from './stream.js';
import type { Transport } from './transport.js';
import { UdpTransport } from './udp.js';

/** One listener as the UA is configured with it (mirrors config sip.listen[]). */
export interface ListenSpec {
  transport: 'udp' | 'tcp' | 'tls';
  host: string;
  port: number;
  /** PEM files, tls only. */
  certFile?: string;
  keyFile?: string;
  /** Stream transports only; see {@link StreamTransportOptions}. */
  idleTimeoutMs?: number;
  maxConnectionsPerSource?: number;
  /** Stream transports: connections in total on this listener. */
  maxConnections?: number;
}

/** Builds the transport for a listener. */
export function createTransport(
  spec: ListenSpec,
  deps: { clock: Clock; logger: Logger; serverName: string; ingress?: SipIngress },
): Transport {
  const shared = deps.ingress ? { ingress: deps.ingress } : {};
  if (spec.transport === 'udp') {
    return new UdpTransport({ host: spec.host, port: spec.port, logger: deps.logger, serverName: deps.serverName, ...shared });
  }
  const options: StreamTransportOptions = {
    transport: spec.transport,
    host: spec.host,
    port: spec.port,
    clock: deps.clock,
    logger: deps.logger,
    serverName: deps.serverName,
    ...shared,
  };
  if (spec.certFile !== undefined) options.certFile = spec.certFile;
  if (spec.keyFile !== undefined) options.keyFile = spec.keyFile;
  if (spec.idleTimeoutMs !== undefined) options.idleTimeoutMs = spec.idleTimeoutMs;
  if (spec.maxConnectionsPerSource !== undefined) options.maxConnectionsPerSource = spec.maxConnectionsPerSource;
  if (spec.maxConnections !== undefined) options.maxConnections = spec.maxConnections;
  return new StreamTransport(options);
}
