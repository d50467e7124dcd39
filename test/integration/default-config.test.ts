/**
 * The README's first command starts the bridge on the embedded default config (no --config): SIP on udp
 * 127.0.0.1:5060 and every number answered by the built-in echo bot. Run inside a loopback-only network
 * namespace so the fixed ports 5060/9464 are free whatever else runs on the machine.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import alawmulaw from 'alawmulaw';
import { CLI, SIPP_DIR } from './harness/bridge-process.js';
import { LoopbackNamespace, finish } from './harness/netns.js';
import { readPcapRtp } from './harness/pcap.js';
import { bestLaggedCorrelation, rmsEnvelope } from './harness/signal.js';
import { waitFor } from '../helpers/wait-for.js';

const PCAP = '/usr/share/sip-tester/g711a.pcap';
const CALLER_RTP_PORT = 40000;

// A caller media port inside the namespace: prints each RTP payload as "pt hex" on its own line.
const RTP_RECORDER = `
const s = require('dgram').createSocket('udp4');
s.on('message', (m) => { if (m.length > 12 && (m[0] >> 6) === 2) process.stdout.write((m[1] & 0x7f) + ' ' + m.subarray(12 + (m[0] & 15) * 4).toString('hex') + '\\n'); });
s.bind(${CALLER_RTP_PORT}, '127.0.0.1', () => process.stdout.write('ready\\n'));
process.on('SIGTERM', () => process.exit(0));
`;

describe('default config (npm start)', () => {
  let ns: LoopbackNamespace;
  let bridge: ChildProcess;
  let bridgeLog = '';

  beforeAll(async () => {
    ns = LoopbackNamespace.create();
    bridge = ns.spawn(process.execPath, [CLI]);
    bridge.stdout!.setEncoding('utf8').on('data', (c: string) => (bridgeLog += c));
    await waitFor(() => bridgeLog.includes('trunkbridge ready'), { timeoutMs: 10_000, intervalMs: 50, onTimeout: 'resolve' });
    expect(bridgeLog).toContain('trunkbridge ready');
  });

  afterAll(() => {
    bridge?.kill('SIGTERM');
    ns?.destroy();
  });

  it('answers any number on 127.0.0.1:5060 with the echo bot, which plays the caller back', async () => {
    const recorder = ns.spawn(process.execPath, ['-e', RTP_RECORDER]);
    const recorded = finish(recorder, 30_000);
    await new Promise<void>((res) => recorder.stdout!.once('data', () => res()));

    const sipp = ns.spawn('sipp', [
      '127.0.0.1:5060', '-sf', `${SIPP_DIR}/uac-pcap-g711a-caller-hangup.xml`, '-s', '1000',
      '-key', 'rtp_port', String(CALLER_RTP_PORT), '-d', '8000', '-m', '1', '-i', '127.0.0.1', '-p', '5070',
      '-mp', '6000', '-timeout', '30s', '-timeout_error', '-nostdin',
    ], { cwd: '/tmp' });
    const result = await finish(sipp, 40_000);
    expect(result.code, result.stdout.slice(-2000) + result.stderr).toBe(0);

    recorder.kill('SIGTERM');
    const lines = (await recorded).stdout.split('\n').filter((l) => /^\d+ /.test(l));
    const echoed: number[] = [];
    for (const line of lines) {
      const [pt, hex] = line.split(' ');
      const payload = Buffer.from(hex, 'hex');
      echoed.push(...(Number(pt) === 8 ? alawmulaw.alaw.decode(payload) : alawmulaw.mulaw.decode(payload)));
    }
    // The caller's own audio comes back: its loudness envelope follows the pcap's.
    const reference = readPcapRtp(PCAP).flatMap((p) => Array.from(alawmulaw.alaw.decode(p.payload)));
    const { r } = bestLaggedCorrelation(rmsEnvelope(reference, 160), rmsEnvelope(echoed, 160), 100);
    expect(r).toBeGreaterThan(0.9);
    expect(bridgeLog).toContain('"bot":"echo"');
  }, 60_000);
});
