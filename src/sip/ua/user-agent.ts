import { networkInterfaces } from 'node:os';
import type { Logger } from 'pino';
import { sipStatusOf } from '../../core/errors.js';
import { dialogKey, uriDestination, type Dialog } from '../dialog/dialog.js';
import { callIdOf, contactsOf, cseqOf, fromOf, tagOf, toOf, topViaOf } from '../message/accessors.js';
import { buildResponse, type ResponseOptions } from '../message/build.js';
import { newBranch, newTag } from '../message/ids.js';
import type { SipRequest, SipResponse } from '../message/types.js';
import { formatHostPort } from '../message/uri.js';
import { sipTimers, type SipTimerConfig } from '../transaction/common.js';
import { InviteServerTransaction } from '../transaction/invite-server.js';
import { TransactionLayer, type MessageContext, type ServerTransaction } from '../transaction/layer.js';
import { responseDestination } from '../transport/response-routing.js';
import type { SipEndpoint, SipTransportName, Transport } from '../transport/transport.js';
import { createTransport } from '../transport/factory.js';
import { tapTransport } from '../transport/tap.js';
import { trafficTap } from './traffic-tap.js';
import { ALLOWED_METHODS, type DialogRequestHandler, type UaCore } from './core.js';
import { IncomingCall } from './incoming-call.js';
import { checkRequest } from './request-policy.js';
import { sdpOf } from './body.js';
import type { OutgoingCallRequest } from './types.js';
import { OutgoingCall } from './outgoing-call.js';
import { Registration, type RegistrationOptions } from './registration.js';
import { createUacCore, type UacCore } from './uac-core.js';
import { decideSessionTimer } from './session-timer.js';
import { nodeDnsClient, SipServerResolver } from '../resolve/sip-resolver.js';
import { buildIngress } from '../security/options.js';
import type { SipUserAgentOptions } from './user-agent-options.js';
import type { SipIngress } from '../security/ingress.js';
import { PendingExchanges } from './pending-exchanges.js';

export type { SipTrafficObserver, SipUserAgentOptions } from './user-agent-options.js';

/**
 * trunkbridge's RFC 3261 user agent (UAS side): answers INVITEs handed to call control, keeps dialogs.
 * Structurally it is call control's signaling engine; src/app/seams.ts checks that where the two are joined.
 */
export class SipUserAgent {
  private readonly log: Logger;
  private readonly timers: SipTimerConfig;
  private readonly transports: Transport[] = [];
  private readonly layer: TransactionLayer;
  private readonly dialogs = new Map<string, DialogRequestHandler>();
  private readonly ackWaiters = new Map<string, (ack: SipRequest) => void>();
  private readonly cancellables = new Map<string, { localTag: string; onCancel: () => void }>();
  /** INVITEs in progress by Call-ID|From-tag|CSeq, for merged-request detection (§8.2.2.2). */
  private readonly inviteOrigins = new Map<string, string>();
  private readonly supported: ReadonlySet<string>;
  private readonly serverName: string;
  private readonly allow = ALLOWED_METHODS.join(', ');
  private handler: ((call: IncomingCall) => void) | undefined;
  /** Set while draining: Retry-After (s) of the 503 out-of-dialog OPTIONS get. */
  private outOfServiceRetryAfter: number | undefined;
  private started = false;
  private stopped = false;
  private readonly core: UaCore;
  private uacCore: UacCore | undefined;
  /** Exchanges {@link stop} lets finish first (see UacCore.finishBeforeStop). */
  private readonly finishing = new PendingExchanges();
  private readonly resolver: SipServerResolver;
  private readonly ingress: SipIngress;

  constructor(private readonly options: SipUserAgentOptions) {
    this.log = options.logger.child({ component: 'sip-ua' });
    this.timers = sipTimers(options.timers);
    // "timer" (RFC 4028) is implemented by the stack itself.
    this.supported = new Set([...(options.supported ?? []), 'timer'].map((s) => s.toLowerCase()));
    this.serverName = options.userAgent ?? 'trunkbridge';
    this.layer = new TransactionLayer({
      clock: options.clock,
      logger: options.logger,
      timers: this.timers,
      user: {
        onRequest: (req, tx, ctx) => this.onRequest(req, tx, ctx),
        onAck: (ack) => this.onAck(ack),
      },
      admit: (req, ctx) => this.admit(req, ctx),
      // A peer we send requests to answers at our pace (carriers reached by host name included): trusted budget.
      onRequestSent: (dest) => this.ingress.trustPeer(dest.address),
      ...(options.traffic ? { traffic: options.traffic } : {}),
    });
    this.ingress = buildIngress(options.security, { clock: options.clock, logger: options.logger, serverName: this.serverName });
    this.core = this.makeCore();
    this.resolver = new SipServerResolver(options.dns ?? nodeDnsClient(), this.log);
  }

  /** Gives `address` the trusted flood budget (e.g. once it has passed digest authentication). */
  trustPeer(address: string): void {
    this.ingress.trustPeer(address);
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    for (const l of this.options.listen) {
      const maxConnections = this.options.security?.maxConnections;
      const traffic = this.options.traffic;
      const t = tapTransport(
        createTransport(maxConnections !== undefined ? { maxConnections, ...l } : l, {
          clock: this.options.clock,
          logger: this.options.logger,
          serverName: this.serverName,
          ingress: this.ingress,
        }),
        trafficTap(this.log, traffic),
      );
      await t.listen();
      t.onMessage((msg, source) => {
        traffic?.messageReceived(msg.kind === 'request' ? msg.method : 'response');
        this.layer.receive(msg, { source, transport: t });
      });
      if (traffic) t.onMalformed(() => traffic.malformedReceived());
      this.transports.push(t);
      this.log.info({ bound: t.localAddress() }, 'SIP listening');
    }
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    // A CANCELled INVITE's 487 is answered with an ACK by its transaction: closing first would leave the far
    // end retransmitting the 487 until its Timer H.
    await this.finishing.settle(this.options.clock);
    for (const d of [...this.dialogs.values()]) d.shutdown();
    this.dialogs.clear();
    this.ackWaiters.clear();
    this.cancellables.clear();
    this.inviteOrigins.clear();
    this.layer.close();
    await Promise.all(this.transports.map((t) => t.close()));
  }

  /**
   * Draining: out-of-dialog OPTIONS are answered 503 with `Retry-After` from now on, so a dispatcher or SBC
   * pinging us stops sending calls here (call control refuses the INVITEs themselves).
   */
  outOfService(retryAfterSec: number): void {
    this.outOfServiceRetryAfter = retryAfterSec;
  }

  onIncomingCall(handler: (call: IncomingCall) => void): void {
    this.handler = handler;
  }

  boundAddresses(): SipEndpoint[] {
    return this.transports.map((t) => t.localAddress());
  }

  /** Places a call (UAC INVITE); see {@link OutgoingCall}. */
  placeCall(request: OutgoingCallRequest): OutgoingCall {
    return new OutgoingCall(request, this.uac);
  }

  /** Creates a client registration (call `start()` once the UA is listening). */
  register(options: RegistrationOptions): Registration {
    return new Registration(options, this.uac);
  }

  /** Host:port advertised on the first transport of that kind (falls back to the first transport). */
  advertisedHost(transport: SipTransportName): string {
    const t = this.transports.find((x) => x.name === transport) ?? this.transports[0];
    return t ? this.advertisedHostPort(t) : '127.0.0.1';
  }

  /** The UAC-side core (outgoing calls, REGISTER, REFER). */
  get uac(): UacCore {
    this.uacCore ??= createUacCore({
      ua: this.core,
      layer: this.layer,
      transports: () => this.transports,
      hostPort: (t) => this.advertisedHostPort(t),
      userAgent: this.serverName,
      allow: this.allow,
      resolve: (hop) => this.resolver.resolve(hop),
      finishBeforeStop: (work) => this.finishing.add(work),
    });
    return this.uacCore;
  }

  /** Live transactions and dialogs (leak checks in tests, metrics). */
  stats(): { serverTransactions: number; clientTransactions: number; dialogs: number; ackWaiters: number } {
    const c = this.layer.counts();
    return { serverTransactions: c.server, clientTransactions: c.client, dialogs: this.dialogs.size, ackWaiters: this.ackWaiters.size };
  }

  /** The admission check of a new out-of-dialog request (no To tag); in-dialog requests and CANCEL always pass. */
  private admit(req: SipRequest, ctx: MessageContext): boolean {
    const check = this.options.security?.admit;
    if (!check || req.method === 'CANCEL') return true;
    try {
      if (tagOf(toOf(req)) !== undefined) return true;
    } catch {
      return true; // the UA core answers what it cannot read
    }
    const verdict = check(req, ctx.source);
    if (verdict === 'accept') return true;
    this.options.security?.observer?.rejected(verdict);
    this.log.debug({ sipCallId: callIdOf(req), method: req.method, source: ctx.source.address, reason: verdict }, 'request dropped silently');
    return false;
  }

  private onRequest(req: SipRequest, tx: ServerTransaction, ctx: MessageContext): void {
    const sipCallId = callIdOf(req);
    try {
      if (req.method === 'CANCEL') return this.onCancel(req, tx);
      const answer = checkRequest(req, this.allow, this.supported);
      if (answer) {
        this.respond(tx, answer.status, { headers: answer.headers ?? [] });
        return;
      }
      const toTag = tagOf(toOf(req));
      if (toTag !== undefined) {
        const dialog = this.dialogs.get(dialogKey(sipCallId, toTag, tagOf(fromOf(req)) ?? ''));
        if (!dialog) {
          // §12.2.2: "If the UAS receives a request with a To tag that does not match any existing dialog, it
          // MUST respond with a 481 (Call/Transaction Does Not Exist)" (unless it recovers state; we do not).
          this.respond(tx, 481);
          return;
        }
        dialog.handleRequest(req, tx, ctx.transport);
        return;
      }
      if (req.method === 'OPTIONS' && this.outOfServiceRetryAfter !== undefined) {
        this.respond(tx, 503, { headers: [['Retry-After', String(this.outOfServiceRetryAfter)]] });
        return;
      }
      if (req.method === 'OPTIONS') {
        this.respond(tx, 200, { dialog: true, transport: ctx.transport, headers: [['Accept', 'application/sdp']] });
        return;
      }
      if (req.method === 'INVITE' && tx instanceof InviteServerTransaction) this.onInvite(req, tx, ctx);
      else this.respond(tx, 405, { headers: [['Allow', this.allow]] });
    } catch (err) {
      const status = sipStatusOf(err);
      this.log.error({ err, sipCallId, method: req.method }, 'error handling SIP request');
      if (!tx.finalSent) this.respond(tx, status);
    }
  }

  private onInvite(req: SipRequest, tx: InviteServerTransaction, ctx: MessageContext): void {
    const sipCallId = callIdOf(req);
    const origin = `${sipCallId}|${tagOf(fromOf(req)) ?? ''}|${cseqOf(req).seq}`;
    const prior = this.inviteOrigins.get(origin);
    if (prior !== undefined && prior !== tx.id) {
      // §8.2.2.2: same From tag, Call-ID and CSeq as an ongoing transaction but a different branch: the
      // request forked and merged back ("SHOULD generate a 482 (Loop Detected)").
      this.respond(tx, 482);
      return;
    }
    this.inviteOrigins.set(origin, tx.id);
    tx.once('terminated', () => this.inviteOrigins.delete(origin));
    if (contactsOf(req).contacts.length === 0) {
      // §8.1.1.8: "The Contact header field MUST be present and contain exactly one SIP or SIPS URI in any
      // request that can result in the establishment of a dialog."
      this.respond(tx, 400, { reason: 'Missing Contact' });
      return;
    }
    // RFC 4028 §9: a Session-Expires below our Min-SE is answered 422 with our Min-SE.
    const sessionTimer = decideSessionTimer(req, this.options.minSessionExpires);
    if (sessionTimer.kind === 'too-small') {
      this.respond(tx, 422, { headers: [['Min-SE', String(sessionTimer.minSE)]] });
      return;
    }
    const body = sdpOf(req);
    if (body.kind === 'unsupported') {
      // §8.2.3: "If a UAS does not understand the content type ... it MUST return a 415 ... with Accept".
      this.respond(tx, 415, { headers: [['Accept', 'application/sdp'], ['Accept-Encoding', 'identity']] });
      return;
    }
    // Send 100 at once so the caller stops retransmitting (§17.2.1: the TU answers within 200 ms).
    this.respond(tx, 100);
    const call = new IncomingCall(req, tx, ctx.source, ctx.transport, newTag(), this.core);
    call.sessionTimer = sessionTimer;
    if (!this.handler) {
      this.log.warn({ sipCallId }, 'INVITE with no call handler registered; 503');
      call.reject(503);
      return;
    }
    try {
      this.handler(call);
    } catch (err) {
      this.log.error({ err, sipCallId }, 'incoming call handler threw');
      call.reject(sipStatusOf(err));
    }
  }

  /**
   * §9.2: "If the UAS did not find a matching transaction for the CANCEL according to the procedure above, it
   * SHOULD respond to the CANCEL with a 481 ... If the original request was an INVITE, the UAS SHOULD
   * immediately respond to the INVITE with a 487 ... Regardless of the method of the original request, as
   * long as the CANCEL matched an existing transaction, the UAS answers the CANCEL request itself with a 200".
   */
  private onCancel(req: SipRequest, tx: ServerTransaction): void {
    const invite = this.layer.findInviteForCancel(req);
    if (!invite) {
      this.respond(tx, 481);
      return;
    }
    const entry = this.cancellables.get(invite.id);
    // "The To tag of the response to the CANCEL and the response to the original request SHOULD be the same."
    this.respond(tx, 200, entry ? { toTag: entry.localTag } : {});
    if (entry && !invite.finalSent) entry.onCancel();
  }

  /** ACK for a 2xx: matched to the dialog waiting for it (§13.3.1.4); anything else is dropped. */
  private onAck(ack: SipRequest): void {
    const toTag = tagOf(toOf(ack));
    const fromTag = tagOf(fromOf(ack)) ?? '';
    if (toTag === undefined) return;
    const key = `${dialogKey(callIdOf(ack), toTag, fromTag)}|${cseqOf(ack).seq}`;
    const waiter = this.ackWaiters.get(key);
    if (!waiter) {
      this.log.debug({ sipCallId: callIdOf(ack) }, 'ACK matched nothing (retransmission?)');
      return;
    }
    this.ackWaiters.delete(key);
    waiter(ack);
  }

  /** Builds and sends a response on a server transaction with our standard headers. */
  private respond(
    tx: ServerTransaction,
    status: number,
    options: ResponseOptions & { dialog?: boolean; transport?: Transport } = {},
  ): SipResponse {
    const headers: Array<readonly [string, string]> = [];
    if (options.dialog && options.transport) headers.push(...this.dialogHeaders(options.transport));
    headers.push(...(options.headers ?? []), ['Server', this.serverName]);
    // Every response except 100 carries a To tag (§8.2.6.2); a fresh one when no dialog tag applies.
    const toTag = options.toTag ?? (status > 100 ? newTag() : undefined);
    const res = buildResponse(tx.request, status, { ...options, ...(toTag ? { toTag } : {}), headers });
    tx.respond(res);
    return res;
  }

  private dialogHeaders(transport: Transport): Array<[string, string]> {
    const h: Array<[string, string]> = [
      ['Contact', `<sip:${this.advertisedHostPort(transport)}${transport.name === 'udp' ? '' : `;transport=${transport.name}`}>`],
      ['Allow', this.allow],
      ['Supported', [...this.supported].join(', ')],
    ];
    return h;
  }

  private advertisedHostPort(transport: Transport): string {
    const local = transport.localAddress();
    let host = this.options.publicAddress ?? local.address;
    if (host === '0.0.0.0' || host === '::') host = firstExternalAddress(host === '::') ?? '127.0.0.1';
    return formatHostPort(host, local.port);
  }

  private makeCore(): UaCore {
    return {
      clock: this.options.clock,
      timers: this.timers,
      logger: this.log,
      pendingInviteTimeoutMs: this.options.pendingInviteTimeoutMs ?? 180_000,
      respond: (tx, status, options) => this.respond(tx, status, options),
      dialogHeaders: (t) => this.dialogHeaders(t),
      resend: (res, transport) => {
        const dest = responseDestination(topViaOf(res));
        transport.send(res, dest).catch((err: unknown) =>
          this.log.warn({ err, sipCallId: callIdOf(res), dest }, '2xx retransmission failed'),
        );
      },
      sendInDialog: (dialog: Dialog, req: SipRequest, transport: Transport) => {
        req.headers.prepend('Via', `SIP/2.0/${transport.name.toUpperCase()} ${this.advertisedHostPort(transport)};branch=${newBranch()};rport`);
        req.headers.append('User-Agent', this.serverName);
        return this.layer.sendRequest(req, uriDestination(dialog.nextHopUri()), transport);
      },
      expectAck: (dialog, cseq, onAck) => {
        const key = `${dialog.key}|${cseq}`;
        this.ackWaiters.set(key, onAck);
        return () => {
          if (this.ackWaiters.get(key) === onAck) this.ackWaiters.delete(key);
        };
      },
      registerCancellable: (tx, localTag, onCancel) => {
        const entry = { localTag, onCancel };
        this.cancellables.set(tx.id, entry);
        return () => {
          if (this.cancellables.get(tx.id) === entry) this.cancellables.delete(tx.id);
        };
      },
      addDialog: (key, session) => this.dialogs.set(key, session),
      removeDialog: (key) => this.dialogs.delete(key),
    };
  }
}

/** A non-internal interface address for Contact when bound to a wildcard and no publicAddress is set. */
function firstExternalAddress(ipv6: boolean): string | undefined {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (!a.internal && a.family === (ipv6 ? 'IPv6' : 'IPv4')) return a.address;
  }
  return undefined;
}
