/**
 * The README's example bot, run as written (only its port changed): a newcomer who copies it gets a bot that
 * greets the caller with a 440 Hz tone and repeats what it hears. SIPp calls the real bridge, routed to it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import alawmulaw from 'alawmulaw';
import { BridgeProcess } from './harness/bridge-process.js';
import { describeSipp, runSipp } from './harness/sipp.js';
import { RtpListener } from './harness/rtp-listener.js';
import { reservePort, reservePorts } from '../helpers/ports.js';
import { waitFor } from '../helpers/wait-for.js';
import { waitUntilBound } from './harness/bound-ports.js';
import { testConfig } from './harness/config.js';
import { strongestWindow } from './harness/signal.js';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');

/** The first ```js block of the README. */
function readmeBot(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const m = /```js\n([\s\S]*?)```/.exec(readme);
  if (!m) throw new Error('README has no js example');
  return m[1];
}

describe('README example bot', () => {
  let bot: ChildProcess;
  let bridge: BridgeProcess;
  let listener: RtpListener;
  let sipPort: number;
  let botOutput = '';

  beforeAll(async () => {
    // The README's bot listens on a port written in its source and prints none: it gets a reserved one.
    const botPort = await reservePort();
    const source = readmeBot();
    expect(source).toContain('port: 9000');
    // Written under dist/ so that `import 'ws'` resolves from the project's node_modules.
    mkdirSync(join(ROOT, 'dist'), { recursive: true });
    const file = join(ROOT, 'dist', 'readme-example-bot.mjs');
    writeFileSync(file, source.replace('port: 9000', `port: ${botPort}, host: '127.0.0.1'`));
    bot = spawn(process.execPath, [file], { stdio: ['ignore', 'pipe', 'pipe'] });
    bot.stdout!.setEncoding('utf8').on('data', (c: string) => (botOutput += c));
    await waitUntilBound(bot.pid!, botPort, 'tcp', () => bot.exitCode === null && bot.signalCode === null);
    const rtpBase = await reservePorts(4);
    bridge = new BridgeProcess(
      testConfig({
        rtpPortMin: rtpBase,
        rtpPortMax: rtpBase + 3,
        bots: { support: `{ url: "ws://127.0.0.1:${botPort}/stream", sampleRate: 16000 }` },
        trunkBot: 'support',
        extraMedia: '  latching: off',
      }),
    );
    await bridge.start();
    sipPort = bridge.sipPort();
    listener = await RtpListener.start();
  });

  afterAll(async () => {
    await bridge?.stop();
    bot?.kill();
    listener?.close();
  });

  it('greets the caller with its 440 Hz tone and logs the end of the call', async () => {
    const run = await runSipp({
      scenario: 'uac-pcap-g711a-caller-hangup.xml',
      target: { host: '127.0.0.1', port: sipPort },
      service: '+15550100',
      keys: { rtp_port: listener.port },
      args: ['-d', '3000'],
    });
    expect(run.code, describeSipp(run)).toBe(0);
    const pcm = listener.packets.flatMap((p) =>
      Array.from(p.payloadType === 8 ? alawmulaw.alaw.decode(p.payload) : alawmulaw.mulaw.decode(p.payload)),
    );
    // The greeting: the loudest 200 ms window near the start is a 440 Hz tone.
    const first = pcm.slice(0, 8000);
    const best = strongestWindow(first, 8000, 440, 1600, 400).level;
    expect(best).toBeGreaterThan(3000);
    await waitFor(() => botOutput.includes('call ended'), { timeoutMs: 3000, intervalMs: 50, onTimeout: 'resolve' });
    expect(botOutput).toContain('call ended: caller-hangup');
  }, 30_000);
});
