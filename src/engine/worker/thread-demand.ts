/**
 * How much of the time a thread wanted a CPU: the time it ran plus the time it waited on a run queue, over wall
 * time (Linux `/proc/thread-self/schedstat`: run time and run-queue wait, ns). The event loop's utilization
 * alone under-reads a saturated worker that shares its cores with other processes: once epoll has events for it
 * but the thread waits for a core, that wait is counted as the loop's idle time (measured on the 2-core bench VM:
 * a worker losing 1.8 % of its bot audio read below 0.9). Where the file is missing (not Linux) there is no figure.
 */
import { readFileSync } from 'node:fs';

/** Run time and run-queue wait of a thread so far, ns. */
export interface SchedTimes {
  runNs: number;
  waitNs: number;
}

/** `/proc/<pid>/task/<tid>/schedstat`: "run-ns wait-ns timeslices"; undefined when it is not that. */
export function parseSchedstat(text: string): SchedTimes | undefined {
  const [run, wait] = text.trim().split(/\s+/).map(Number);
  if (!Number.isFinite(run) || !Number.isFinite(wait) || run < 0 || wait < 0) return undefined;
  return { runNs: run, waitNs: wait };
}

function readOwnSchedstat(): string | undefined {
  try {
    return readFileSync('/proc/thread-self/schedstat', 'utf8');
  } catch {
    return undefined; // not Linux, or /proc hidden: no figure, the event loop's utilization stands alone
  }
}

/** The calling thread's share of wanting a CPU between one `sample()` and the next. */
export class ThreadDemand {
  private last: { times: SchedTimes; atMs: number } | undefined;

  constructor(private readonly read: () => string | undefined = readOwnSchedstat) {}

  /** Share (0..1, more when the clock reads jitter) since the last call at `nowMs`; undefined the first time or without a figure. */
  sample(nowMs: number): number | undefined {
    const text = this.read();
    const times = text === undefined ? undefined : parseSchedstat(text);
    const last = this.last;
    this.last = times ? { times, atMs: nowMs } : undefined;
    if (!times || !last || nowMs <= last.atMs) return undefined;
    const wantedNs = times.runNs - last.times.runNs + (times.waitNs - last.times.waitNs);
    return Math.max(0, wantedNs / ((nowMs - last.atMs) * 1e6));
  }
}
