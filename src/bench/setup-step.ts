/**
 * One step of the call-setup ramp: SIPp places short calls (INVITE, 200, ACK, a short hold without audio
 * from the caller, BYE) at a fixed rate for a few seconds. Each call costs the bridge its whole setup: SIP
 * transactions, an RTP port, a bot WebSocket to the sink, media start and teardown. Counted: calls that
 * failed by SIPp's account (any unexpected or missing answer, including retransmission timeouts), the rate
 * the bridge actually answered at (from the sink bot's `start` messages), INVITE->200 times per call (SIPp's
 * response-time trace), and the bridge's CPU.
 */
import { sleep } from './bridge.js';
import { cpuBetween, readCpu, type Rig, type Target } from './rig.js';
import { startSipp } from './sipp.js';
import type { SinkStatus } from './sink.js';
import { summarize, type Summary } from './stats.js';

/** One setup step's rate and call shape. */
export interface SetupStepOptions {
  /** Calls per second. */
  rate: number;
  /** Seconds of calls at that rate. */
  seconds: number;
  /** How long each call stays up after its ACK, ms. */
  holdMs: number;
  scenario: string;
}

/** What one setup step measured. */
export interface SetupStepResult {
  workers?: number;
  rate: number;
  calls: number;
  successful: number;
  failed: number;
  /** Answered calls per second, from the first to the last `start` at the sink bot. */
  answeredPerSecond: number;
  /** INVITE->200, ms. */
  setupMs: Summary;
  cpuPct: Record<string, number>;
  problems: string[];
}

/** Runs one setup-rate step against the bridge in `target`. */
export async function runSetupStep(rig: Rig, target: Target, o: SetupStepOptions, tag: string): Promise<SetupStepResult> {
  const calls = Math.round(o.rate * o.seconds);
  await rig.sink.request('reset');
  const sipp = await startSipp(
    {
      scenario: o.scenario, dir: rig.dir, tag, target: { host: '127.0.0.1', port: target.sipPort }, sinkPort: rig.sinkRtpPort,
      // No cap on concurrency below what the rate and hold give (with room for slow answers): the rate is the point.
      calls, limit: Math.max(10, Math.ceil(o.rate * (o.holdMs / 1000 + 5))), rate: o.rate, holdMs: o.holdMs,
      timeoutMs: o.seconds * 1000 + o.holdMs + 40_000, rtt: true,
    },
    rig.ports,
  );
  const cpu0 = readCpu(rig, target, [sipp.pid]);
  // Read while SIPp still runs (its /proc entry goes with it): the last reading before it exited counts.
  let cpu1 = cpu0;
  let first = NaN;
  let last = NaN;
  let seen = 0;
  let exited = false;
  void sipp.done.then(() => (exited = true));
  // Bounded by SIPp's own -timeout (and the kill 10 s after it).
  while (!exited) {
    const st = await rig.sink.request<SinkStatus>('status');
    const now = performance.now();
    if (st.started > 0 && Number.isNaN(first)) first = now;
    if (st.started > seen) {
      seen = st.started;
      last = now;
    }
    const reading = readCpu(rig, target, [sipp.pid]);
    if (!exited && Object.values(reading.procs).every(Number.isFinite)) cpu1 = reading;
    await sleep(50);
  }
  const r = await sipp.done;
  const spanS = (last - first) / 1000;
  return {
    workers: target.workers,
    rate: o.rate,
    calls,
    successful: r.successful,
    failed: Math.max(0, calls - r.successful), // failed, never placed, or cut by SIPp's timeout
    answeredPerSecond: seen > 1 && spanS > 0 ? (seen - 1) / spanS : NaN,
    setupMs: summarize(Float64Array.from(r.responseTimesMs).sort()),
    cpuPct: cpuBetween(cpu0, cpu1),
    problems: [...(target.bridge?.problems(3) ?? []), ...(r.errors.trim() ? [`sipp: ${r.errors.trim().split('\n').slice(-2).join(' | ')}`] : [])],
  };
}
