/**
 * The bench's fixed parts for a whole run: the run's folder, its port blocks, the sink and probe helper
 * processes, and the process under test of the moment (the bridge or the floor relay), with the /proc
 * readings every step takes of all of them.
 */
import type { PortBlocks } from './ports.js';
import type { Helper } from './processes.js';
import type { BridgeUnderTest } from './bridge.js';
import { cpuSnapshot, machineCpuMs } from './proc-stats.js';

/** The process that answers the calls in a step. */
export interface Target {
  kind: 'bridge' | 'floor';
  pid: number;
  sipPort: number;
  workers?: number;
  botSampleRate: 8000 | 16000;
  /** Set for the bridge: metrics and log. */
  bridge?: BridgeUnderTest;
  /** RSS of the target when idle (no calls) and settled, KB (load.ts settledIdleRss). */
  idleRssKb: number;
  /** The bridge's RSS 2 s after start, KB: what the bench took as idle before (kept to show the difference). */
  idleRssEarlyKb?: number;
}

/** The run's folder, ports and helper processes. */
export interface Rig {
  dir: string;
  ports: PortBlocks;
  sink: Helper;
  sinkRtpPort: number;
  sinkWsPort: number;
  probe: Helper;
  probeWsPort: number;
}

/** CPU time (ms) of every process in a step at one moment, and the machine's. */
export interface CpuReading {
  at: number;
  procs: Record<string, number>;
  machine: { busy: number; total: number };
}

/** Reads the CPU time of the target, the SIPp instances, the helpers and the bench itself. */
export function readCpu(rig: Rig, target: Target, sippPids: number[]): CpuReading {
  const pids: Record<string, number> = { target: target.pid, sink: rig.sink.pid, probe: rig.probe.pid, bench: process.pid };
  sippPids.forEach((pid, i) => (pids[`sipp${i}`] = pid));
  return { at: performance.now(), procs: cpuSnapshot(pids), machine: machineCpuMs() };
}

/** Per process: % of one core used between two readings; `sipp` sums the instances; `machine` is % of all cores; `others` is the machine's busy time not spent in any process of the step, % of one core. */
export function cpuBetween(a: CpuReading, b: CpuReading): Record<string, number> {
  const wallMs = b.at - a.at;
  const out: Record<string, number> = {};
  let ours = 0;
  for (const name of Object.keys(a.procs)) {
    const used = b.procs[name] - a.procs[name];
    if (!Number.isFinite(used)) continue;
    ours += used;
    const key = name.startsWith('sipp') ? 'sipp' : name;
    out[key] = (out[key] ?? 0) + (100 * used) / wallMs;
  }
  const busy = b.machine.busy - a.machine.busy;
  out.machine = (100 * busy) / (b.machine.total - a.machine.total);
  out.others = (100 * Math.max(0, busy - ours)) / wallMs;
  return out;
}
