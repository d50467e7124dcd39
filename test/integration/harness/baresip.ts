/**
 * baresip (Debian baresip-core) as a real softphone caller, started by a test with a generated config dir: one
 * account, a WAV played into the call (aufile), what it decodes from the bridge recorded (sndfile's dec dump),
 * no sound card. Bound to 127.0.0.1 only (net_interface), so its SDP names loopback; it hangs up after
 * `seconds` (-t). It also speaks TLS, which the installed SIPp build does not.
 *
 * Two entry points over one runner: {@link baresipCall} (media tests: one codec, audio in and out) and
 * {@link runBaresip} (signalling tests: dial a URI over a given transport, a short tone as the microphone).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { reservePorts } from '../../helpers/ports.js';

export interface BaresipCallOptions {
  /** Bridge SIP address (loopback only). */
  target: { host: string; port: number };
  /** Dialed user. */
  user: string;
  /** baresip's codec name, e.g. "PCMU/8000/1", "G722/16000/1", "opus/48000/2": the only codec it offers. */
  codec: string;
  /** Mono 16-bit PCM played into the call. */
  source: { pcm: Int16Array; sampleRate: number };
  /** Call length before baresip hangs up and exits. */
  seconds: number;
  /** Extra lines for baresip's config (e.g. SRTP). */
  extraConfig?: string;
  /** Extra account parameters (e.g. ";mediaenc=srtp-mand"). */
  accountParams?: string;
  /** Extra modules to load (e.g. "srtp.so"). */
  modules?: string[];
}

export interface BaresipCallResult {
  code: number | null;
  output: string;
  /** What baresip decoded from the bridge, at the codec's rate. */
  received: { pcm: Int16Array; sampleRate: number };
}

export interface BaresipOptions {
  /** SIP URI to call; must point at loopback. */
  dial: string;
  /** Account transport. */
  transport: 'udp' | 'tcp' | 'tls';
  /** CA bundle baresip trusts for TLS. */
  caFile?: string;
  /** Length of the 440 Hz tone the caller plays (default 1000 ms). */
  toneMs?: number;
  /** Hard stop (default 8 s). */
  seconds?: number;
}

export interface BaresipRun {
  code: number | null;
  output: string;
}

/** What one baresip run needs; both entry points map onto this. */
interface RunOptions {
  dial: string;
  /** Account transport parameter (none: baresip's default, UDP). */
  transport?: 'udp' | 'tcp' | 'tls';
  caFile?: string;
  /** audio_codecs account parameter (none: every loaded codec is offered). */
  codec?: string;
  source: { pcm: Int16Array; sampleRate: number };
  seconds: number;
  extraConfig?: string;
  accountParams?: string;
  modules?: string[];
}

interface RunResult {
  code: number | null;
  output: string;
  /** The sndfile dump of what baresip decoded, when it recorded anything. */
  decodedWav: string | undefined;
}

/** A canonical 44-byte-header mono 16-bit WAV. */
export function wavBytes(pcm: Int16Array, sampleRate: number): Buffer {
  const data = Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength);
  const h = Buffer.alloc(44);
  h.write('RIFF', 0);
  h.writeUInt32LE(36 + data.length, 4);
  h.write('WAVEfmt ', 8);
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20);
  h.writeUInt16LE(1, 22);
  h.writeUInt32LE(sampleRate, 24);
  h.writeUInt32LE(sampleRate * 2, 28);
  h.writeUInt16LE(2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36);
  h.writeUInt32LE(data.length, 40);
  return Buffer.concat([h, data]);
}

/** Reads a 16-bit PCM WAV (first channel). */
export function readWav(bytes: Buffer): { pcm: Int16Array; sampleRate: number } {
  if (bytes.toString('ascii', 0, 4) !== 'RIFF' || bytes.toString('ascii', 8, 12) !== 'WAVE') throw new Error('not a WAV file');
  let off = 12;
  let channels = 1;
  let sampleRate = 0;
  while (off + 8 <= bytes.length) {
    const id = bytes.toString('ascii', off, off + 4);
    let size = bytes.readUInt32LE(off + 4);
    const body = off + 8;
    if (id === 'fmt ') {
      channels = bytes.readUInt16LE(body + 2);
      sampleRate = bytes.readUInt32LE(body + 4);
    } else if (id === 'data') {
      // A dump cut short (killed process) may carry a size of 0 or too large: read what is there.
      if (size === 0 || body + size > bytes.length) size = bytes.length - body;
      const frames = Math.floor(size / (2 * channels));
      const pcm = new Int16Array(frames);
      for (let i = 0; i < frames; i++) pcm[i] = bytes.readInt16LE(body + i * 2 * channels);
      return { pcm, sampleRate };
    }
    off = body + size + (size & 1);
  }
  throw new Error('WAV without data chunk');
}

function tone440(ms: number, sampleRate: number): Int16Array {
  const pcm = new Int16Array(Math.round((sampleRate * ms) / 1000));
  for (let i = 0; i < pcm.length; i++) pcm[i] = Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / sampleRate));
  return pcm;
}

/** Runs baresip once: one outgoing call to `dial`, until it hangs up and exits. */
async function run(o: RunOptions): Promise<RunResult> {
  if (!/@(127\.|\[::1\])/.test(o.dial)) throw new Error('tests call loopback only');
  const dir = mkdtempSync(join(tmpdir(), 'baresip-'));
  const rec = join(dir, 'rec');
  mkdirSync(rec);
  const wav = join(dir, 'source.wav');
  writeFileSync(wav, wavBytes(o.source.pcm, o.source.sampleRate));
  // Its SIP sockets take port 0, the kernel's pick: baresip is the caller and names its ports in Via/Contact
  // itself. Its RTP range is reserved instead: unset, baresip would pick from a range that includes ours.
  const rtpBase = await reservePorts(4);
  const modules = ['g711.so', 'g722.so', 'opus.so', 'aufile.so', 'aubridge.so', 'sndfile.so', 'menu.so', ...(o.modules ?? [])];
  writeFileSync(
    join(dir, 'config'),
    [
      'poll_method epoll',
      'sip_listen 127.0.0.1:0',
      ...(o.caFile ? [`sip_cafile ${o.caFile}`] : []),
      'net_interface 127.0.0.1',
      `rtp_ports ${rtpBase}-${rtpBase + 3}`,
      `audio_source aufile,${wav}`,
      'audio_player aubridge,sink', // a player that discards: the decoded audio is taken from sndfile's dump
      'audio_alert aubridge,sink',
      `ausrc_srate ${o.source.sampleRate}`,
      'ausrc_channels 1',
      'auplay_channels 1',
      'module_path /usr/lib/baresip/modules',
      ...modules.map((m) => `module ${m}`),
      'module_app account.so',
      `snd_path ${rec}`,
      o.extraConfig ?? '',
    ].join('\n') + '\n',
  );
  const transport = o.transport ? `;transport=${o.transport}` : '';
  writeFileSync(
    join(dir, 'accounts'),
    `<sip:caller@127.0.0.1${transport}>;regint=0${o.codec ? `;audio_codecs=${o.codec}` : ''}${o.accountParams ?? ''}\n`,
  );
  const child = spawn('baresip', ['-f', dir, '-e', `/dial ${o.dial}`, '-t', String(o.seconds)], { stdio: ['ignore', 'pipe', 'pipe'], cwd: dir });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (output += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (output += c));
  const killer = setTimeout(() => child.kill('SIGKILL'), (o.seconds + 10) * 1000);
  const code = await new Promise<number | null>((res) => child.once('exit', res));
  clearTimeout(killer);
  if (!/Local network address:\s+IPv4=\S*\|127\.0\.0\.1/.test(output)) throw new Error(`baresip did not bind to loopback:\n${output.slice(0, 2000)}`);
  const dec = readdirSync(rec).find((f) => f.endsWith('-dec.wav'));
  return { code, output, decodedWav: dec ? join(rec, dec) : undefined };
}

/** Runs one outgoing baresip call to the bridge and returns what it heard. */
export async function baresipCall(o: BaresipCallOptions): Promise<BaresipCallResult> {
  if (!/^127\./.test(o.target.host)) throw new Error('tests send SIP to loopback only');
  const { code, output, decodedWav } = await run({
    dial: `sip:${o.user}@${o.target.host}:${o.target.port}`,
    codec: o.codec,
    source: o.source,
    seconds: o.seconds,
    ...(o.extraConfig !== undefined ? { extraConfig: o.extraConfig } : {}),
    ...(o.accountParams !== undefined ? { accountParams: o.accountParams } : {}),
    ...(o.modules ? { modules: o.modules } : {}),
  });
  if (!decodedWav) throw new Error(`baresip recorded nothing:\n${output.slice(-3000)}`);
  return { code, output, received: readWav(readFileSync(decodedWav)) };
}

/** Dials `dial` over `transport`, plays a short tone, and returns baresip's exit code and output. */
export async function runBaresip(o: BaresipOptions): Promise<BaresipRun> {
  const { code, output } = await run({
    dial: o.dial,
    transport: o.transport,
    ...(o.caFile ? { caFile: o.caFile } : {}),
    source: { pcm: tone440(o.toneMs ?? 1000, 8000), sampleRate: 8000 },
    seconds: o.seconds ?? 8,
  });
  return { code, output };
}
