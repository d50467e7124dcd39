/**
 * SIPp as the carrier. The bench writes its scenarios (two: a call that plays the generated PCMU capture for
 * its whole length, and a short call without audio for the setup-rate ramp) and runs one or a few SIPp UAC
 * instances per step.
 *
 * Media addressing: the offer's c=/m= name the sink's RTP socket (127.0.0.1, `-key sink_port`), so the
 * bridge's RTP for every load call lands in the bench, where it is counted per packet (SIPp cannot tell
 * per-frame loss or pacing). SIPp sends the capture from raw sockets bound to its media address, which the
 * bench sets to 127.0.0.2 (`-mi`): SIPp 3.6 opens one raw UDP socket per playing call, and a raw socket gets a
 * copy of every UDP datagram to its address, so on 127.0.0.1 each of them would be handed all the run's
 * traffic. Its packets leave from port 0, which is why the bridge runs without latching.
 *
 * The capture is not looped: SIPp replays captured sequence numbers and timestamps verbatim, so each restart
 * of a loop jumps them back (a receiver sees the stream restart), and the next play starts on SIPp's own timer,
 * so a loop boundary can gain or lose a frame (tried: 10 calls over three 2 s boundaries gave the bot 299-301
 * frames per call where 300 were due, 300-301 with one long capture). Near the 0.1 % threshold that is noise the
 * bench does without: it writes a capture as long as the step's calls (a 20 s capture is about 230 KB).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LOAD_HOST, SIPP_MEDIA_HOST } from './bridge.js';
import type { PortBlocks } from './ports.js';
import { track } from './processes.js';

/** The number the load calls dial (any number reaches the load trunk's sink bot). */
export const LOAD_NUMBER = '+15550100';

const HEADERS = `Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport
      From: <sip:+15551230001@[local_ip]:[local_port]>;tag=[pid]SIPpTag[call_number]`;

function scenario(name: string, media: string): string {
  const dialog = (method: string, cseq: number) => `
      ${method} sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      ${HEADERS}
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: ${cseq} ${method}
      Max-Forwards: 70
      Content-Length: 0
`;
  return `<?xml version="1.0" encoding="ISO-8859-1" ?>
<!-- written by npm run bench (src/bench/sipp.ts) -->
<scenario name="${name}">
  <send retrans="500"><![CDATA[
      INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      ${HEADERS}
      To: <sip:[service]@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 INVITE
      Contact: <sip:+15551230001@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=carrier 1 1 IN IP4 ${LOAD_HOST}
      s=-
      c=IN IP4 ${LOAD_HOST}
      t=0 0
      m=audio [sink_port] RTP/AVP 0
      a=rtpmap:0 PCMU/8000
      a=ptime:20
      a=rtcp-mux
      a=sendrecv
  ]]></send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="200" rtd="true"/>
  <send><![CDATA[${dialog('ACK', 1)}  ]]></send>
${media}  <pause/>
  <send retrans="500"><![CDATA[${dialog('BYE', 2)}  ]]></send>
  <recv response="200"/>
</scenario>
`;
}

/** Writes the load scenario (plays `pcap` once, then holds for -d ms) and the setup scenario into `dir`. */
export function writeScenarios(dir: string, pcap: string): { load: string; setup: string } {
  const load = join(dir, 'load.xml');
  const setup = join(dir, 'setup.xml');
  writeFileSync(load, scenario('bench-load', `  <nop><action><exec play_pcap_audio="${pcap}"/></action></nop>\n`));
  writeFileSync(setup, scenario('bench-setup', ''));
  return { load, setup };
}

/** One SIPp UAC run. */
export interface SippRunOptions {
  scenario: string;
  /** The run's folder; SIPp works in `<dir>/<tag>` (its stat, error and rtt files). */
  dir: string;
  tag: string;
  target: { host: string; port: number };
  sinkPort: number;
  /** Calls to place in all, at most `limit` at once, `rate` new calls per second. */
  calls: number;
  limit: number;
  rate: number;
  /** -d: how long each call stays up after its ACK (and after starting its audio), ms. */
  holdMs: number;
  /** SIPp quits after this (its -timeout), and the bench kills it 10 s later. */
  timeoutMs: number;
  /** Write each call's INVITE->200 time (-trace_rtt). */
  rtt?: boolean;
}

/** SIPp's own account of a run (its -trace_stat CSV, last line). */
export interface SippResult {
  exitCode: number | null;
  successful: number;
  failed: number;
  created: number;
  /** INVITE->200 per call, ms (with `rtt`). */
  responseTimesMs: number[];
  errors: string;
}

/** A started SIPp instance: its process id, and its stats once it exits (by itself: all calls done, or its -timeout). */
export interface SippInstance {
  pid: number;
  done: Promise<SippResult>;
}

/** Starts one SIPp UAC. */
export async function startSipp(o: SippRunOptions, ports: PortBlocks): Promise<SippInstance> {
  const sipPort = await ports.take(1);
  const mediaPort = await ports.take(4); // SIPp binds -mp and the three above
  const cwd = join(o.dir, o.tag); // one folder per run: SIPp names its rtt file by pid only
  mkdirSync(cwd, { recursive: true });
  const stat = join(cwd, 'stat.csv');
  const errFile = join(cwd, 'errors.log');
  const args = [
    `${o.target.host}:${o.target.port}`,
    '-sf', o.scenario,
    '-s', LOAD_NUMBER,
    '-i', LOAD_HOST, '-p', String(sipPort),
    '-mi', SIPP_MEDIA_HOST, '-mp', String(mediaPort),
    '-key', 'sink_port', String(o.sinkPort),
    '-m', String(o.calls), '-l', String(o.limit), '-r', String(o.rate), '-rp', '1000',
    '-d', String(Math.round(o.holdMs)),
    '-timeout', `${Math.ceil(o.timeoutMs / 1000)}s`,
    '-nostdin',
    '-trace_stat', '-stf', stat, '-fd', '1',
    '-trace_err', '-error_file', errFile,
    ...(o.rtt ? ['-trace_rtt', '-rtt_freq', '1'] : []),
  ];
  const child = spawn('sipp', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  track(child);
  return { pid: child.pid ?? -1, done: collect(child, o, cwd) };
}

async function collect(child: ChildProcess, o: SippRunOptions, cwd: string): Promise<SippResult> {
  const stat = join(cwd, 'stat.csv');
  const errFile = join(cwd, 'errors.log');
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr = (stderr + c).slice(-4000)));
  const killer = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs + 10_000);
  const exitCode = await new Promise<number | null>((r) => {
    child.once('exit', (code) => r(code));
    child.once('error', () => r(null));
  });
  clearTimeout(killer);
  const last = lastStatLine(stat);
  const errors = existsSync(errFile) ? readFileSync(errFile, 'utf8') : '';
  return {
    exitCode,
    successful: last['SuccessfulCall(C)'] ?? 0,
    failed: last['FailedCall(C)'] ?? 0,
    created: last['TotalCallCreated'] ?? 0,
    responseTimesMs: o.rtt ? rttTimes(cwd) : [],
    // SIPp's stderr carries notices too ("In pcap ..."): it is kept only when SIPp did not exit cleanly.
    errors: ((exitCode === 0 ? '' : stderr) + errors).slice(-2000),
  };
}

/** The numeric fields of the last line of a -trace_stat CSV (`;`-separated, header first). */
export function lastStatLine(file: string): Record<string, number> {
  if (!existsSync(file)) return {};
  const lines = readFileSync(file, 'utf8').trim().split('\n');
  if (lines.length < 2) return {};
  const head = lines[0].split(';');
  const vals = lines[lines.length - 1].split(';');
  const out: Record<string, number> = {};
  head.forEach((h, i) => {
    const v = Number(vals[i]);
    if (h && Number.isFinite(v)) out[h] = v;
  });
  return out;
}

/** Per-call response times from SIPp's -trace_rtt file (<scenario>_<pid>_rtt.csv in its cwd; `date_ms;time_ms;rtd_no`). */
function rttTimes(dir: string): number[] {
  const out: number[] = [];
  for (const f of readdirSync(dir).filter((n) => n.endsWith('_rtt.csv'))) {
    for (const line of readFileSync(join(dir, f), 'utf8').split('\n')) {
      const v = line.split(';');
      const ms = Number(v[1]);
      if (v.length >= 2 && Number.isFinite(ms) && /^\d/.test(v[0])) out.push(ms);
    }
  }
  return out;
}
