import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { TimerHandle } from '../../core/clock.js';
import { TypedEmitter } from '../../core/typed-emitter.js';
import { challengeHeaders, chooseDigestChallenge, computeDigestAnswer, formatDigestAnswer } from '../auth/digest-client.js';
import { normalizeAddress } from '../transport/response-routing.js';
import { contactsOf } from '../message/accessors.js';
import { SipHeaders } from '../message/headers.js';
import { newCallId, newTag } from '../message/ids.js';
import type { SipRequest, SipResponse } from '../message/types.js';
import type { Destination, SipTransportName, Transport } from '../transport/transport.js';
import type { UacCore } from './uac-core.js';

export interface RegistrationOptions {
  /** Registrar host (IP or name) and port. */
  server: string;
  port: number;
  transport: SipTransportName;
  /** Domain of the AOR; defaults to `server`. */
  domain?: string;
  username: string;
  password: string;
  /** AOR user and our Contact user (the extension calls arrive for); defaults to `username`. */
  extension?: string;
  /** Requested binding lifetime in seconds. */
  expires: number;
  /** First retry delay after a failure (doubles up to `maxRetryMs`). Default 5 s / 300 s. */
  retryMs?: number;
  maxRetryMs?: number;
  /** Where the registrar's addresses are collected: a set its owner keeps across restarts. Default: a new one. */
  registrarAddresses?: Set<string>;
}

/** Adds the addresses of registrar `server` (an IP address, or a name through the OS resolver) to `into`. */
export async function resolveRegistrar(server: string, into: Set<string>): Promise<void> {
  if (isIP(server)) {
    into.add(normalizeAddress(server));
    return;
  }
  for (const a of await lookup(server, { all: true })) into.add(normalizeAddress(a.address));
}

export type RegistrationState = 'registering' | 'registered' | 'failed' | 'stopped';

/** A {@link Registration}'s events: every state change, with the status and granted expiry when known. */
export interface RegistrationEvents {
  state: (state: RegistrationState, detail: { status?: number; expires?: number }) => void;
}

/**
 * A client registration (RFC 3261 §10.2): REGISTER with digest credentials, refreshed before the binding
 * expires (at half the granted time, at most 30 s before the end), re-REGISTER with exponential backoff
 * after a failure, and a final un-REGISTER (Expires: 0) on stop.
 * Events: 'state' (state, detail: { status?: number; expires?: number }).
 */
export class Registration extends TypedEmitter<RegistrationEvents> {
  private stateValue: RegistrationState = 'registering';
  /** §10.2: "A UA MUST use the same Call-ID for all registrations during a single boot cycle". */
  private readonly callId = newCallId();
  private readonly fromTag = newTag();
  private cseq = 0;
  private timer: TimerHandle | undefined;
  private retryMs: number;
  private readonly answeredNonces = new Set<string>();
  /** The registrar's addresses: calls to our contact are accepted from these only. */
  readonly registrarAddresses: Set<string>;
  private transport: Transport | undefined;
  /** Resolves the promise {@link stop} returned, once the un-REGISTER is answered or given up. */
  private unregistered: (() => void) | undefined;

  constructor(
    private readonly options: RegistrationOptions,
    private readonly core: UacCore,
  ) {
    super();
    this.retryMs = options.retryMs ?? 5000;
    this.registrarAddresses = options.registrarAddresses ?? new Set<string>();
  }

  get state(): RegistrationState {
    return this.stateValue;
  }

  /** The Contact user: INVITEs to it belong to this registration. */
  get contactUser(): string {
    return this.options.extension ?? this.options.username;
  }

  /** Learns the registrar's addresses (the OS resolver for a name) and sends the first REGISTER. */
  start(): void {
    const server = this.options.server;
    resolveRegistrar(server, this.registrarAddresses).catch((err: unknown) => this.log.warn({ err, server }, 'cannot resolve registrar'));
    this.send(this.options.expires);
  }

  /** Sends a REGISTER now (an operator's refresh); the refresh/retry cycle carries on from its answer. */
  refresh(): void {
    if (this.stateValue === 'stopped') return;
    this.timer?.cancel();
    this.retryMs = this.options.retryMs ?? 5000;
    this.send(this.options.expires);
  }

  /**
   * Cancels timers and removes the binding with an un-REGISTER (answering a digest challenge once). Resolves when
   * the registrar answered it, or it timed out (nothing to wait for: at once); callers need not wait.
   * `unregister: false` leaves the binding to expire at the registrar (another node taking over this
   * registration re-registers it).
   */
  stop(options: { unregister?: boolean } = {}): Promise<void> {
    if (this.stateValue === 'stopped') return Promise.resolve();
    const wasRegistered = this.stateValue === 'registered';
    this.timer?.cancel();
    this.setState('stopped', {});
    if (!wasRegistered || options.unregister === false) return Promise.resolve();
    this.answeredNonces.clear();
    const done = new Promise<void>((resolve) => (this.unregistered = resolve));
    this.send(0);
    return done;
  }

  private get log() {
    return this.core.ua.logger;
  }

  /** A throwing 'state' listener (metrics, logs) is a bug there; the refresh/retry cycle carries on. */
  protected override onListenerError(err: unknown, event: string): void {
    this.log.error({ err, aor: this.aor() }, `registration ${event} listener threw`);
  }

  private aor(): string {
    return `sip:${this.contactUser}@${this.options.domain ?? this.options.server}`;
  }

  private build(expires: number, auth?: readonly [string, string]): SipRequest {
    const transport = this.transport as Transport;
    const headers = new SipHeaders();
    headers.append('Max-Forwards', '70');
    headers.append('From', `<${this.aor()}>;tag=${this.fromTag}`);
    headers.append('To', `<${this.aor()}>`);
    headers.append('Call-ID', this.callId);
    headers.append('CSeq', `${++this.cseq} REGISTER`);
    const tp = transport.name === 'udp' ? '' : `;transport=${transport.name}`;
    headers.append('Contact', `<sip:${this.contactUser}@${this.core.hostPort(transport)}${tp}>`);
    headers.append('Expires', String(expires));
    headers.append('Allow', this.core.allow);
    if (auth) headers.append(auth[0], auth[1]);
    const uri = `sip:${this.options.domain ?? this.options.server}`;
    return { kind: 'request', method: 'REGISTER', uri, version: 'SIP/2.0', headers, body: Buffer.alloc(0) };
  }

  private send(expires: number, auth?: readonly [string, string]): void {
    this.transport ??= this.core.transport(this.options.transport);
    if (!this.transport) {
      this.fail(`no ${this.options.transport} transport`);
      return;
    }
    const dest: Destination = { address: this.options.server, port: this.options.port };
    const req = this.build(expires, auth);
    const tx = this.core.send(req, dest, this.transport);
    tx.on('response', (res: SipResponse) => {
      if (res.status >= 200) this.onFinal(res, expires);
    });
    tx.once('timeout', () => (expires === 0 ? this.unregisterDone() : this.fail('no response (timeout)', 408)));
    tx.once('transportError', (err: unknown) => (expires === 0 ? this.unregisterDone() : this.fail(`transport error: ${String(err)}`, 503)));
  }

  /** The un-REGISTER's answer: a digest challenge is answered once (a registrar that challenges every REGISTER would keep the binding otherwise). */
  private onUnregisterFinal(res: SipResponse): void {
    const auth = challengeHeaders(res.status);
    const challenge = auth ? chooseDigestChallenge(res.headers.getAll(auth.challenge)) : undefined;
    if (!auth || !challenge || this.answeredNonces.has(challenge.nonce)) {
      this.unregisterDone();
      return;
    }
    this.answeredNonces.add(challenge.nonce);
    const answer = computeDigestAnswer(challenge, this.options, { method: 'REGISTER', uri: `sip:${this.options.domain ?? this.options.server}` });
    this.send(0, [auth.answer, formatDigestAnswer(answer)]);
  }

  private unregisterDone(): void {
    const done = this.unregistered;
    this.unregistered = undefined;
    done?.();
  }

  private onFinal(res: SipResponse, requested: number): void {
    if (requested === 0) {
      this.onUnregisterFinal(res);
      return;
    }
    if (this.stateValue === 'stopped') return;
    const auth = challengeHeaders(res.status);
    if (auth) {
      const challenge = chooseDigestChallenge(res.headers.getAll(auth.challenge));
      if (challenge && (!this.answeredNonces.has(challenge.nonce) || challenge.stale)) {
        this.answeredNonces.add(challenge.nonce);
        const answer = computeDigestAnswer(challenge, this.options, { method: 'REGISTER', uri: `sip:${this.options.domain ?? this.options.server}` });
        this.send(requested, [auth.answer, formatDigestAnswer(answer)]);
        return;
      }
      this.fail('credentials refused', res.status);
      return;
    }
    if (res.status === 423) {
      // §10.2.8: Interval Too Brief: retry with the registrar's Min-Expires.
      const min = Number(res.headers.get('Min-Expires'));
      if (Number.isInteger(min) && min > requested && min <= 86400) {
        this.send(min);
        return;
      }
    }
    if (res.status >= 300) {
      this.fail(`registrar answered ${res.status} ${res.reason}`, res.status);
      return;
    }
    const granted = this.grantedExpires(res, requested);
    this.answeredNonces.clear();
    this.retryMs = this.options.retryMs ?? 5000;
    this.setState('registered', { status: res.status, expires: granted });
    // Refresh at half the binding, but never later than 30 s before it ends (long bindings), nor sooner than 1 s.
    const refreshIn = Math.max(1, Math.min(granted / 2, granted - 30)) * 1000;
    this.timer?.cancel();
    this.timer = this.core.ua.clock.setTimeout(() => this.send(this.options.expires), refreshIn);
  }

  /** §10.2.4: our Contact's expires parameter in the 200, else its Expires header, else what we asked. */
  private grantedExpires(res: SipResponse, requested: number): number {
    try {
      const mine = contactsOf(res).contacts.find((c) => c.uri.user === this.contactUser);
      const p = mine?.params.get('expires');
      if (p && /^\d+$/.test(p)) return Number(p);
    } catch {
      // A malformed Contact in the 200: fall back to the Expires header.
    }
    const h = res.headers.get('Expires');
    return h && /^\d+$/.test(h) ? Number(h) : requested;
  }

  private fail(why: string, status?: number): void {
    if (this.stateValue === 'stopped') return;
    this.log.warn({ registrar: `${this.options.server}:${this.options.port}`, why, status, retryInMs: this.retryMs }, 'registration failed');
    this.setState('failed', status !== undefined ? { status } : {});
    this.timer?.cancel();
    const delay = this.retryMs;
    this.retryMs = Math.min(this.retryMs * 2, this.options.maxRetryMs ?? 300_000);
    this.timer = this.core.ua.clock.setTimeout(() => {
      this.answeredNonces.clear();
      this.setState('registering', {});
      this.send(this.options.expires);
    }, delay);
  }

  private setState(state: RegistrationState, detail: { status?: number; expires?: number }): void {
    if (state === this.stateValue && state !== 'registered') return;
    this.stateValue = state;
    if (state === 'registered') this.log.info({ aor: this.aor(), expires: detail.expires }, 'registered');
    this.emit('state', state, detail);
  }
}
