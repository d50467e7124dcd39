import { readFileSync } from 'node:fs';
import { connect as netConnect, createServer as createNetServer, isIP, type Server, type Socket } from 'node:net';
import { connect as tlsConnect, createServer as createTlsServer } from 'node:tls';
import type { Logger } from 'pino';
import type { Clock } from '../../core/clock.js';
import type { SipParseError } from '../../core/errors.js';
import { contactsOf, topViaOf } from '../message/accessors.js';
import { serializeSipMessage } from '../message/serialize.js';
import type { SipMessage } from '../message/types.js';
import { SipIngress } from '../security/ingress.js';
import { normalizeAddress, responseDestination } from './response-routing.js';
import { endpointKey, StreamConnection } from './stream-connection.js';
import type { Destination, SipEndpoint, Transport } from './transport.js';

export interface StreamTransportOptions {
  transport: 'tcp' | 'tls';
  host: string;
  /** 0 picks a free port. */
  port: number;
  clock: Clock;
  logger: Logger;
  /** PEM files for tls. */
  certFile?: string;
  keyFile?: string;
  /** Server header on stateless 400s. */
  serverName?: string;
  /** Shared guards and parsing (budget, limits, scanners); default: limits only. */
  ingress?: SipIngress;
  /** Default 10 minutes: carriers keep trunk connections open and ping them. */
  idleTimeoutMs?: number;
  /** Default 32 s (64*T1), the longest a client transaction waits. */
  incompleteMessageTimeoutMs?: number;
  /** Connections one source IP may hold at once (default 32); more are refused. */
  maxConnectionsPerSource?: number;
  /** Connections in total (default 4096). */
  maxConnections?: number;
  /** Outgoing TLS: verify the peer certificate (default true). */
  verifyPeer?: boolean;
}

/**
 * SIP over TCP or TLS (RFC 3261 §18, §26.3.1). Accepts connections, frames messages with Content-Length,
 * and reuses connections: responses go back on the connection the request came in on (§18.2.2), and requests
 * to a peer go over any open connection to it — found by the connection's own address, the sent-by of the
 * Vias it sent and the Contact it advertised (the addresses a carrier puts in a dialog's remote target).
 * Only when none is open is a new connection made.
 */
export class StreamTransport implements Transport {
  private readonly malformedListeners: Array<(error: SipParseError, source: SipEndpoint) => void> = [];
  readonly name: 'tcp' | 'tls';
  readonly reliable = true;
  private server: Server | undefined;
  private bound: SipEndpoint | undefined;
  private listener: ((msg: SipMessage, source: SipEndpoint) => void) | undefined;
  private readonly connections = new Map<string, StreamConnection>();
  /** Other "address|port" keys a connection answers for (Via sent-by, Contact). */
  private readonly aliases = new Map<string, StreamConnection>();
  private readonly perSource = new Map<string, number>();
  private readonly pendingConnects = new Map<string, Promise<StreamConnection>>();
  private readonly log: Logger;
  private closed = false;
  private tlsMaterial: { cert: Buffer; key: Buffer } | undefined;
  private readonly ingress: SipIngress;

  constructor(private readonly options: StreamTransportOptions) {
    this.name = options.transport;
    this.log = options.logger.child({ component: `sip-${options.transport}` });
    this.ingress = options.ingress ?? new SipIngress({ logger: options.logger, serverName: options.serverName ?? 'trunkbridge' });
  }

  listen(): Promise<void> {
    if (this.name === 'tls') {
      if (!this.options.certFile || !this.options.keyFile) return Promise.reject(new Error('tls transport needs certFile and keyFile'));
      this.tlsMaterial = { cert: readFileSync(this.options.certFile), key: readFileSync(this.options.keyFile) };
    }
    const server =
      this.name === 'tls'
        ? createTlsServer({ ...this.tlsMaterial, minVersion: 'TLSv1.2' }, (s) => this.accept(s))
        : createNetServer((s) => this.accept(s));
    // A failed TLS handshake is the peer's problem; log it and carry on.
    server.on('tlsClientError', (err: Error) => this.log.warn({ reason: err.message }, 'TLS handshake failed'));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port, this.options.host, () => {
        server.off('error', reject);
        server.on('error', (err) => this.log.error({ err }, 'SIP listener error'));
        const a = server.address();
        if (a === null || typeof a === 'string') return reject(new Error('unexpected listener address'));
        this.bound = { address: a.address, port: a.port, transport: this.name };
        resolve();
      });
    });
  }

  localAddress(): SipEndpoint {
    if (!this.bound) throw new Error(`${this.name} transport not listening`);
    return { ...this.bound };
  }

  onMalformed(listener: (error: SipParseError, source: SipEndpoint) => void): void {
    this.malformedListeners.push(listener);
  }

  onMessage(listener: (msg: SipMessage, source: SipEndpoint) => void): void {
    this.listener = listener;
  }

  /** Open connections (tests, metrics). */
  get connectionCount(): number {
    return this.connections.size;
  }

  async send(msg: SipMessage, dest: Destination): Promise<void> {
    if (this.closed) throw new Error(`${this.name} transport closed`);
    const data = serializeSipMessage(msg);
    let conn = this.find(dest);
    if (!conn && msg.kind === 'response') {
      // §18.2.2: if the connection the request came on is gone, "the server SHOULD open a connection to the
      // IP address in the 'received' parameter, if present, using the port in the 'sent-by' value".
      const via = topViaOf(msg);
      const fallback = responseDestination({ ...via, params: new Map([...via.params].filter(([k]) => k !== 'rport')) });
      conn = this.find(fallback) ?? (await this.connect(fallback));
    }
    conn ??= await this.connect(dest);
    await conn.write(data);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const c of [...this.connections.values()]) c.close('transport closed');
    const server = this.server;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private find(dest: Destination): StreamConnection | undefined {
    const key = endpointKey(dest.address, dest.port);
    const c = this.connections.get(key) ?? this.aliases.get(key);
    return c && !c.isClosed ? c : undefined;
  }

  private accept(socket: Socket): void {
    if (this.closed) {
      socket.destroy();
      return;
    }
    const source = normalizeAddress(socket.remoteAddress ?? '');
    if (!this.ingress.admitConnection(source)) {
      // Over budget or banned for flooding: refused without a read or a log line per attempt.
      socket.destroy();
      return;
    }
    const limit = this.options.maxConnectionsPerSource ?? 32;
    const count = this.perSource.get(source) ?? 0;
    if (count >= limit || this.connections.size >= (this.options.maxConnections ?? 4096)) {
      this.log.warn({ source, open: count, total: this.connections.size }, 'SIP connection refused: too many connections');
      this.ingress.connectionRefused('connection-limit');
      socket.destroy();
      return;
    }
    this.adopt(socket);
  }

  private adopt(socket: Socket): StreamConnection {
    const conn = new StreamConnection(socket, {
      transport: this.name,
      clock: this.options.clock,
      logger: this.log,
      idleTimeoutMs: this.options.idleTimeoutMs ?? 600_000,
      incompleteMessageTimeoutMs: this.options.incompleteMessageTimeoutMs ?? 32_000,
      maxMessageBytes: this.ingress.limits.maxMessageBytes,
      onFrame: (raw, c) => this.receive(raw, c),
      onFramingLost: (reason) => this.ingress.framingLost(reason),
      onClose: (c) => this.forget(c),
    });
    const source = conn.remote.address;
    this.perSource.set(source, (this.perSource.get(source) ?? 0) + 1);
    this.connections.set(conn.key, conn);
    return conn;
  }

  private forget(conn: StreamConnection): void {
    if (this.connections.get(conn.key) === conn) this.connections.delete(conn.key);
    for (const [k, c] of this.aliases) if (c === conn) this.aliases.delete(k);
    const source = conn.remote.address;
    const n = (this.perSource.get(source) ?? 1) - 1;
    if (n <= 0) this.perSource.delete(source);
    else this.perSource.set(source, n);
  }

  /** One framed message through the shared ingress; answers go back on the connection it came on (§18.2.2). */
  private receive(raw: Buffer, conn: StreamConnection): void {
    const outcome = this.ingress.receive(raw, conn.remote, 'exact');
    if (outcome.kind !== 'message') {
      if (outcome.malformed) for (const l of this.malformedListeners) l(outcome.malformed, conn.remote);
      if (outcome.kind === 'answer') {
        conn.write(serializeSipMessage(outcome.response)).catch((err: unknown) => this.log.debug({ err }, 'could not send a stateless answer'));
      } else if (outcome.closeConnection) conn.close('source banned');
      return;
    }
    const msg = outcome.message;
    if (msg.kind === 'request') this.learnAliases(msg, conn);
    this.listener?.(msg, { ...conn.remote });
  }

  /**
   * A peer that opened a connection to us is reachable over it at the addresses it names for itself: the
   * sent-by of its top Via and its Contact (when they are IP literals of the same host). Requests we send in
   * its dialogs then reuse the connection (the intent of RFC 5923 without needing its "alias" parameter),
   * which is what carriers behind NAT or without a listening socket need.
   */
  private learnAliases(msg: SipMessage, conn: StreamConnection): void {
    const defaultPort = this.name === 'tls' ? 5061 : 5060;
    const add = (host: string, port: number | undefined) => {
      if (isIP(host) === 0 || normalizeAddress(host) !== conn.remote.address) return;
      const key = endpointKey(host, port ?? defaultPort);
      const existing = this.aliases.get(key);
      if (!existing || existing.isClosed) this.aliases.set(key, conn);
    };
    try {
      const via = topViaOf(msg);
      add(via.host, via.port);
      for (const c of contactsOf(msg).contacts) add(c.uri.host, c.uri.port);
    } catch {
      // Aliases are an optimisation; a message the parser accepted but whose Contact we cannot use adds none.
    }
  }

  private connect(dest: Destination): Promise<StreamConnection> {
    const key = endpointKey(dest.address, dest.port);
    const pending = this.pendingConnects.get(key);
    if (pending) return pending;
    const attempt = new Promise<StreamConnection>((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      const socket: Socket =
        this.name === 'tls'
          ? tlsConnect({
              host: dest.address,
              port: dest.port,
              servername: isIP(dest.address) ? undefined : dest.address,
              rejectUnauthorized: this.options.verifyPeer ?? true,
              minVersion: 'TLSv1.2',
            })
          : netConnect({ host: dest.address, port: dest.port });
      socket.once('error', onError);
      socket.once(this.name === 'tls' ? 'secureConnect' : 'connect', () => {
        socket.off('error', onError);
        resolve(this.adopt(socket));
      });
    }).finally(() => this.pendingConnects.delete(key));
    this.pendingConnects.set(key, attempt);
    return attempt;
  }
}
