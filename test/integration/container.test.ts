/**
 * The container, without a Docker engine: the image's start command (ENTRYPOINT + CMD) is the CLI the tests run,
 * its configuration passes --check, and its HEALTHCHECK command, run as written, answers 0 against a bridge started
 * from that configuration (ports moved to the test's own) and 1 once the bridge has stopped.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { BridgeProcess, CLI, MALLOC_ENV, NODE_FLAGS, runCli } from './harness/bridge-process.js';
import { reservePorts } from '../helpers/ports.js';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');
const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8').replace(/\\\n\s*/g, ' ');

/** The JSON-array form of a Dockerfile instruction in the final stage (the last one of its kind). */
function execForm(instruction: string): string[] {
  const lines = dockerfile.split('\n').filter((l) => l.startsWith(`${instruction} `));
  const last = lines.at(-1);
  if (!last) throw new Error(`no ${instruction} in the Dockerfile`);
  const json = last.slice(instruction.length + 1).replace(/^--\S+\s+/g, '').replace(/^(?:--\S+\s+)*CMD\s+/, '');
  return JSON.parse(json) as string[];
}

/** Runs the HEALTHCHECK's command as the image would (node from this machine), against `port`. */
function healthcheck(port: number): Promise<number> {
  const [cmd, ...args] = execForm('HEALTHCHECK');
  const script = args.map((a) => a.replace('127.0.0.1:9464', `127.0.0.1:${port}`));
  return new Promise((res) => execFile(cmd === 'node' ? process.execPath : cmd, script, { timeout: 5000 }, (err) => res(err ? ((err as { code?: number }).code ?? 1) : 0)));
}

describe('container', () => {
  let bridge: BridgeProcess | undefined;
  afterAll(async () => {
    await bridge?.stop();
  });

  it('the image starts the CLI the tests start, with the image configuration, which is valid', async () => {
    const entry = execForm('ENTRYPOINT');
    const cmd = execForm('CMD');
    expect(entry).toEqual(['node', ...NODE_FLAGS, relative(ROOT, CLI)]);
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } };
    const mallocEnv = Object.entries(MALLOC_ENV).map(([k, v]) => `${k}=${v}`);
    expect(pkg.scripts.start).toBe([...mallocEnv, 'node', ...NODE_FLAGS, relative(ROOT, CLI)].join(' '));
    expect(dockerfile).toMatch(new RegExp(`^ENV ${mallocEnv.join(' ')}$`, 'm'));
    expect(cmd).toEqual(['--config', '/etc/trunkbridge/trunkbridge.yaml']);
    expect(dockerfile).toContain('COPY deploy/trunkbridge.yaml /etc/trunkbridge/trunkbridge.yaml');
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^VOLUME \["\/data"\]$/m);
    expect(dockerfile).toMatch(/^FROM node:\d+-slim AS build$/m);
    const check = await runCli(['--config', join(ROOT, 'deploy/trunkbridge.yaml'), '--check']);
    expect(check.code, check.stderr).toBe(0);
    // The ports the image EXPOSEs are the ones its configuration listens on.
    const cfg = JSON.parse(check.stdout) as { sip: { listen: Array<{ port: number }> }; media: { rtpPortMin: number; rtpPortMax: number }; metrics: { port: number } };
    const expose = /^EXPOSE (.+)$/m.exec(dockerfile)![1];
    for (const l of cfg.sip.listen) expect(expose).toContain(`${l.port}/`);
    expect(expose).toContain(`${cfg.metrics.port}/tcp`);
    expect(expose).toContain(`${cfg.media.rtpPortMin}-${cfg.media.rtpPortMax}/udp`);
  });

  it('HEALTHCHECK: 0 against the running bridge, 1 once it stopped; SIGTERM exits 0', async () => {
    const rtp = await reservePorts(8);
    const yaml = readFileSync(join(ROOT, 'deploy/trunkbridge.yaml'), 'utf8')
      .replace(/host: 0\.0\.0\.0/g, 'host: 127.0.0.1')
      .replace(/port: 5060 \}/g, 'port: 0 }')
      .replace('port: 9464', 'port: 0')
      .replace('rtpPortMin: 10000', `rtpPortMin: ${rtp}`)
      .replace('rtpPortMax: 10199', `rtpPortMax: ${rtp + 7}`)
      .replace('drainTimeoutSec: 30', 'drainTimeoutSec: 5');
    bridge = new BridgeProcess(yaml);
    await bridge.start();
    expect(await healthcheck(bridge.metricsPort)).toBe(0);
    // With no call to finish the drain ends at once: whether /readyz says 503 or the listener is gone, the
    // check fails (the 503 itself is asserted by lifecycle-drain.test.ts, with a call in progress).
    const port = bridge.metricsPort;
    bridge.signal('SIGTERM');
    expect(await bridge.waitExit(10_000)).toBe(0);
    expect(await healthcheck(port)).toBe(1);
  }, 30_000);
});
