/**
 * Digest brute-force lockout per source address (the guard Kamailio and Asterisk deployments add with fail2ban):
 * `maxFailures` failed authentications within `windowMs` lock the source out for `lockoutMs`, doubling with each
 * new episode up to `maxLockoutMs`. A locked-out source gets no new challenge and even a right answer to a nonce
 * it already holds is refused, since nonces stay valid for minutes. Per address only, never per username: an
 * attacker guessing a PBX's username must not lock the real PBX out from its own address. Pure state on the
 * injected clock; the caller logs and counts through `onLockout`.
 */
import type { Clock } from '../core/clock.js';

/** Failures before a lockout can never exceed this, whatever the settings. */
export const MAX_FAILURES_CEILING = 20;

export interface AuthLockoutOptions {
  clock: Clock;
  /** Failures within `windowMs` that lock a source out (default 10, at most {@link MAX_FAILURES_CEILING}). */
  maxFailures?: number;
  /** Default 60 s. */
  windowMs?: number;
  /** First lockout (default 5 min); each further episode doubles it. */
  lockoutMs?: number;
  /** Longest lockout (default 24 h). */
  maxLockoutMs?: number;
  /** Sources remembered at once; the least recently failed is forgotten first (default 65536). */
  maxSources?: number;
  /** Once per episode, when a source is locked out. */
  onLockout?: (episode: LockoutEpisode) => void;
}

/** One lockout, as logged (usernames tried, never passwords). */
export interface LockoutEpisode {
  source: string;
  failures: number;
  lockoutMs: number;
  /** Which lockout of this source in a row (1, 2, ...): the backoff step. */
  episode: number;
  usernames: string[];
}

interface SourceState {
  /** Clock times of recent failures (at most maxFailures kept). */
  failures: number[];
  usernames: Set<string>;
  lockedUntil: number;
  episodes: number;
  lastFailure: number;
}

/** Tracks failures per source and decides lockouts. */
export class AuthLockout {
  private readonly sources = new Map<string, SourceState>();
  private readonly maxFailures: number;
  private readonly windowMs: number;
  private readonly lockoutMs: number;
  private readonly maxLockoutMs: number;
  private readonly maxSources: number;

  constructor(private readonly options: AuthLockoutOptions) {
    this.maxFailures = Math.max(1, Math.min(MAX_FAILURES_CEILING, options.maxFailures ?? 10));
    this.windowMs = options.windowMs ?? 60_000;
    this.lockoutMs = options.lockoutMs ?? 300_000;
    this.maxLockoutMs = Math.max(this.lockoutMs, options.maxLockoutMs ?? 86_400_000);
    this.maxSources = Math.max(1, options.maxSources ?? 65_536);
  }

  /** True while `source` is locked out. */
  isLockedOut(source: string): boolean {
    const s = this.sources.get(source);
    return s !== undefined && s.lockedUntil > this.options.clock.now();
  }

  /** Records a failed authentication; returns true when it started a lockout. */
  failed(source: string, username?: string): boolean {
    const now = this.options.clock.now();
    const s = this.stateOf(source, now);
    if (s.lockedUntil > now) return false;
    // A source quiet for longer than the longest lockout starts its backoff again.
    if (s.episodes > 0 && now - s.lastFailure > this.maxLockoutMs) s.episodes = 0;
    s.lastFailure = now;
    s.failures = s.failures.filter((t) => now - t < this.windowMs);
    s.failures.push(now);
    if (username !== undefined && s.usernames.size < 16) s.usernames.add(username.slice(0, 64));
    if (s.failures.length < this.maxFailures) return false;
    s.episodes++;
    const lockoutMs = Math.min(this.maxLockoutMs, this.lockoutMs * 2 ** (s.episodes - 1));
    s.lockedUntil = now + lockoutMs;
    const episode: LockoutEpisode = { source, failures: s.failures.length, lockoutMs, episode: s.episodes, usernames: [...s.usernames] };
    s.failures = [];
    s.usernames.clear();
    this.options.onLockout?.(episode);
    return true;
  }

  /** A right answer: the failures so far are forgiven (the backoff step is kept). */
  succeeded(source: string): void {
    const s = this.sources.get(source);
    if (s) {
      s.failures = [];
      s.usernames.clear();
    }
  }

  /** Sources remembered now (bounded by maxSources). */
  get size(): number {
    return this.sources.size;
  }

  private stateOf(source: string, now: number): SourceState {
    const found = this.sources.get(source);
    if (found) {
      this.sources.delete(source);
      this.sources.set(source, found);
      return found;
    }
    if (this.sources.size >= this.maxSources) {
      // Forget the least recently failed source that is not locked out; if all are, the oldest.
      let victim: string | undefined;
      for (const [k, v] of this.sources) {
        if (v.lockedUntil <= now) {
          victim = k;
          break;
        }
      }
      this.sources.delete(victim ?? this.sources.keys().next().value!);
    }
    const state: SourceState = { failures: [], usernames: new Set(), lockedUntil: 0, episodes: 0, lastFailure: now };
    this.sources.set(source, state);
    return state;
  }
}
