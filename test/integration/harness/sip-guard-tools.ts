/**
 * What the SIP guard tests share: the bridge config with a digest-protected PBX trunk, the sipvicious tools run to
 * their end, a password dictionary, and a counter read from the metrics text.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testConfig } from './config.js';
import { reservePort } from '../../helpers/ports.js';

export const PASSWORD = 'Tr0ub4dor-and-3';

export function guardConfig(rtpBase: number, extraSip = '', allow = ['127.0.0.1']): string {
  return testConfig({
    rtpPortMin: rtpBase,
    rtpPortMax: rtpBase + 39,
    allow,
    bots: { echo: '{ builtin: echo }' },
    trunkBot: 'echo',
    extraSip,
    extraTrunks: [
      '  - name: pbx',
      `    credentials: [{ username: "1000", password: "${PASSWORD}" }]`,
      '    realm: pbx.example.com',
      '    digestAlgorithms: [MD5, SHA-256]',
      '    bot: echo',
    ].join('\n'),
  });
}

/**
 * Runs one sipvicious tool to its end (it stops by itself after a few silent seconds). Its source port is one of
 * ours (-P): by default it binds 5060 on every address, which other tests may need meanwhile.
 */
export async function sipvicious(tool: 'svmap' | 'svcrack', args: string[], timeoutMs = 60_000): Promise<{ code: number | null; out: string }> {
  const localPort = await reservePort();
  const child = spawn(tool, ['-P', String(localPort), ...args], { stdio: ['ignore', 'pipe', 'pipe'], cwd: mkdtempSync(join(tmpdir(), `${tool}-`)) });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (out += c));
  const killer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve) =>
    child.once('exit', (code) => {
      clearTimeout(killer);
      resolve({ code, out });
    }),
  );
}

/** A dictionary of `wrong` guesses that ends in the real password. */
export function dictionary(wrong: number): string {
  const path = join(mkdtempSync(join(tmpdir(), 'dict-')), 'passwords.txt');
  writeFileSync(path, [...Array.from({ length: wrong }, (_, i) => `guess${i}x`), PASSWORD].join('\n') + '\n');
  return path;
}

/** The sum of every series of `name` (or of the one series `name{labels}` names exactly). */
export function counter(text: string, name: string): number {
  const lines = text.split('\n').filter((l) => l.startsWith(`${name} `) || (name.includes('{') ? l.startsWith(name) : l.startsWith(`${name}{`)));
  return lines.reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
}
