/**
 * The PBX registrations of the live configuration: one {@link Registration} per `registrations` entry, kept in
 * step with each new configuration snapshot (an added entry registers, a removed one un-registers, a changed
 * one re-registers; an unchanged one keeps its binding). Part of the composition root (layer "app").
 */
import type { Config } from './config/index.js';
import type { SipUserAgent } from './sip/ua/user-agent.js';
import type { Registration } from './sip/ua/registration.js';
import type { RegistrationMetrics } from './metrics/registration-metrics.js';
import type { TransferPolicy } from './calls/transfer-target.js';
import type { RegisteredExtension } from './trunks/registration-router.js';

type RegistrationConfig = Config['registrations'][number];

/** PBX registrations: the extensions they route to bots, and the PBXs that ext:/pbx: transfers dial through. */
export interface RegistrationSet {
  extensions: RegisteredExtension[];
  pbxByName: Map<string, NonNullable<TransferPolicy['pbx']>>;
}

interface Entry {
  readonly config: RegistrationConfig;
  readonly key: string;
  readonly reg: Registration;
}

export class RegistrationPool {
  private entries = new Map<string, Entry>();
  private started = false;
  /** Hear every registration's state changes (the API's event stream). */
  private readonly stateListeners = new Set<(name: string, state: string) => void>();

  constructor(
    private readonly sip: SipUserAgent,
    private readonly metrics: RegistrationMetrics,
  ) {}

  /** Makes the running registrations match `list` (started at once when the pool is running). */
  sync(list: readonly RegistrationConfig[]): void {
    const next = new Map<string, Entry>();
    for (const r of list) {
      const key = JSON.stringify(r);
      const old = this.entries.get(r.name);
      if (old && old.key === key) {
        next.set(r.name, old);
        continue;
      }
      old?.reg.stop();
      next.set(r.name, { config: r, key, reg: this.create(r) });
    }
    for (const [name, old] of this.entries) {
      if (next.has(name)) continue;
      old.reg.stop();
      this.metrics.state(name, 'stopped');
      this.tellState(name, 'stopped');
    }
    this.entries = next;
  }

  /** Registration state by name (undefined: no such registration). */
  state(name: string): string | undefined {
    return this.entries.get(name)?.reg.state;
  }

  /** Every registration's state now, in configuration order. */
  states(): Array<{ name: string; state: string }> {
    return [...this.entries].map(([name, e]) => ({ name, state: e.reg.state }));
  }

  /** Calls `listener` on each state change of any registration (a removed one reports `stopped`); returns the unsubscribe. */
  onState(listener: (name: string, state: string) => void): () => void {
    this.stateListeners.add(listener);
    return () => {
      this.stateListeners.delete(listener);
    };
  }

  private tellState(name: string, state: string): void {
    for (const l of [...this.stateListeners]) l(name, state);
  }

  /** Sends a REGISTER now; false when there is no such registration. */
  refresh(name: string): boolean {
    const e = this.entries.get(name);
    if (!e) return false;
    e.reg.refresh();
    return true;
  }

  /** What call routing and transfers read from the current registrations. */
  get set(): RegistrationSet {
    const set: RegistrationSet = { extensions: [], pbxByName: new Map() };
    for (const { config: r, reg } of this.entries.values()) {
      set.extensions.push({ name: r.name, contactUser: reg.contactUser, bot: r.bot, registrarAddresses: reg.registrarAddresses });
      set.pbxByName.set(r.name, { host: r.server, port: r.port, transport: r.transport, credentials: { username: r.username, password: r.password } });
    }
    return set;
  }

  get size(): number {
    return this.entries.size;
  }

  start(): void {
    this.started = true;
    for (const e of this.entries.values()) e.reg.start();
  }

  stop(): void {
    this.started = false;
    for (const e of this.entries.values()) e.reg.stop();
  }

  private create(r: RegistrationConfig): Registration {
    const reg = this.sip.register({
      server: r.server,
      port: r.port,
      transport: r.transport,
      username: r.username,
      password: r.password,
      expires: r.expires,
      retryMs: r.retrySec * 1000,
      maxRetryMs: Math.max(r.retrySec, r.retryMaxSec) * 1000,
      ...(r.extension !== undefined ? { extension: r.extension } : {}),
      ...(r.domain !== undefined ? { domain: r.domain } : {}),
    });
    this.metrics.state(r.name, 'registering');
    reg.on('state', (state: string) => {
      this.metrics.state(r.name, state);
      this.tellState(r.name, state);
    });
    if (this.started) reg.start();
    return reg;
  }
}
