import { settledWithin, type Clock } from '../../core/clock.js';

/** How long a stopping user agent waits for them: a CANCELled INVITE's 487 comes in one round trip. */
const SETTLE_MS = 2000;

/**
 * Exchanges a user agent lets finish before it closes its transports (a CANCELled INVITE waiting for its 487,
 * which the INVITE's transaction must ACK), each forgotten once it settles.
 */
export class PendingExchanges {
  private readonly pending = new Set<Promise<void>>();

  add(work: Promise<unknown>): void {
    const forget = (): void => {
      this.pending.delete(done);
    };
    const done: Promise<void> = work.then(forget, forget);
    this.pending.add(done);
  }

  /** Resolves once every pending exchange settled, or after `ms` on the clock. */
  async settle(clock: Clock, ms = SETTLE_MS): Promise<void> {
    if (this.pending.size > 0) await settledWithin(Promise.all(this.pending), ms, clock);
  }
}
