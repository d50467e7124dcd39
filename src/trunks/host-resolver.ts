import { lookup } from 'node:dns/promises';
import type { Logger } from 'pino';
import type { Clock, TimerHandle } from '../core/clock.js';

export type LookupFn = (name: string) => Promise<string[]>;

/** Every address of a name (A and AAAA) via the OS resolver. */
export const systemLookup: LookupFn = async (name) => (await lookup(name, { all: true })).map((a) => a.address);

/**
 * Keeps the addresses of allow-list host names: resolved once before the bridge takes calls and again every
 * `refreshMs` on the injected clock. A failed lookup keeps the last good addresses (a DNS hiccup must not cut
 * a carrier off) and is logged.
 */
export class HostResolver {
  private readonly addresses = new Map<string, readonly string[]>();
  private timer: TimerHandle | undefined;
  private stopped = false;

  constructor(
    private readonly names: readonly string[],
    private readonly deps: { clock: Clock; logger: Logger; lookup?: LookupFn; refreshMs?: number },
  ) {}

  /** Resolves every name now. */
  async refresh(): Promise<void> {
    const lookupFn = this.deps.lookup ?? systemLookup;
    await Promise.all(
      this.names.map(async (name) => {
        try {
          const found = await lookupFn(name);
          this.addresses.set(name, found);
          this.deps.logger.debug({ host: name, addresses: found }, 'allow-list host resolved');
        } catch (err) {
          this.deps.logger.warn({ host: name, reason: (err as Error).message, kept: this.addresses.get(name) ?? [] }, 'allow-list host lookup failed');
        }
      }),
    );
  }

  /** First resolution, then periodic refresh. */
  async start(): Promise<void> {
    await this.refresh();
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
  }

  /** Current addresses of `name` (empty when never resolved). */
  addressesOf(name: string): readonly string[] {
    return this.addresses.get(name.toLowerCase()) ?? this.addresses.get(name) ?? [];
  }

  private schedule(): void {
    if (this.stopped || this.names.length === 0) return;
    this.timer = this.deps.clock.setTimeout(() => {
      void this.refresh().finally(() => this.schedule());
    }, this.deps.refreshMs ?? 300_000);
  }
}
