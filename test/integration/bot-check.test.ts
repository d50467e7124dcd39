/**
 * `trunkbridge bot-check` as a user runs it (the built CLI, a child process) against bots on 127.0.0.1: the
 * README's example bot and a Twilio Media Streams bot written from Twilio's documentation pass; bots broken on
 * purpose (garbage frames, no audio, hanging up at once, nothing listening) fail with the failing step printed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocketServer, type WebSocket } from 'ws';
import { reservePort } from '../helpers/ports.js';
import { waitUntilBound } from './harness/bound-ports.js';
import { twilioEchoBot } from './harness/twilio-echo-bot.js';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');
const CLI = join(ROOT, 'dist', 'cli', 'main.js');

/** Runs the CLI to completion (asynchronously: the bots below live in this process). */
function botCheck(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [CLI, 'bot-check', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
    const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.once('exit', (code) => {
      clearTimeout(killer);
      done({ code, out, err });
    });
  });
}

/** The line of one step: "  ok    audio     ..." */
function step(out: string, name: string): string {
  return out.split('\n').find((l) => new RegExp(`^  (ok  |FAIL|skip)  ${name} `).test(l)) ?? `(no ${name} line in)\n${out}`;
}

/** A bot in this process; `behave` gets each connection. */
async function botServer(behave: (ws: WebSocket) => void): Promise<{ url: string; close(): Promise<void> }> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  await new Promise<void>((r) => wss.once('listening', () => r()));
  wss.on('connection', behave);
  return {
    url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/media`,
    close: () =>
      new Promise<void>((r) => {
        for (const c of wss.clients) c.terminate();
        wss.close(() => r());
      }),
  };
}


describe('bot-check against the README example bot', () => {
  let bot: ChildProcess;
  let port: number;

  beforeAll(async () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const source = /```js\n([\s\S]*?)```/.exec(readme)![1];
    expect(source).toContain('port: 9000');
    port = await reservePort();
    mkdirSync(join(ROOT, 'dist'), { recursive: true });
    const file = join(ROOT, 'dist', 'bot-check-readme-bot.mjs');
    writeFileSync(file, source.replace('port: 9000', `port: ${port}, host: '127.0.0.1'`));
    bot = spawn(process.execPath, [file], { stdio: ['ignore', 'pipe', 'pipe'] });
    await waitUntilBound(bot.pid!, port, 'tcp', () => bot.exitCode === null && bot.signalCode === null);
  });

  afterAll(() => {
    bot?.kill();
  });

  it('passes: exit 0, every step ok or not exercised', async () => {
    const r = await botCheck([`ws://127.0.0.1:${port}/stream`]);
    expect(r.code, r.out + r.err).toBe(0);
    for (const name of ['connect', 'handshake', 'audio', 'marks', 'dtmf', 'frames', 'hang-up']) expect(step(r.out, name)).toMatch(/^  ok  /);
    expect(step(r.out, 'marks')).toContain('"greeting-done"');
    expect(step(r.out, 'clear')).toMatch(/^  skip/);
    expect(r.out).toMatch(/\nPASS: the bot behaves/);
  }, 40_000);
});

describe('bot-check --protocol twilio', () => {
  it('passes a Twilio bot that echoes, marks and clears', async () => {
    const bot = await botServer((ws) => twilioEchoBot(ws, { clearAfterFirstAnswerMs: 300 }));
    try {
      const r = await botCheck([bot.url, '--protocol', 'twilio']);
      expect(r.code, r.out + r.err).toBe(0);
      expect(step(r.out, 'handshake')).toContain('sent connected, start');
      expect(step(r.out, 'audio')).toMatch(/^  ok  /);
      // Its first mark was pending when it cleared: dropped by the clear (Twilio returns it then).
      expect(step(r.out, 'marks')).toMatch(/"answer-1"/);
      expect(step(r.out, 'clear')).toMatch(/^  ok  .*cleared 1 time/);
      expect(step(r.out, 'hang-up')).toMatch(/^  ok  /);
    } finally {
      await bot.close();
    }
  }, 40_000);

  it('fails a Twilio bot that echoes garbage, naming the step and the problem', async () => {
    const bot = await botServer((ws) => {
      ws.on('message', (data) => {
        const msg = JSON.parse(String(data)) as { event: string; streamSid?: string };
        if (msg.event === 'media') ws.send(JSON.stringify({ event: 'media', streamSid: msg.streamSid, media: { payload: '!!not base64!!' } }));
      });
    });
    try {
      const r = await botCheck([bot.url, '--protocol', 'twilio', '--listen-sec', '2']);
      expect(r.code, r.out).toBe(1);
      expect(step(r.out, 'audio')).toMatch(/^  FAIL  audio +no audio within 2000 ms/);
      expect(step(r.out, 'frames')).toMatch(/^  FAIL  frames .*invalid in twilio: "media.payload" is not base64/);
      expect(step(r.out, 'dtmf')).toMatch(/^  ok  /); // it took the key; its garbage is judged once, under frames
      expect(r.out).toMatch(/\nFAIL: audio, frames\n/);
    } finally {
      await bot.close();
    }
  }, 40_000);
});

describe('bot-check fails broken native bots', () => {
  it('a bot that answers with text that is not protocol v1', async () => {
    const bot = await botServer((ws) => {
      ws.on('message', (data, isBinary) => {
        if (isBinary) ws.send(data as Buffer); // echoes audio...
        else ws.send('hello bridge'); // ...but answers events with garbage
      });
    });
    try {
      const r = await botCheck([bot.url, '--sample-rate', '8000']);
      expect(r.code, r.out).toBe(1);
      expect(step(r.out, 'audio')).toMatch(/^  ok  /);
      expect(step(r.out, 'frames')).toMatch(/^  FAIL  frames .*invalid in native: invalid JSON/);
    } finally {
      await bot.close();
    }
  }, 40_000);

  it('a bot that hangs up at once', async () => {
    const bot = await botServer((ws) => ws.once('message', () => ws.close(1000, 'bye')));
    try {
      const r = await botCheck([bot.url, '--listen-sec', '2']);
      expect(r.code, r.out).toBe(1);
      expect(step(r.out, 'audio')).toMatch(/^  FAIL  audio .*the bot closed the socket \(code 1000\)/);
      expect(step(r.out, 'hang-up')).toMatch(/^  FAIL  hang-up +not reached/);
    } finally {
      await bot.close();
    }
  }, 40_000);

  it('nothing listening, and bad arguments', async () => {
    const port = await reservePort();
    const r = await botCheck([`ws://127.0.0.1:${port}/`]);
    expect(r.code).toBe(1);
    expect(step(r.out, 'connect')).toMatch(/^  FAIL  connect +no WebSocket: .*ECONNREFUSED/);
    expect((await botCheck(['http://x/'])).code).toBe(2);
    const bad = await botCheck(['ws://x/', '--protocol', 'sip']);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--protocol must be one of: native, twilio, telnyx/);
  }, 40_000);
});
