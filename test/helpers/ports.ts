/**
 * Loopback ports for test peers that must be told a port before they start (SIPp, baresip, Kamailio, dnsmasq,
 * the bridge's RTP range), handed out so that two users can never be given the same one. This replaces
 * "bind port 0, read the port, close, hope nobody takes it before the peer binds it", which races on a busy
 * machine.
 *
 * How a port cannot be given twice:
 * - Ports come from {@link PORT_RANGE}, below the kernel's ephemeral range (checked at first use), so no
 *   socket that binds port 0 and no outgoing connection is ever given one of them by the kernel.
 * - The range is cut into blocks of {@link BLOCK_SIZE}. A test process claims a whole block and hands out
 *   its ports in order, never twice; when it runs out it claims another block.
 * - Within one vitest run, a block is claimed by creating its file in the run's claim folder (exclusive
 *   create, shared by every worker of the run through `inject('portClaimDir')`, see port-claims.setup.ts).
 *   The file is never removed during the run, so no block is handed out twice in a run, even to a later
 *   test file after the first one's worker exited.
 * - Across runs on the same machine (two worktrees testing at once), a block is also locked by listening on
 *   an abstract unix socket named after it. The kernel drops the lock when the process that took it exits,
 *   so a crashed run leaves nothing stale behind.
 */
import { openSync, closeSync, writeSync, mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The run's block claim folder (port-claims.setup.ts). */
    portClaimDir: string;
  }
}

/**
 * The ports tests may be given: above the bridge's default RTP range (10000-20000, which a bridge started by
 * hand on the same machine may be using) and below the kernel's usual ephemeral range (32768 up).
 */
export const PORT_RANGE = { first: 20_100, last: 32_099 } as const;
/** Ports per claimed block: even, so every block starts on an even port (RTP takes even ports). */
export const BLOCK_SIZE = 50;
const BLOCKS = Math.floor((PORT_RANGE.last - PORT_RANGE.first + 1) / BLOCK_SIZE);

interface Block {
  next: number;
  /** One past the block's last port. */
  end: number;
}

let claimDir: string | undefined;
let current: Block | undefined;
/** Lowest block index this process has not tried yet: blocks below it are taken (by us or by others). */
let scanFrom = 0;
/** The lock sockets of the blocks this process holds, kept open until it exits. */
const locks: Server[] = [];

/**
 * `count` consecutive loopback ports, starting on an even port, that no other caller in this vitest run, nor
 * any other process using this allocator on the machine, has been given. For an RTP range, a SIPp media base
 * (it binds four ports from there) or a single SIP port (`count` 1).
 */
export async function reservePorts(count = 1): Promise<number> {
  if (!Number.isInteger(count) || count < 1 || count > BLOCK_SIZE) throw new RangeError(`cannot reserve ${count} ports (1..${BLOCK_SIZE})`);
  if (current) current.next += current.next % 2;
  if (!current || current.next + count > current.end) current = await claimBlock();
  const base = current.next;
  current.next += count;
  return base;
}

/** One loopback port, as {@link reservePorts}(1). */
export function reservePort(): Promise<number> {
  return reservePorts(1);
}

async function claimBlock(): Promise<Block> {
  checkEphemeralRange();
  const dir = runClaimDir();
  for (; scanFrom < BLOCKS; scanFrom++) {
    const index = scanFrom;
    const first = PORT_RANGE.first + index * BLOCK_SIZE;
    let fd: number;
    try {
      fd = openSync(join(dir, `block-${index}`), 'wx');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') continue; // another worker of this run has it
      throw err;
    }
    writeSync(fd, `${process.pid}\n`);
    closeSync(fd);
    // Kept claimed in this run even when the lock fails: another run is using it, so it is no use to us.
    if (!(await lock(first))) continue;
    scanFrom++;
    return { next: first, end: first + BLOCK_SIZE };
  }
  throw new Error(`test ports: every block of ${PORT_RANGE.first}-${PORT_RANGE.last} is taken in this run or by another run`);
}

/** Listens on the block's abstract unix socket; false when another process already does. */
async function lock(first: number): Promise<boolean> {
  const server = createServer();
  const ok = await new Promise<boolean>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => (err.code === 'EADDRINUSE' ? resolve(false) : reject(err)));
    server.listen({ path: `\0trunkbridge-test-ports-${first}-${BLOCK_SIZE}` }, () => resolve(true));
  });
  if (ok) {
    server.unref(); // the lock must not keep a finished worker alive
    locks.push(server);
  }
  return ok;
}

/** The run's claim folder, or (outside a vitest run with the setup file) one private to this process. */
function runClaimDir(): string {
  if (claimDir) return claimDir;
  let provided: string | undefined;
  try {
    provided = inject('portClaimDir');
  } catch {
    provided = undefined;
  }
  claimDir = provided ?? mkdtempSync(join(tmpdir(), 'trunkbridge-port-claims-'));
  return claimDir;
}

let ephemeralChecked = false;

/** Throws if this machine's ephemeral port range overlaps ours: the kernel could then hand our ports out. */
function checkEphemeralRange(): void {
  if (ephemeralChecked) return;
  const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
  if (low <= PORT_RANGE.last && high >= PORT_RANGE.first) {
    throw new Error(`test ports ${PORT_RANGE.first}-${PORT_RANGE.last} overlap the kernel's ephemeral range ${low}-${high} (net.ipv4.ip_local_port_range)`);
  }
  ephemeralChecked = true;
}
