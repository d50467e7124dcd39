/**
 * The PBX registrations of the live configuration: one {@link LeasedRegistration} per `registrations` entry, kept
 * in step with each new configuration snapshot (an added entry registers, a removed one un-registers, a changed
 * one re-registers; an unchanged one keeps its binding). With a shared store each runs on the one node holding
 * its lease (app/registration-lease.ts). Part of the composition root (layer "app").
 */
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { Config } from '../config/index.js';
import type { SipUserAgent } from '../sip/ua/user-agent.js';
import type { RegistrationMetrics } from '../metrics/registration-metrics.js';
import type { TransferPolicy } from '../calls/transfer-target.js';
import type { RegisteredExtension } from '../trunks/registration-router.js';
import type { LeaseStore } from '../store/leases.js';
import { LeasedRegistration, leaseName } from './registration-lease.js';

type RegistrationConfig = Config['registrations'][number];

/** PBX registrations: the extensions they route to bots, and the PBXs that ext:/pbx: transfers dial through. */
export interface RegistrationSet {
  extensions: RegisteredExtension[];
  pbxByName: Map<string, NonNullable<TransferPolicy['pbx']>>;
}

interface Entry {
  readonly config: RegistrationConfig;
  readonly key: string;
  readonly lease: LeasedRegistration;
}

export interface RegistrationPoolDeps {
  sip: SipUserAgent;
  metrics: RegistrationMetrics;
  leases: LeaseStore;
  clock: Clock;
  logger: Logger;
}

export class RegistrationPool {
  private entries = new Map<string, Entry>();
  private started = false;
  /** Entries being stopped (un-REGISTER, lease release): {@link stop} waits for them too. */
  private readonly stopping = new Set<Promise<void>>();
  /** Hear every registration's state changes (the API's event stream). */
  private readonly stateListeners = new Set<(name: string, state: string) => void>();

  constructor(private readonly deps: RegistrationPoolDeps) {
    deps.leases.onReleased?.((name) => {
      for (const e of this.entries.values()) if (leaseName(e.config.name) === name) e.lease.nudge();
    });
  }

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
      const e: Entry = { config: r, key, lease: this.create(r) };
      next.set(r.name, e);
      // The old one's un-REGISTER and lease release go first, so the new one takes the lease after them.
      const previous = old ? this.retire(old) : Promise.resolve();
      if (this.started) void previous.then(() => this.started && e.lease.start());
    }
    for (const [name, old] of this.entries) {
      if (next.has(name)) continue;
      void this.retire(old);
      this.deps.metrics.state(name, 'stopped');
      this.deps.metrics.held(name, false);
      this.tellState(name, 'stopped');
    }
    this.entries = next;
  }

  /** Every registration's state now, in configuration order (as its holder reported it; `stopped` when none). */
  states(): Array<{ name: string; state: string }> {
    return [...this.entries].map(([name, e]) => ({ name, state: e.lease.state ?? 'stopped' }));
  }

  /** Calls `listener` on each state change of a registration run here (a removed one reports `stopped`); returns the unsubscribe. */
  onState(listener: (name: string, state: string) => void): () => void {
    this.stateListeners.add(listener);
    return () => {
      this.stateListeners.delete(listener);
    };
  }

  private tellState(name: string, state: string): void {
    for (const l of [...this.stateListeners]) l(name, state);
  }

  /** Registration state by name: here, or as the node holding it reported it (undefined: not running anywhere known). */
  state(name: string): string | undefined {
    return this.entries.get(name)?.lease.state;
  }

  /** The node holding registration `name`, with a shared store only (undefined otherwise, or when unknown). */
  holder(name: string): string | undefined {
    return this.deps.leases.shared ? this.entries.get(name)?.lease.holder : undefined;
  }

  /** Sends a REGISTER now (on the node holding it: elsewhere nothing is sent); false when there is no such registration. */
  refresh(name: string): boolean {
    const e = this.entries.get(name);
    if (!e) return false;
    e.lease.refresh();
    return true;
  }

  /**
   * What call routing and transfers read from the current registrations. Every node routes every registration's
   * extension: the PBX may still send a call to a node whose binding has not expired yet.
   */
  get set(): RegistrationSet {
    const set: RegistrationSet = { extensions: [], pbxByName: new Map() };
    for (const { config: r, lease } of this.entries.values()) {
      set.extensions.push({ name: r.name, contactUser: lease.contactUser, bot: r.bot, registrarAddresses: lease.registrarAddresses });
      set.pbxByName.set(r.name, { host: r.server, port: r.port, transport: r.transport, credentials: { username: r.username, password: r.password } });
    }
    return set;
  }

  get size(): number {
    return this.entries.size;
  }

  start(): void {
    this.started = true;
    for (const e of this.entries.values()) e.lease.start();
  }

  /**
   * Stops every registration (un-REGISTER where it runs) and gives the leases up, so another node takes them at
   * once. Resolves when the un-REGISTERs are sent and the leases released. The extensions stay routed.
   */
  async stop(): Promise<void> {
    this.started = false;
    for (const e of this.entries.values()) void this.retire(e);
    await Promise.all([...this.stopping]);
  }

  private retire(e: Entry): Promise<void> {
    const done = e.lease.stop();
    this.stopping.add(done);
    void done.then(() => this.stopping.delete(done));
    return done;
  }

  private create(r: RegistrationConfig): LeasedRegistration {
    const { sip, metrics, leases, clock, logger } = this.deps;
    metrics.state(r.name, 'stopped');
    metrics.held(r.name, false);
    return new LeasedRegistration(r, {
      leases,
      clock,
      logger,
      onHeld: (held) => metrics.held(r.name, held),
      // Another node runs it: its state changes reach this node's event stream as its lease renewals report them.
      onRemoteState: (state) => this.tellState(r.name, state),
      create: (registrarAddresses) => {
        const reg = sip.register({
          server: r.server,
          port: r.port,
          transport: r.transport,
          username: r.username,
          password: r.password,
          expires: r.expires,
          retryMs: r.retrySec * 1000,
          maxRetryMs: Math.max(r.retrySec, r.retryMaxSec) * 1000,
          registrarAddresses,
          ...(r.extension !== undefined ? { extension: r.extension } : {}),
          ...(r.domain !== undefined ? { domain: r.domain } : {}),
        });
        metrics.state(r.name, 'registering');
        reg.on('state', (state: string) => {
          metrics.state(r.name, state);
          this.tellState(r.name, state);
        });
        return reg;
      },
    });
  }
}
