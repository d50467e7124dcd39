import type { Logger } from 'pino';
import type { Clock } from '../../core/clock.js';
import type { TypedEmitterOptions } from '../../core/typed-emitter.js';
import { callIdOf, topViaOf } from '../message/accessors.js';
import type { SipMessage, SipRequest, SipResponse } from '../message/types.js';
import { responseDestination } from '../transport/response-routing.js';
import type { Destination, SipEndpoint, Transport } from '../transport/transport.js';
import { sipTimers, type SipTimerConfig, type TransactionChannel } from './common.js';
import { InviteClientTransaction } from './invite-client.js';
import { InviteServerTransaction } from './invite-server.js';
import { clientTransactionKey, serverTransactionKey } from './keys.js';
import { NonInviteClientTransaction } from './non-invite-client.js';
import { NonInviteServerTransaction } from './non-invite-server.js';

export type ServerTransaction = InviteServerTransaction | NonInviteServerTransaction;
export type ClientTransaction = InviteClientTransaction | NonInviteClientTransaction;

/** Where a message came in. */
export interface MessageContext {
  source: SipEndpoint;
  transport: Transport;
}

/** The transaction user (UA core) as the layer sees it. */
export interface TransactionUser {
  /** A request that opened a new server transaction (never ACK). */
  onRequest(req: SipRequest, tx: ServerTransaction, ctx: MessageContext): void;
  /** An ACK no transaction absorbed: the ACK for a 2xx (§17.2.3 / §13.3.1.4), matched to a dialog by the TU. */
  onAck(ack: SipRequest, ctx: MessageContext): void;
  /** A response no client transaction matched (§18.1.2: dropped unless the TU wants it). */
  onStrayResponse?(res: SipResponse, ctx: MessageContext): void;
}

export interface TransactionLayerOptions {
  clock: Clock;
  logger: Logger;
  timers?: Partial<SipTimerConfig>;
  user: TransactionUser;
  /**
   * Asked for a request that matches no transaction (never ACK) before one is created: false drops it with no
   * answer. Retransmissions of a request that was answered still reach their transaction and get the same
   * answer; those of a dropped one are dropped again.
   */
  admit?: (req: SipRequest, ctx: MessageContext) => boolean;
  /** Told of every request we send in a transaction, before it goes (the guards trust the peers we call). */
  onRequestSent?: (dest: Destination) => void;
  /** Told of request retransmissions absorbed by a server transaction and of transaction timeouts (metrics). */
  traffic?: {
    retransmissionReceived?(method: string): void;
    /** A request (Timer A/E) or response (Timer G, or answering a retransmitted request) sent again. */
    retransmissionSent?(method: string): void;
    transactionTimeout?(method: string): void;
  };
}

/**
 * Routes incoming messages to transactions (§17.1.3, §17.2.3), creates server transactions for new
 * requests, and forgets every transaction once it reaches "Terminated".
 */
export class TransactionLayer {
  readonly timers: SipTimerConfig;
  private readonly servers = new Map<string, ServerTransaction>();
  private readonly clients = new Map<string, ClientTransaction>();
  private readonly log: Logger;

  constructor(private readonly options: TransactionLayerOptions) {
    this.timers = sipTimers(options.timers);
    this.log = options.logger.child({ component: 'sip-transaction' });
  }

  /** Entry point for every message a transport delivers. */
  receive(msg: SipMessage, ctx: MessageContext): void {
    if (msg.kind === 'response') this.receiveResponse(msg, ctx);
    else this.receiveRequest(msg, ctx);
  }

  /**
   * Starts a client transaction for `req` (whose top Via must carry a fresh RFC 3261 branch) towards `dest`.
   * INVITE gets the §17.1.1 machine, anything else §17.1.2. ACK never has a transaction (send it directly).
   */
  sendRequest(req: SipRequest, dest: Destination, transport: Transport): ClientTransaction {
    if (req.method === 'ACK') throw new Error('ACK is sent without a transaction');
    this.options.onRequestSent?.(dest);
    const key = clientTransactionKey(req);
    const method = req.method; // closures below hold the method, not the request
    const channel: TransactionChannel = { reliable: transport.reliable, send: this.counted(method, (m) => transport.send(m, dest)) };
    const tx =
      req.method === 'INVITE'
        ? new InviteClientTransaction(key, req, channel, this.options.clock, this.timers, this.listenerErrors(req))
        : new NonInviteClientTransaction(key, req, channel, this.options.clock, this.timers, this.listenerErrors(req));
    this.clients.set(key, tx);
    tx.once('terminated', () => {
      if (this.clients.get(key) === tx) this.clients.delete(key);
    });
    const traffic = this.options.traffic;
    if (traffic?.transactionTimeout) tx.on('timeout', () => traffic.transactionTimeout?.(method));
    tx.start();
    return tx;
  }

  /** The INVITE server transaction a CANCEL targets (§9.2), if still alive. */
  findInviteForCancel(cancel: SipRequest): InviteServerTransaction | undefined {
    const tx = this.servers.get(serverTransactionKey(cancel, 'INVITE'));
    return tx instanceof InviteServerTransaction ? tx : undefined;
  }

  /** Live transaction counts (tests, metrics). */
  counts(): { server: number; client: number } {
    return { server: this.servers.size, client: this.clients.size };
  }

  /** Cancels every timer and forgets every transaction (shutdown). */
  close(): void {
    for (const tx of [...this.servers.values()]) tx.dispose();
    for (const tx of [...this.clients.values()]) tx.dispose();
    this.servers.clear();
    this.clients.clear();
  }

  private receiveResponse(res: SipResponse, ctx: MessageContext): void {
    const tx = this.clients.get(clientTransactionKey(res));
    if (tx) {
      tx.receiveResponse(res);
      return;
    }
    if (this.options.user.onStrayResponse) this.options.user.onStrayResponse(res, ctx);
    else this.log.debug({ sipCallId: safeCallId(res), status: res.status }, 'stray response dropped');
  }

  private receiveRequest(req: SipRequest, ctx: MessageContext): void {
    const key = serverTransactionKey(req);
    const existing = this.servers.get(key);
    if (req.method === 'ACK') {
      // ACK for a non-2xx belongs to the INVITE server transaction (§17.2.3); an ACK for 2xx carries a new
      // branch and goes to the TU.
      // RFC 2543-style UACs reuse the INVITE branch for the 2xx ACK: in "Accepted" that ACK also goes to the
      // TU (RFC 6026 §7.1).
      const absorbing = existing instanceof InviteServerTransaction && (existing.state === 'completed' || existing.state === 'confirmed');
      if (absorbing) existing.receiveAck(req);
      else this.options.user.onAck(req, ctx);
      return;
    }
    if (existing) {
      this.options.traffic?.retransmissionReceived?.(req.method);
      existing.receiveRetransmission();
      return;
    }
    if (this.options.admit && !this.options.admit(req, ctx)) return;
    // Stream transports answer on the connection the request came in on (§18.2.2); datagrams go by the Via.
    const dest: Destination = ctx.transport.reliable
      ? { address: ctx.source.address, port: ctx.source.port }
      : responseDestination(topViaOf(req));
    const channel: TransactionChannel = { reliable: ctx.transport.reliable, send: this.counted(req.method, (m) => ctx.transport.send(m, dest)) };
    const tx = this.newServerTransaction(key, req, channel);
    const method = req.method;
    const sipCallId = safeCallId(req);
    this.servers.set(key, tx);
    // The listeners below live as long as the transaction (up to 32 s after the call): they hold strings, never
    // `req` (its body pins a Buffer pool slab).
    tx.once('terminated', () => {
      if (this.servers.get(key) === tx) this.servers.delete(key);
    });
    const traffic = this.options.traffic;
    if (traffic?.transactionTimeout && tx instanceof InviteServerTransaction) tx.on('timeout', () => traffic.transactionTimeout?.(method));
    tx.on('transportError', (err: unknown) => this.log.warn({ err, sipCallId, dest }, 'transport error sending response'));
    this.options.user.onRequest(req, tx, ctx);
  }

  private newServerTransaction(key: string, req: SipRequest, channel: TransactionChannel): ServerTransaction {
    const errors = this.listenerErrors(req);
    return req.method === 'INVITE'
      ? new InviteServerTransaction(key, req, channel, this.options.clock, this.timers, errors)
      : new NonInviteServerTransaction(key, req, channel, this.options.clock, this.timers, errors);
  }

  /** A transaction's sends, with a message sent twice in a row counted as a retransmission (metrics). */
  private counted(method: string, send: (m: SipMessage) => Promise<void>): (m: SipMessage) => Promise<void> {
    const onResend = this.options.traffic?.retransmissionSent;
    if (!onResend) return send;
    // Weak: the channel lives as long as the transaction, which has let go of a 2xx it no longer resends.
    let last: WeakRef<SipMessage> | undefined;
    return (m) => {
      if (last?.deref() === m) onResend(method);
      last = new WeakRef(m);
      return send(m);
    };
  }

  /** A TU listener that throws is a bug in the UA: logged here, the transaction carries on (safe emit). */
  private listenerErrors(req: SipRequest): TypedEmitterOptions {
    const method = req.method;
    const sipCallId = safeCallId(req);
    return {
      onListenerError: (err, event) => this.log.error({ err, event, method, sipCallId }, 'transaction listener threw'),
    };
  }
}

function safeCallId(msg: SipMessage): string | undefined {
  try {
    return callIdOf(msg);
  } catch {
    return undefined;
  }
}
