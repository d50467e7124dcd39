/**
 * Which loopback ports a child process has bound, read from /proc: the observable condition "the peer is up"
 * for peers that print nothing when their socket is ready (SIPp), instead of sleeping and hoping.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { waitFor } from '../../helpers/wait-for.js';

/** The local ports of the UDP sockets and listening TCP sockets that process `pid` holds. */
export function boundPorts(pid: number): { udp: Set<number>; tcp: Set<number> } {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]);
    } catch {
      // the descriptor closed while we looked
    }
  }
  // /proc/<pid>/net/* lists every socket of the process's network namespace; keep the ones it holds.
  const ports = (table: string, listenOnly: boolean): Set<number> => {
    const out = new Set<number>();
    for (const line of readFileSync(`/proc/${pid}/net/${table}`, 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10 || !inodes.has(f[9])) continue;
      if (listenOnly && f[3] !== '0A') continue; // 0A: TCP_LISTEN
      out.add(parseInt(f[1].split(':')[1], 16));
    }
    return out;
  };
  return {
    udp: new Set([...ports('udp', false), ...ports('udp6', false)]),
    tcp: new Set([...ports('tcp', true), ...ports('tcp6', true)]),
  };
}

/** Resolves once process `pid` holds a socket bound to `port` (UDP, or TCP listening); rejects if it exits first. */
export async function waitUntilBound(pid: number, port: number, transport: 'udp' | 'tcp', isRunning: () => boolean, timeoutMs = 10_000): Promise<void> {
  await waitFor(
    () => {
      if (!isRunning()) throw new Error(`process ${pid} exited before binding ${transport} port ${port}`);
      try {
        return boundPorts(pid)[transport].has(port);
      } catch {
        return false; // /proc entry read while the process was still starting
      }
    },
    { timeoutMs, what: `process ${pid} to bind ${transport} port ${port}` },
  );
}
