import type { Clock } from '../../core/clock.js';

/** A token bucket: `rate` messages a second sustained, `burst` at once. */
export interface BucketBudget {
  /** Tokens added per second. */
  rate: number;
  /** Bucket size: the most a source may send at once after a quiet spell. */
  burst: number;
}

export interface FloodGuardOptions {
  clock: Clock;
  /** Budget of a source no trunk names (default 30/s, burst 60). */
  untrusted?: BucketBudget;
  /** Budget of a trusted source: a trunk's allow list, a registrar (default 10000/s, burst 20000). */
  trusted?: BucketBudget;
  /** How long a source that ran over its budget is dropped for, ms (default 300 s, as Kamailio's pike). */
  banMs?: number;
  /** Sources tracked at once; the least recently seen is forgotten first (default 65536). */
  maxSources?: number;
  /** True for a source with the larger budget. Asked once per source entry, not per message. */
  isTrusted?: (address: string) => boolean;
}

/** What the guard decided for one message. */
export type FloodVerdict = 'pass' | 'banned' | 'ban-started';

interface SourceEntry {
  tokens: number;
  /** Clock time the tokens were last topped up. */
  at: number;
  trusted: boolean;
  /** Clock time the ban ends; 0 when not banned. */
  bannedUntil: number;
}

/**
 * Per-source flood control on raw messages, before any parsing (the shape of Kamailio's pike and sipgo's
 * read filter): one token bucket per source IP; a source that finds its bucket empty is banned for `banMs` and
 * every message from it is dropped until then. The table is an LRU bounded by `maxSources`, so a spoofed flood
 * from many addresses costs bounded memory (it can push an old entry out, never grow the table).
 */
export class FloodGuard {
  private readonly sources = new Map<string, SourceEntry>();
  private readonly untrusted: BucketBudget;
  private readonly trusted: BucketBudget;
  private readonly banMs: number;
  private readonly maxSources: number;

  constructor(private readonly options: FloodGuardOptions) {
    this.untrusted = options.untrusted ?? { rate: 30, burst: 60 };
    this.trusted = options.trusted ?? { rate: 10_000, burst: 20_000 };
    this.banMs = options.banMs ?? 300_000;
    this.maxSources = Math.max(1, options.maxSources ?? 65_536);
  }

  /** Spends one token of `address`'s budget. */
  admit(address: string): FloodVerdict {
    const now = this.options.clock.now();
    const entry = this.entryOf(address, now);
    if (entry.bannedUntil > now) return 'banned';
    if (entry.bannedUntil !== 0) {
      // The ban is over: the source starts again with a full bucket.
      entry.bannedUntil = 0;
      entry.tokens = this.budgetOf(entry).burst;
      entry.at = now;
    }
    const budget = this.budgetOf(entry);
    entry.tokens = Math.min(budget.burst, entry.tokens + ((now - entry.at) / 1000) * budget.rate);
    entry.at = now;
    if (entry.tokens < 1 && !entry.trusted && this.options.isTrusted?.(address)) {
      // Trust is read once per entry; before a ban it is read again (an allow-list host name may have
      // resolved to this address since), and a newly trusted source gets the trusted bucket.
      entry.trusted = true;
      entry.tokens = this.trusted.burst;
    }
    if (entry.tokens >= 1) {
      entry.tokens -= 1;
      return 'pass';
    }
    entry.bannedUntil = now + this.banMs;
    return 'ban-started';
  }

  /**
   * Gives `address` the trusted budget from now on (while its entry lives): a peer we send requests to, whose
   * responses come at the rate we call it. A ban on it is lifted, or we could not hear its answers.
   */
  trust(address: string): void {
    const now = this.options.clock.now();
    const entry = this.entryOf(address, now);
    if (entry.trusted) return;
    entry.trusted = true;
    entry.bannedUntil = 0;
    entry.tokens = this.trusted.burst;
    entry.at = now;
  }

  /** True while `address` is banned (connection attempts are refused without reading). */
  isBanned(address: string): boolean {
    const entry = this.sources.get(address);
    return entry !== undefined && entry.bannedUntil > this.options.clock.now();
  }

  /** Sources tracked now (bounded by maxSources). */
  get size(): number {
    return this.sources.size;
  }

  private budgetOf(entry: SourceEntry): BucketBudget {
    return entry.trusted ? this.trusted : this.untrusted;
  }

  private entryOf(address: string, now: number): SourceEntry {
    const found = this.sources.get(address);
    if (found) {
      // Map order is insertion order: re-inserting keeps the most recently seen last (LRU).
      this.sources.delete(address);
      this.sources.set(address, found);
      return found;
    }
    if (this.sources.size >= this.maxSources) {
      const oldest = this.sources.keys().next().value;
      if (oldest !== undefined) this.sources.delete(oldest);
    }
    const trusted = this.options.isTrusted?.(address) ?? false;
    const entry: SourceEntry = { tokens: (trusted ? this.trusted : this.untrusted).burst, at: now, trusted, bannedUntil: 0 };
    this.sources.set(address, entry);
    return entry;
  }
}
