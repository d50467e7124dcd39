/**
 * Loopback ports the benchmark must name before a peer binds them (SIPp's SIP port and its four media ports).
 * It takes them the way the test suite does (test/helpers/ports.ts): a block of {@link BLOCK_SIZE} ports from
 * {@link PORT_RANGE}, locked by listening on an abstract unix socket named after the block. The lock names are
 * the suite's, so a bench and a test run on the same machine never get the same block; the kernel drops the
 * lock when the process exits, so a killed bench leaves nothing behind. (test/unit/bench checks that the
 * constants agree with the suite's.)
 *
 * The bridge's RTP range is not taken from here: it needs more ports than a few blocks hold, and the bridge's
 * port pool skips ports another process holds, so the bench gives it {@link BRIDGE_RTP_RANGE}.
 */
import { createServer, type Server } from 'node:net';

/** The ports the test suite hands out (test/helpers/ports.ts PORT_RANGE). */
export const PORT_RANGE = { first: 20_100, last: 32_099 } as const;
/** Ports per block (test/helpers/ports.ts BLOCK_SIZE). */
export const BLOCK_SIZE = 50;
/** The abstract unix socket that locks a block (the suite's name). */
export function blockLockName(first: number): string {
  return `\0trunkbridge-test-ports-${first}-${BLOCK_SIZE}`;
}

/**
 * The bridge's RTP ports in the benchmark: clear of the suite's range and of the bridge's default
 * (10000-20000, which a bridge started by hand may hold); 4000 even ports.
 */
export const BRIDGE_RTP_RANGE = { min: 40_000, max: 47_999 } as const;

/** A locked block of ports, handed out in order. */
export class PortBlocks {
  private readonly locks: Server[] = [];
  private next = 0;
  private end = 0;
  private scanFrom = 0;

  /** `count` consecutive ports starting on an even port, in a block no test run or other bench holds. */
  async take(count: number): Promise<number> {
    if (!Number.isInteger(count) || count < 1 || count > BLOCK_SIZE) throw new RangeError(`cannot take ${count} ports (1..${BLOCK_SIZE})`);
    this.next += this.next % 2;
    if (this.next + count > this.end) await this.claim();
    const base = this.next;
    this.next += count;
    return base;
  }

  /** Releases every block (closes the lock sockets). */
  close(): void {
    for (const s of this.locks.splice(0)) s.close();
  }

  private async claim(): Promise<void> {
    const blocks = Math.floor((PORT_RANGE.last - PORT_RANGE.first + 1) / BLOCK_SIZE);
    for (; this.scanFrom < blocks; this.scanFrom++) {
      const first = PORT_RANGE.first + this.scanFrom * BLOCK_SIZE;
      const lock = await tryLock(first);
      if (!lock) continue;
      this.locks.push(lock);
      this.scanFrom++;
      this.next = first;
      this.end = first + BLOCK_SIZE;
      return;
    }
    throw new Error(`bench ports: every block of ${PORT_RANGE.first}-${PORT_RANGE.last} is held by test runs or benches`);
  }
}

/** Listens on the block's lock socket; undefined when another process holds it. */
async function tryLock(first: number): Promise<Server | undefined> {
  const server = createServer();
  const ok = await new Promise<boolean>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => (err.code === 'EADDRINUSE' ? resolve(false) : reject(err)));
    server.listen({ path: blockLockName(first) }, () => resolve(true));
  });
  if (!ok) return undefined;
  server.unref();
  return server;
}
