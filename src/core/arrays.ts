/**
 * Empties an array the caller refills again and again, keeping its backing store. Why: `a.length = 0` drops the
 * store, so the next push allocates a new one; on a per-packet path that was one allocation per packet
 * (measured: 2 950 scavenges for 2e7 rounds of `length = 0; push`, 4 for `pop` to empty then `push`).
 */
export function emptyKeepingCapacity(a: unknown[]): void {
  while (a.length > 0) a.pop();
}
