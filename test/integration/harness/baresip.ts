/**
 * baresip as a real SIP UAC for end-to-end tests (it speaks TLS, which the installed SIPp build does not).
 * Each run gets its own config dir: one account, a WAV file as the microphone, no sound card. The call ends
 * when the file has played (baresip hangs up with BYE), or at `seconds`.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeUdpPort } from './ports.js';

export interface BaresipOptions {
  /** SIP URI to call; must point at loopback. */
  dial: string;
  /** Account transport. */
  transport: 'udp' | 'tcp' | 'tls';
  /** CA bundle baresip trusts for TLS. */
  caFile?: string;
  /** Length of the tone the caller plays before hanging up (default 1000 ms). */
  toneMs?: number;
  /** Hard stop (default 8 s). */
  seconds?: number;
}

export interface BaresipRun {
  code: number | null;
  output: string;
}

function toneWav(ms: number): Buffer {
  const rate = 8000;
  const n = Math.round((rate * ms) / 1000);
  const data = Buffer.alloc(n * 2);
  for (let i = 0; i < n; i++) data.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / rate)), i * 2);
  const h = Buffer.alloc(44);
  h.write('RIFF', 0);
  h.writeUInt32LE(36 + data.length, 4);
  h.write('WAVEfmt ', 8);
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20);
  h.writeUInt16LE(1, 22);
  h.writeUInt32LE(rate, 24);
  h.writeUInt32LE(rate * 2, 28);
  h.writeUInt16LE(2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36);
  h.writeUInt32LE(data.length, 40);
  return Buffer.concat([h, data]);
}

export async function runBaresip(o: BaresipOptions): Promise<BaresipRun> {
  if (!/@(127\.|\[::1\])/.test(o.dial)) throw new Error('tests call loopback only');
  const dir = mkdtempSync(join(tmpdir(), 'baresip-'));
  const wav = join(dir, 'tone.wav');
  writeFileSync(wav, toneWav(o.toneMs ?? 1000));
  const sipPort = await freeUdpPort();
  writeFileSync(
    join(dir, 'config'),
    [
      'poll_method epoll',
      `sip_listen 127.0.0.1:${sipPort}`,
      ...(o.caFile ? [`sip_cafile ${o.caFile}`] : []),
      `audio_source aufile,${wav}`,
      'rtp_ports 30000-39998',
      'module_path /usr/lib/baresip/modules',
      'module g711.so',
      'module aufile.so',
      'module account.so',
      'module_app menu.so',
      '',
    ].join('\n'),
  );
  writeFileSync(join(dir, 'accounts'), `<sip:caller@127.0.0.1;transport=${o.transport}>;regint=0\n`);
  const seconds = o.seconds ?? 8;
  const child = spawn('baresip', ['-f', dir, '-e', `/dial ${o.dial}`, '-t', String(seconds)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (output += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (output += c));
  const killer = setTimeout(() => child.kill('SIGKILL'), (seconds + 3) * 1000);
  const code = await new Promise<number | null>((res) => child.once('exit', res));
  clearTimeout(killer);
  return { code, output };
}
