/**
 * `--pin`: the process under test on cores of its own, the traffic generators (this bench process, the sink bot,
 * the probes, SIPp) on the others, with Linux CPU affinity (`taskset`, util-linux). On a small machine the
 * generators otherwise share the target's cores, so "capacity per worker" measures the scheduler as much as
 * the bridge: a media worker that waits for a core behind SIPp sends its packets late. With one core per media
 * worker (a lone thread for the floor relay, which has no workers) the step measures what a worker carries when
 * it has a core, as a production box without load generators would give it.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { cpus } from 'node:os';

/** Which cores the target and the generators get. */
export interface CorePlan {
  target: number[];
  generators: number[];
}

/**
 * Cores for a target with `workers` media workers (0: media in the main thread, one core) on a machine with
 * `cores` cores: the first max(1, workers) for the target, the rest for the generators; undefined when that
 * leaves the generators no core (then nothing is pinned).
 */
export function corePlan(cores: number, workers: number): CorePlan | undefined {
  const wanted = Math.max(1, workers);
  if (wanted >= cores) return undefined;
  const all = coreList(cores);
  return { target: all.slice(0, wanted), generators: all.slice(wanted) };
}

/** Cores 0 .. n-1. */
function coreList(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/** Sets the affinity of every thread of `pid` (threads created later inherit it from their creator). */
export function pinProcess(pid: number, cores: number[]): void {
  execFileSync('taskset', ['-a', '-p', '-c', cores.join(','), String(pid)], { stdio: 'ignore' });
}

/**
 * Applies the plan for a step: target on its cores, the generators' long-lived processes (SIPp instances are
 * started per step by this process and inherit its affinity) on theirs; with no plan, every process may use
 * every core again. Returns the plan applied.
 */
export function pinForStep(targetPid: number, generatorPids: number[], workers: number): CorePlan | undefined {
  const cores = cpus().length;
  const plan = corePlan(cores, workers);
  const all = coreList(cores);
  pinProcess(targetPid, plan?.target ?? all);
  for (const pid of generatorPids) pinProcess(pid, plan?.generators ?? all);
  return plan;
}

/**
 * `--paced-sink`: the sink bot ahead of the other generators (nice −20, every thread; `renice`, needs root). It
 * shares the generators' core with SIPp's hundreds of RTP threads, which made its 20 ms clock late by 3.5–6.4 ms
 * p99 at 250 calls (43 ms in one run); a bridge's send clock follows a real-time bot's late frames by design
 * (README, "Send-side latency"), so the caller's pacing then measured the bench's bot. At nice −20 it was 1.1 ms
 * (−10: 2.8 ms, 250 threads of SIPp outweigh it). Real-time priority (SCHED_FIFO) gave 0.9–1.2 ms but, in a run
 * at 300 calls, held the core until the kernel's real-time throttle and starved SIPp (20 of 300 calls came up);
 * a nice value only weighs the scheduler's choice. Returns false where it cannot be set.
 */
export function favourProcess(pid: number): boolean {
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) execFileSync('renice', ['-n', '-20', '-p', tid], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
