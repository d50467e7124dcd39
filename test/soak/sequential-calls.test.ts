/**
 * 10,000 short calls in a row (issue #12), not in the default suite: `npm run soak` (SOAK_CALLS, SOAK_RATE,
 * SOAK_WORKERS override the size). SIPp calls the real bridge process at a high rate with short calls; a bot
 * written here accepts each socket. Before and after, the bridge's own view of itself (test hook
 * /_test/resources: live handles by type, RSS, heap) and /proc (fds, threads): within a minute of the last call
 * (completed transactions age out per RFC 3261: Timer J / L, 32 s) RSS is back near its baseline and no RTP port,
 * socket, timer or listener is left behind. Prints the figures, with where the memory is (V8 spaces, external,
 * anonymous pages outside V8's heap) at each step.
 *
 * For measuring: SOAK_RSS_SLACK_MB (the allowance), SOAK_ENV="NAME=value ..." (extra environment, e.g. other
 * malloc settings), SOAK_NODE_FLAGS (extra node/V8 flags), SOAK_NODE_OPTIONS (e.g. "--heapsnapshot-signal=SIGUSR2
 * --diagnostic-dir=/tmp": a heap snapshot on `kill -USR2 <bridge pid>` during the run).
 */
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { get } from 'node:http';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocketServer } from 'ws';
import { afterAll, describe, expect, it } from 'vitest';
import { BridgeProcess, SIPP_DIR } from '../integration/harness/bridge-process.js';
import { testConfig } from '../integration/harness/config.js';
import { reservePort, reservePorts } from '../helpers/ports.js';
import { waitFor } from '../helpers/wait-for.js';
import type { MemoryDetail } from '../../src/app/test-hooks.js';

const CALLS = Number(process.env.SOAK_CALLS ?? 10_000);
const RATE = Number(process.env.SOAK_RATE ?? 100);
const WORKERS = Number(process.env.SOAK_WORKERS ?? 0);
const WARMUP = 300;
/** One port block of test/helpers/ports.ts: 24 RTP/RTCP pairs, more than the calls SIPp keeps up at once (-l). */
const RTP_PORTS = 48;
const MAX_CONCURRENT = 20;
/**
 * How far RSS may stay above the baseline (the bridge idling after the warm-up calls, its heap compacted) a
 * minute after the last call; SOAK_RSS_SLACK_MB overrides it. Measured on 2 busy cores (2026-12-05, README): with
 * `media.workers: 0`, 10,000 calls left 2-3 MB (the main thread's V8 heap back, the rest malloc outside it), where
 * 30-80 MB had stayed up before the malloc settings (MALLOC_ENV) and the idle compaction (src/core/idle-memory.ts).
 * Media workers kept 10-29 MB of their own (2 workers) until they compacted their heaps too: 0.3 MB after 5,000 calls.
 */
const RSS_SLACK_MB = Number(process.env.SOAK_RSS_SLACK_MB ?? 8 + 4 * WORKERS);
const rssLimit = (baseline: number) => baseline + RSS_SLACK_MB * 2 ** 20;

/** Extra environment for the bridge while measuring (e.g. SOAK_ENV="MALLOC_ARENA_MAX=2 FOO=1"). */
function soakEnv(): Record<string, string> {
  return Object.fromEntries((process.env.SOAK_ENV ?? '').split(/\s+/).filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
}

/** The bridge's own report (GET /_test/resources, app/test-hooks.ts) and what /proc adds. */
interface Snapshot extends MemoryDetail {
  clockTimers: number;
  resources: Record<string, number>;
  fds: number;
  threads: number;
  /** /proc/<pid>/status: resident anonymous memory (heaps, malloc) and file-backed pages (code, libraries). */
  rssAnon: number;
  rssFile: number;
}

const MB = (b: number) => `${(b / 2 ** 20).toFixed(1)} MB`;

/** GET without keep-alive: no connection of ours stays open between snapshots to blur the socket count. */
function getJson(port: number, path: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c));
      res.on('end', () => resolve(JSON.parse(body)));
    }).on('error', reject);
  });
}

async function snapshot(bridge: BridgeProcess, gc = false): Promise<Snapshot> {
  // /proc first: the request below is a socket of its own.
  const fds = bridge.openFds();
  const status = readFileSync(`/proc/${bridge.pid}/status`, 'utf8');
  const r = (await getJson(bridge.metricsPort, `/_test/resources${gc ? '?gc=1' : ''}`)) as Omit<Snapshot, 'fds' | 'threads'>;
  const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
  return { ...r, fds, threads: Number(/^Threads:\s+(\d+)/m.exec(status)?.[1]), rssAnon: kb('RssAnon'), rssFile: kb('RssFile') };
}

/** Where the RSS is: anonymous vs file pages, V8's committed heap (old and new space), external and buffers. */
function memory(s: Snapshot): string {
  const sp = (n: string) => s.spaces[n] ?? { used: 0, committed: 0 };
  return [
    `anon ${MB(s.rssAnon)} file ${MB(s.rssFile)}`,
    `heap committed ${MB(s.heapTotal)} (old ${MB(sp('old_space').used)}/${MB(sp('old_space').committed)}`,
    `new ${MB(sp('new_space').used)}/${MB(sp('new_space').committed)}`,
    `large ${MB(sp('large_object_space').committed)} code ${MB(sp('code_space').committed)})`,
    `external ${MB(s.external)} arrayBuffers ${MB(s.arrayBuffers)}`,
    `outside V8 heap ${MB(s.rssAnon - s.heapTotal)}`,
  ].join(' ');
}

/** User + system CPU time of a process so far, all its threads (/proc/<pid>/stat, in clock ticks of 10 ms). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Live handles (sockets, ref'd timers) and the clock's timers (SIP transactions, calls, media pacing). */
function callHandles(s: Snapshot): number {
  return s.clockTimers + Object.entries(s.resources).filter(([k]) => k !== 'TTYWrap' && k !== 'FSReqCallback').reduce((n, [, v]) => n + v, 0);
}

/** Every port of the RTP range can be bound again: the bridge holds none of them. */
async function rtpPortsHeld(min: number, max: number): Promise<number[]> {
  const held: number[] = [];
  for (let p = min; p <= max; p++) {
    const s = createSocket('udp4');
    const ok = await new Promise<boolean>((res) => {
      s.once('error', () => res(false));
      s.bind(p, '127.0.0.1', () => res(true));
    });
    if (!ok) held.push(p);
    s.close();
  }
  return held;
}

/** Whether the bridge process holds `port` (a UDP socket of its own bound there), from /proc/net/udp. */
function bridgeHolds(pid: number, port: number): boolean {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  const inodes = readFileSync('/proc/net/udp', 'utf8')
    .split('\n')
    .slice(1)
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f[1]?.endsWith(`:${hex}`))
    .map((f) => f[9]);
  const fds = readdirSync(`/proc/${pid}/fd`).map((fd) => {
    try {
      return readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      return '';
    }
  });
  return inodes.some((i) => fds.includes(`socket:[${i}]`));
}

/** SIPp as the carrier, `calls` calls at `rate` per second, each up for 100 ms; resolves with its statistics. */
function sipp(sipPort: number, calls: number, rate: number, sinkPort: number, localPort: number): Promise<{ code: number | null; ok: number; failed: number; out: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'sipp-soak-'));
  const args = [
    `127.0.0.1:${sipPort}`, '-s', '+15550100',
    '-sf', join(SIPP_DIR, 'uac-call-hold-caller-hangup.xml'),
    '-i', '127.0.0.1', '-p', String(localPort), '-mp', String(sinkPort + 4),
    '-key', 'rtp_port', String(sinkPort),
    '-m', String(calls), '-r', String(rate), '-l', String(MAX_CONCURRENT), '-d', '100',
    '-timeout', `${Math.ceil(calls / rate) + 120}s`, '-timeout_error', '-nostdin',
    '-trace_err', '-error_file', join(dir, 'errors.log'),
  ];
  const child = spawn('sipp', args, { stdio: ['ignore', 'pipe', 'pipe'], cwd: dir });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (out = (out + c).slice(-20_000)));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (out = (out + c).slice(-20_000)));
  return new Promise((res) =>
    child.once('exit', (code) => {
      const n = (name: string) => Number(new RegExp(`${name}\\s*\\|\\s*\\d+\\s*\\|\\s*(\\d+)`).exec(out)?.[1] ?? NaN);
      res({ code, ok: n('Successful call'), failed: n('Failed call'), out });
    }),
  );
}

describe(`${CALLS} sequential short calls`, () => {
  let bridge: BridgeProcess | undefined;
  let wss: WebSocketServer | undefined;

  afterAll(async () => {
    await bridge?.stop();
    for (const c of wss?.clients ?? []) c.terminate();
    await new Promise<void>((res) => (wss ? wss.close(() => res()) : res()));
  });

  it('RSS back to its baseline within a minute; no RTP port, socket, timer or listener left behind', async () => {
    let connections = 0;
    wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
    await new Promise<void>((res) => wss!.once('listening', () => res()));
    wss.on('connection', (ws) => {
      connections++;
      ws.on('message', () => undefined); // a bot that listens and says nothing
    });
    const botUrl = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/soak`;
    const rtpBase = await reservePorts(RTP_PORTS);
    const config = testConfig({
      rtpPortMin: rtpBase,
      rtpPortMax: rtpBase + RTP_PORTS - 1,
      bots: { tester: `{ url: "${botUrl}", sampleRate: 8000, connectTimeoutMs: 2000 }` },
      numbers: { '+15550100': 'tester' },
      extraMedia: `  workers: ${WORKERS}`,
    }).replace('logging: { level: debug }', 'logging: { level: info }');
    bridge = new BridgeProcess(config, { TRUNKBRIDGE_TEST_HOOKS: '1', NODE_OPTIONS: `--expose-gc ${process.env.SOAK_NODE_OPTIONS ?? ''}`, LOG_LEVEL: 'info', ...soakEnv() }, (process.env.SOAK_NODE_FLAGS ?? '').split(/\s+/).filter(Boolean));
    await bridge.start();
    const sinkPort = await reservePorts(8); // the sink, then SIPp's own media ports (-mp binds audio and video, 2 apart)
    const sippPort = await reservePort();

    // Handles and fds of an idle bridge that has taken no call: listeners, ops server, workers.
    const fresh = await snapshot(bridge);
    const settled = (limit: Snapshot, ms: number) =>
      waitFor(async () => {
        const s = await snapshot(bridge!);
        return callHandles(s) <= callHandles(limit) && s.fds <= limit.fds ? s : undefined;
      }, { timeoutMs: ms, intervalMs: 1000, onTimeout: 'resolve' });

    // Warm up (JIT, pools, the bot socket path); once its transactions aged out, memory there is the baseline.
    const warm = await sipp(bridge.sipPort(), WARMUP, RATE, sinkPort, sippPort);
    expect(warm.ok, warm.out.slice(-3000)).toBe(WARMUP);
    expect(await settled(fresh, 60_000), 'the warm-up calls left handles behind').toBeDefined();
    // The baseline is the bridge as it idles after calls: once their transactions are gone, it compacts its heap.
    const compacted = (n: number) => bridge!.logs.filter((l) => l.msg === 'calls over: heap compacted').length >= n;
    await waitFor(() => (compacted(1) ? true : undefined), { timeoutMs: 60_000, what: 'the heap compaction after the warm-up' });
    const baseline = await snapshot(bridge);
    const baselineGc = await snapshot(bridge, true);

    const t0 = Date.now();
    const cpu0 = cpuSeconds(bridge.pid);
    const run = await sipp(bridge.sipPort(), CALLS, RATE, sinkPort, sippPort);
    const runSec = (Date.now() - t0) / 1000;
    const runCpu = cpuSeconds(bridge.pid) - cpu0;
    const rejected = bridge.logs.filter((l) => l.level >= 30 && /reject|refus|503|486/i.test(String(l.msg))).slice(0, 5);
    expect(run.ok, `${run.out.slice(-3000)}\n${JSON.stringify(rejected)}`).toBe(CALLS);
    expect(run.failed).toBe(0);
    const peak = await snapshot(bridge);

    // Back to the baseline within a minute.
    const end = Date.now();
    const back = await settled(fresh, 60_000);
    const settledSec = (Date.now() - end) / 1000;
    const after = back ?? (await snapshot(bridge));
    const rssTrail: string[] = [];
    const rssBackAt = await waitFor(async () => {
      const s = await snapshot(bridge!);
      rssTrail.push(`+${((Date.now() - end) / 1000).toFixed(0)} s ${(s.rss / 2 ** 20).toFixed(0)}`);
      return s.rss <= rssLimit(baseline.rss) ? Date.now() : undefined;
    }, {
      timeoutMs: Math.max(1000, 60_000 - (Date.now() - end)),
      intervalMs: 1000,
      onTimeout: 'resolve',
    });
    const afterGc = await snapshot(bridge, true);
    const busy = await rtpPortsHeld(rtpBase, rtpBase + RTP_PORTS - 1);
    // A port another process bound meanwhile (the range is reserved among tests, not from every program) is not
    // the bridge's leak: only the bridge's own sockets count.
    const held = busy.filter((p) => bridgeHolds(bridge!.pid, p));

    const warnings = new Map<string, number>();
    for (const l of bridge.logs) if (l.level >= 40) warnings.set(`${l.msg}${l.reason ? ` (${String(l.reason)})` : ''}`, (warnings.get(`${l.msg}${l.reason ? ` (${String(l.reason)})` : ''}`) ?? 0) + 1);
    const ends = new Map<string, number>();
    for (const l of bridge.logs) if (l.msg === 'call ended') ends.set(String(l.reason), (ends.get(String(l.reason)) ?? 0) + 1);
    console.log(
      [
        `  calls ended by reason ${JSON.stringify(Object.fromEntries(ends))}; warnings ${JSON.stringify(Object.fromEntries(warnings))}`,
        `soak: ${CALLS} calls at ${RATE}/s (media.workers ${WORKERS}) in ${runSec.toFixed(0)} s, bridge CPU ${runCpu.toFixed(1)} s; bot sockets ${connections}`,
        `  fresh bridge: fds ${fresh.fds} threads ${fresh.threads} clock timers ${fresh.clockTimers} handles ${JSON.stringify(fresh.resources)}`,
        `  baseline: rss ${MB(baseline.rss)} heap ${MB(baseline.heapUsed)} (after GC ${MB(baselineGc.heapUsed)}) fds ${baseline.fds} threads ${baseline.threads} handles ${JSON.stringify(baseline.resources)}`,
        `  last call: rss ${MB(peak.rss)} heap ${MB(peak.heapUsed)} fds ${peak.fds} clock timers ${peak.clockTimers} handles ${JSON.stringify(peak.resources)}`,
        `  +${settledSec.toFixed(0)} s: rss ${MB(after.rss)} heap ${MB(after.heapUsed)} fds ${after.fds} threads ${after.threads} clock timers ${after.clockTimers} handles ${JSON.stringify(after.resources)}`,
        `  rss within ${MB(rssLimit(baseline.rss))} (baseline +${RSS_SLACK_MB} MB) ${rssBackAt ? `after ${((rssBackAt - end) / 1000).toFixed(0)} s` : 'NOT within 60 s'}; after GC heap ${MB(afterGc.heapUsed)} rss ${MB(afterGc.rss)} (baseline after GC: rss ${MB(baselineGc.rss)})`,
        `  rss after the last call (MB): ${rssTrail.join(', ')}`,
        `  heap compactions (core/idle-memory.ts): ${JSON.stringify(bridge.logs.filter((l) => l.msg === 'calls over: heap compacted').map((l) => ({ ms: l.ms, heapMb: l.heapMb, heapUsedMb: l.heapUsedMb })))}`,
        `  memory baseline: ${memory(baseline)}`,
        `  memory baseline after GC: ${memory(baselineGc)}`,
        `  memory last call: ${memory(peak)}`,
        `  memory +${settledSec.toFixed(0)} s: ${memory(after)}`,
        `  memory after GC: ${memory(afterGc)}`,
        `  RTP ports still held by the bridge: ${held.length}${busy.length > held.length ? ` (${busy.length - held.length} bound by another process: ${busy.filter((p) => !held.includes(p)).join(', ')})` : ''}`,
      ].join('\n'),
    );
    expect(connections).toBe(CALLS + WARMUP);
    expect(back, `handles/fds not back within 60 s: ${JSON.stringify(after)} vs ${JSON.stringify(fresh)}`).toBeDefined();
    expect(after.fds).toBeLessThanOrEqual(fresh.fds);
    expect(after.threads).toBeLessThanOrEqual(fresh.threads);
    expect(callHandles(after)).toBeLessThanOrEqual(callHandles(fresh));
    expect(rssBackAt, `rss ${MB(after.rss)} vs baseline ${MB(baseline.rss)}`).toBeDefined();
    expect(afterGc.heapUsed).toBeLessThan(baselineGc.heapUsed * 1.2 + 2 * 2 ** 20);
    expect(held).toEqual([]);
    // A listener leak shows as Node's warning on stderr long before memory.
    expect(bridge.stderr.join('')).not.toMatch(/MaxListenersExceededWarning|TimeoutOverflowWarning/);
    expect(bridge.logs.filter((l) => l.level >= 50)).toEqual([]);
  }, 30 * 60_000);
});
