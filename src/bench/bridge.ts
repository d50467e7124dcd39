/**
 * The bridge under test, as the operator runs it: `node --max-semi-space-size=2 --single-threaded-gc
 * dist/cli/main.js --config <file>`
 * (the Dockerfile's and `npm start`'s command line), a separate process
 * with its own config written for the run. Its stdout (pino JSON lines at `info`, as in production) goes to a
 * file in the run's folder, read only for the `trunkbridge ready` line, so the bench never has to keep up with
 * the bridge's logging.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BRIDGE_RTP_RANGE } from './ports.js';
import { stop, track } from './processes.js';

/** The bridge's command line entry (built by `npm run bench` before it runs). */
export const CLI = fileURLToPath(new URL('../cli/main.js', import.meta.url));
/**
 * Node flags the bridge runs with, as in the Dockerfile: every thread's young generation stays at 2 × 2 MB
 * instead of growing to 2 × 16 MB under load (docs/capacity-log.md, "Allocation"), and each thread collects its
 * own garbage (docs/capacity-log.md, "The stats burst and the GC helpers").
 */
export const BRIDGE_NODE_FLAGS = ['--max-semi-space-size=2', '--single-threaded-gc'];
/** Extra Node flags for the bridge from `BENCH_BRIDGE_NODE_FLAGS` (space-separated), e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile it. */
function extraNodeFlags(): string[] {
  return (process.env.BENCH_BRIDGE_NODE_FLAGS ?? '').split(' ').filter((f) => f.length > 0);
}
/** glibc malloc as the image and `npm start` set it (README "Container"): the bench measures the bridge as it runs. */
export const BRIDGE_MALLOC_ENV: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: '1', MALLOC_TRIM_THRESHOLD_: '131072' };

/** SIPp's SIP address (the load trunk takes calls from it), and the bridge's own listeners. */
export const LOAD_HOST = '127.0.0.1';
/** The probe calls' address: the probe trunk takes calls from it, with its own bot. */
export const PROBE_HOST = '127.0.0.3';
/** SIPp's RTP source address: nothing else sends there, see sipp.ts. */
export const SIPP_MEDIA_HOST = '127.0.0.2';

/** What the run's bridge config varies. */
export interface BridgeConfigOptions {
  workers: number;
  botSampleRate: 8000 | 16000;
  sinkBotUrl: string;
  probeBotUrl: string;
  /** Jitter buffer of the probe trunk (0 = decode on arrival), see probe.ts. */
  probeJitterMs: number;
  /** media.workerBusyLimit, the overload guard (none when undefined). */
  busyLimit?: number;
}

/**
 * The run's config: UDP SIP on a kernel-picked loopback port, PCMU only, no latching (SIPp's raw-socket RTP
 * comes from port 0 of another address, and the answer must go to the sink the SDP names), one trunk per
 * traffic kind, metrics on a kernel-picked port.
 */
export function bridgeConfigYaml(o: BridgeConfigOptions): string {
  return `# written by npm run bench
sip:
  listen: [{ transport: udp, host: ${LOAD_HOST}, port: 0 }]
media:
  rtpPortMin: ${BRIDGE_RTP_RANGE.min}
  rtpPortMax: ${BRIDGE_RTP_RANGE.max}
  codecs: [PCMU]
  latching: off
  workers: ${o.workers}
${o.busyLimit !== undefined ? `  workerBusyLimit: ${o.busyLimit}\n` : ''}bots:
  sink: { url: "${o.sinkBotUrl}/sink", sampleRate: ${o.botSampleRate}, connectTimeoutMs: 10000 }
  probe: { url: "${o.probeBotUrl}/probe", sampleRate: ${o.botSampleRate}, connectTimeoutMs: 10000 }
inboundTrunks:
  - { name: load, allow: ["${LOAD_HOST}"], mode: flow, bot: sink }
  - { name: probe, allow: ["${PROBE_HOST}"], mode: flow, bot: probe, jitterBufferMs: ${o.probeJitterMs} }
logging: { level: info }
metrics: { enabled: true, host: ${LOAD_HOST}, port: 0 }
`;
}

/** A running bridge. */
export class BridgeUnderTest {
  private logRead = 0;

  private constructor(
    private readonly child: ChildProcess,
    readonly sipPort: number,
    readonly metricsPort: number,
    readonly logFile: string,
  ) {}

  get pid(): number {
    return this.child.pid!;
  }

  /** Writes the config into `dir`, starts the bridge and waits for its ready line (or its exit). */
  static async start(dir: string, name: string, yaml: string, timeoutMs = 15_000): Promise<BridgeUnderTest> {
    const configFile = join(dir, `${name}.yaml`);
    const logFile = join(dir, `${name}.log`);
    writeFileSync(configFile, yaml);
    const out = openSync(logFile, 'w');
    const child = spawn(process.execPath, [...BRIDGE_NODE_FLAGS, ...extraNodeFlags(), CLI, '--config', configFile], { stdio: ['ignore', out, out], env: { ...process.env, ...BRIDGE_MALLOC_ENV } });
    closeSync(out);
    track(child);
    let exited: number | null | undefined;
    child.once('exit', (code) => (exited = code));
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (exited !== undefined) throw new Error(`bridge exited (${exited}) before it was ready; log: ${logFile}`);
      const ready = readyLine(logFile);
      if (ready) return new BridgeUnderTest(child, ready.sipPort, ready.metricsPort, logFile);
      await sleep(100);
    }
    await stop(child);
    throw new Error(`bridge not ready in ${timeoutMs} ms; log: ${logFile}`);
  }

  /** SIGTERM (the bridge hangs up what is left and exits), SIGKILL after 10 s. */
  stop(): Promise<void> {
    return stop(this.child, 10_000);
  }

  /** One Prometheus scrape: `name` (with its `{labels}` when it has some) -> value. */
  async metrics(): Promise<Map<string, number>> {
    const res = await fetch(`http://${LOAD_HOST}:${this.metricsPort}/metrics`, { signal: AbortSignal.timeout(5000) });
    const out = new Map<string, number>();
    for (const line of (await res.text()).split('\n')) {
      const m = /^([a-zA-Z_:][\w:]*(?:\{[^}]*\})?) (\S+)$/.exec(line);
      if (m) out.set(m[1], Number(m[2]));
    }
    return out;
  }

  /** Lines of the bridge's log at `warn` or worse (pino levels 40+) written since the last call, at most `max`. */
  problems(max = 5): string[] {
    const out: string[] = [];
    const text = readFileSync(this.logFile, 'utf8');
    const fresh = text.slice(this.logRead);
    this.logRead = text.length;
    for (const line of fresh.split('\n')) {
      if (out.length >= max) break;
      if (/"level":(4|5|6)\d/.test(line)) out.push(line.slice(0, 300));
    }
    return out;
  }
}

function readyLine(logFile: string): { sipPort: number; metricsPort: number } | undefined {
  let text: string;
  try {
    text = readFileSync(logFile, 'utf8');
  } catch {
    return undefined;
  }
  for (const line of text.split('\n')) {
    if (!line.includes('"trunkbridge ready"')) continue;
    const l = JSON.parse(line) as { sip: Array<{ port: number; transport: string }>; metrics?: { port: number } };
    const sip = l.sip.find((s) => s.transport === 'udp');
    if (sip && l.metrics) return { sipPort: sip.port, metricsPort: l.metrics.port };
  }
  return undefined;
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
