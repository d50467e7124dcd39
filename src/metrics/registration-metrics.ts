import { Counter, Gauge, type Registry } from 'prom-client';

/** PBX registration state: up (1 registered, 0 not) and failures, per configured registration name. */
export class RegistrationMetrics {
  readonly up: Gauge<'registration'>;
  readonly failures: Counter<'registration'>;
  readonly leaseHeld: Gauge<'registration'>;

  constructor(registry: Registry) {
    this.up = new Gauge({ name: 'trunkbridge_registration_up', help: 'PBX registration bound (1) or not (0)', labelNames: ['registration'] as const, registers: [registry] });
    this.failures = new Counter({ name: 'trunkbridge_registration_failures_total', help: 'REGISTER attempts that failed', labelNames: ['registration'] as const, registers: [registry] });
    this.leaseHeld = new Gauge({ name: 'trunkbridge_registration_lease_held', help: 'This node holds the registration (its lease in a shared store: it registers it) (1) or not (0)', labelNames: ['registration'] as const, registers: [registry] });
  }

  /** Records a state change of registration `name`. */
  state(name: string, state: string): void {
    this.up.set({ registration: name }, state === 'registered' ? 1 : 0);
    if (state === 'failed') this.failures.inc({ registration: name });
  }

  /** Records whether this node holds (runs) registration `name`. */
  held(name: string, held: boolean): void {
    this.leaseHeld.set({ registration: name }, held ? 1 : 0);
  }
}
