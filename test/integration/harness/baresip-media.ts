/**
 * baresip (Debian baresip-core) as a real softphone caller, started by a test with a generated config dir:
 * it plays a WAV (aufile) into the call, records what it decodes from the bridge (sndfile's dec dump), and
 * hangs up after `seconds` (-t). Bound to 127.0.0.1 only (net_interface), so its SDP names loopback.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeUdpPort, freeUdpRange } from './ports.js';

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

/** Runs one outgoing baresip call to the bridge and returns what it heard. */
export async function baresipCall(o: BaresipCallOptions): Promise<BaresipCallResult> {
  if (!/^127\./.test(o.target.host)) throw new Error('tests send SIP to loopback only');
  const dir = mkdtempSync(join(tmpdir(), 'baresip-'));
  const rec = join(dir, 'rec');
  mkdirSync(rec);
  const wav = join(dir, 'source.wav');
  writeFileSync(wav, wavBytes(o.source.pcm, o.source.sampleRate));
  const sipPort = await freeUdpPort();
  const rtpBase = await freeUdpRange(4);
  const modules = ['g711.so', 'g722.so', 'opus.so', 'aufile.so', 'aubridge.so', 'sndfile.so', 'menu.so', ...(o.modules ?? [])];
  writeFileSync(
    join(dir, 'config'),
    [
      'poll_method epoll',
      `sip_listen 127.0.0.1:${sipPort}`,
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
  writeFileSync(join(dir, 'accounts'), `<sip:caller@127.0.0.1>;regint=0;audio_codecs=${o.codec}${o.accountParams ?? ''}\n`);
  const uri = `sip:${o.user}@${o.target.host}:${o.target.port}`;
  const child = spawn('baresip', ['-f', dir, '-e', `/dial ${uri}`, '-t', String(o.seconds)], { stdio: ['ignore', 'pipe', 'pipe'], cwd: dir });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (output += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (output += c));
  const killer = setTimeout(() => child.kill('SIGKILL'), (o.seconds + 10) * 1000);
  const code = await new Promise<number | null>((res) => child.once('exit', res));
  clearTimeout(killer);
  if (!/Local network address:\s+IPv4=\S*\|127\.0\.0\.1/.test(output)) throw new Error(`baresip did not bind to loopback:\n${output.slice(0, 2000)}`);
  const dec = readdirSync(rec).find((f) => f.endsWith('-dec.wav'));
  if (!dec) throw new Error(`baresip recorded nothing:\n${output.slice(-3000)}`);
  return { code, output, received: readWav(readFileSync(join(rec, dec))) };
}
