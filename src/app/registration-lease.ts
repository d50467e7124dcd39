/**
 * One PBX registration run under a lease (layer "app"): it registers only while this node holds the lease
 * `registration:<name>` in the store, so in a cluster exactly one node keeps the binding. Every node ticks every
 * quarter of the registration's retry time: the holder renews, the others try to take it (they get it once the
 * holder released it or it ran out; a release the store announces makes them try at once). The lease lasts half
 * the retry time (at least 1 s), so a node that dies is replaced within the retry time. One node alone always
 * holds it (LocalLeases).
 */
import type { Clock, TimerHandle } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { Config } from '../config/index.js';
import type { LeaseStore, LeaseView } from '../store/leases.js';
import type { Registration } from '../sip/ua/registration.js';
import { resolveRegistrar } from '../sip/ua/registration.js';

type RegistrationConfig = Config['registrations'][number];

/** How long a stop waits for the registrar to answer the un-REGISTER before it releases the lease anyway. */
const UNREGISTER_WAIT_MS = 2000;

/** The lease's name in the store. */
export const leaseName = (registration: string): string => `registration:${registration}`;

/** How long a lease lasts and how often it is renewed (or tried for), from the registration's retry time. */
export function leaseTiming(retrySec: number): { ttlMs: number; tickMs: number } {
  const retryMs = retrySec * 1000;
  return { ttlMs: Math.max(retryMs / 2, 1000), tickMs: Math.max(retryMs / 4, 250) };
}

export interface LeasedRegistrationDeps {
  leases: LeaseStore;
  clock: Clock;
  logger: Logger;
  /** A new, not yet started registration that fills `registrarAddresses` (the one set routing holds). */
  create(registrarAddresses: Set<string>): Registration;
  /** Told when this node starts or stops registering it. */
  onHeld?(held: boolean): void;
  /** Told when the state another node (the holder) reported with its lease changes, as this node sees it. */
  onRemoteState?(state: string): void;
}

export class LeasedRegistration {
  /** The registrar's addresses, known on every node: a call the PBX sends to any of them is routed. */
  readonly registrarAddresses = new Set<string>();
  private reg: Registration | undefined;
  private view: LeaseView | undefined;
  /** Local time (the clock's) until which the lease is surely ours: the last renewal's send time + ttl. */
  private validUntil = 0;
  private timer: TimerHandle | undefined;
  private inFlight: Promise<void> | undefined;
  private running = false;
  private stopped = false;
  private storeFailing = false;
  private readonly timing: { ttlMs: number; tickMs: number };

  constructor(
    readonly config: RegistrationConfig,
    private readonly deps: LeasedRegistrationDeps,
  ) {
    this.timing = leaseTiming(config.retrySec);
  }

  /** The user INVITEs for this registration are addressed to. */
  get contactUser(): string {
    return this.config.extension ?? this.config.username;
  }

  /** True while this node registers it. */
  get held(): boolean {
    return this.reg !== undefined;
  }

  /** Who holds the lease, as last seen (undefined: not known yet, or the store is unreachable). */
  get holder(): string | undefined {
    return this.reg ? this.deps.leases.nodeId : this.view?.holder;
  }

  /** The registration's state here, or as its holder last reported it; undefined when nobody is known to run it. */
  get state(): string | undefined {
    if (this.reg) return this.reg.state;
    return this.view && !this.view.mine && this.view.holder !== undefined ? this.view.note : undefined;
  }

  /** Sends a REGISTER now when this node holds it; false otherwise. */
  refresh(): boolean {
    this.reg?.refresh();
    return this.reg !== undefined;
  }

  /** The lease was released somewhere: try for it now rather than at the next tick (unless this node runs it). */
  nudge(): void {
    if (!this.running || this.stopped || this.reg || this.inFlight) return;
    this.timer?.cancel();
    this.tick();
  }

  start(): void {
    if (this.running || this.stopped) return;
    this.running = true;
    const server = this.config.server;
    resolveRegistrar(server, this.registrarAddresses).catch((err: unknown) => this.deps.logger.warn({ err, server }, 'cannot resolve registrar'));
    this.tick();
  }

  /**
   * Stops for good: un-REGISTERs when this node registers it (the binding goes now, not at its expiry), then
   * gives the lease up so another node takes it at its next tick instead of waiting for the expiry.
   */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.timer?.cancel();
    await this.inFlight;
    this.view = undefined; // released below: this node no longer knows who holds it
    const reg = this.reg;
    this.reg = undefined;
    if (reg) {
      // The registrar answers the un-REGISTER before the release: a node taking over (told of the release within
      // milliseconds) registers after it, so a late retransmission cannot remove a binding it shares the Contact of.
      let timer: TimerHandle | undefined;
      await Promise.race([reg.stop(), new Promise<void>((r) => (timer = this.deps.clock.setTimeout(r, UNREGISTER_WAIT_MS)))]);
      timer?.cancel();
      this.deps.onHeld?.(false);
    }
    if (!this.running) return;
    await this.deps.leases.release(leaseName(this.config.name)).catch((err: unknown) => {
      this.deps.logger.warn({ err, registration: this.config.name }, 'cannot release the registration lease: another node takes it when it expires');
    });
  }

  private tick(): void {
    if (this.stopped) return;
    if (this.reg && this.deps.clock.now() >= this.validUntil) this.lose('the lease ran out before the store renewed it');
    if (!this.inFlight) {
      const sentAt = this.deps.clock.now();
      const note = this.reg?.state ?? 'registering';
      this.inFlight = this.deps.leases
        .acquire(leaseName(this.config.name), this.timing.ttlMs, note)
        .then(
          (view) => this.onView(view, sentAt),
          (err: unknown) => this.onStoreError(err),
        )
        .finally(() => {
          this.inFlight = undefined;
        });
    }
    this.timer = this.deps.clock.setTimeout(() => this.tick(), this.timing.tickMs);
  }

  private onView(view: LeaseView, sentAt: number): void {
    if (this.storeFailing) this.deps.logger.info({ registration: this.config.name }, 'registration lease: the store answers again');
    this.storeFailing = false;
    const before = this.state;
    this.view = view;
    if (this.stopped) return; // stop() releases what this acquire may just have taken
    if (!view.mine) {
      if (this.reg) this.lose(`the lease is held by ${view.holder ?? 'another node'}`);
      const now = this.state;
      if (now !== undefined && now !== before) this.deps.onRemoteState?.(now);
      return;
    }
    this.validUntil = sentAt + this.timing.ttlMs;
    if (this.reg) return;
    this.reg = this.deps.create(this.registrarAddresses);
    if (this.deps.leases.shared) this.deps.logger.info({ registration: this.config.name, node: this.deps.leases.nodeId }, 'registration lease taken: registering from this node');
    this.deps.onHeld?.(true);
    this.reg.start();
  }

  private onStoreError(err: unknown): void {
    if (!this.storeFailing) this.deps.logger.warn({ err, registration: this.config.name, held: this.held }, 'registration lease: the store cannot be reached');
    this.storeFailing = true;
    this.view = undefined;
    if (this.reg && this.deps.clock.now() >= this.validUntil) this.lose('the store could not renew the lease in time');
  }

  /**
   * Stops registering here WITHOUT an un-REGISTER. Another node holds the lease now (or may, once it ran out), and
   * its REGISTER may already have reached the registrar: when the nodes advertise one address (Kamailio's in
   * front of them), both bindings are the same Contact, so an un-REGISTER from here would delete the new holder's
   * binding. Each node's own Contact just ages out at the registrar (the new holder's is the newer one).
   */
  private lose(why: string): void {
    const reg = this.reg;
    if (!reg) return;
    this.reg = undefined;
    reg.stop({ unregister: false });
    this.deps.logger.warn({ registration: this.config.name, why }, 'registration lease lost: no longer registering from this node');
    this.deps.onHeld?.(false);
  }
}
