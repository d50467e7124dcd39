/**
 * What the kernel says about a process and the machine (Linux /proc): CPU time of a whole process (every
 * thread: /proc/<pid>/stat counts them all, so media worker threads are included), its resident memory, and
 * the machine's busy time (every process, ours and anyone else's), which tells how quiet the machine was.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

let ticksPerSecond: number | undefined;

/** Clock ticks per second of /proc times (`getconf CLK_TCK`, 100 on Linux almost everywhere). */
function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** User + system CPU of process `pid` and all its threads so far, ms (resolution: one clock tick, 10 ms). */
export function processCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) is in parentheses and may hold spaces: fields are counted after its ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return ((utime + stime) * 1000) / clockTicks();
}

/** Resident set size of process `pid`, KB (VmRSS). */
export function processRssKb(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}

/** The machine's CPU time so far, ms summed over cores: busy (not idle, not iowait) and total. */
export function machineCpuMs(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0];
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const total = v.slice(0, 8).reduce((a, b) => a + b, 0); // user..steal (guest time is inside user)
  const idle = v[3] + v[4];
  const k = 1000 / clockTicks();
  return { busy: (total - idle) * k, total: total * k };
}

/** CPU ms of several processes at one moment (a process that is gone reads NaN). */
export function cpuSnapshot(pids: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, pid] of Object.entries(pids)) {
    try {
      out[name] = processCpuMs(pid);
    } catch {
      out[name] = NaN;
    }
  }
  return out;
}

/**
 * Datagrams the kernel dropped on the UDP sockets process `pid` holds (its receive queues were full),
 * summed: /proc/net/udp's `drops` column for the socket inodes in /proc/<pid>/fd. A socket closed since the
 * last reading takes its count with it, so compare readings over a time no socket opens or closes.
 */
export function udpDropsOf(pid: number): number {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]);
    } catch {
      // closed while we listed it
    }
  }
  let drops = 0;
  for (const table of ['/proc/net/udp', '/proc/net/udp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length > 10 && inodes.has(f[9])) drops += Number(f[f.length - 1]);
    }
  }
  return drops;
}
