/**
 * A bot that stops reading its socket cannot grow the bridge's memory: caller audio beyond sendBufferBytes is
 * dropped (oldest first) and counted, and the bot can see it (`status`). Run in a loopback-only network namespace
 * whose TCP buffers are small (net.ipv4.tcp_wmem/tcp_rmem are per namespace), so the kernel takes only a few
 * KiB before the bridge's own bound is what holds: on the host's loopback it would absorb ~4 MiB (80 s of audio)
 * first. Everything runs inside: the bridge, SIPp as the caller, and the bot (a `ws` server written here).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLI, SIPP_DIR } from './harness/bridge-process.js';
import { LoopbackNamespace, finish } from './harness/netns.js';
import { waitFor } from '../helpers/wait-for.js';

const WS_MODULE = resolve(fileURLToPath(import.meta.url), '../../../node_modules/ws/wrapper.mjs');
const BOT_PORT = 8089;
const SEND_BUFFER = 16384;
const FRAME_BYTES = 960; // 20 ms of 24 kHz L16
const STALL_MS = 6000;

// The bot: takes `start`, then reads nothing for STALL_MS (its socket paused), then reads again, asks for
// `status`, and reports (one JSON line each) what it got and when.
const BOT = `
import { WebSocketServer } from '${WS_MODULE}';
const out = (o) => process.stdout.write(JSON.stringify(o) + '\\n');
const wss = new WebSocketServer({ host: '127.0.0.1', port: ${BOT_PORT}, perMessageDeflate: false });
wss.on('listening', () => out({ event: 'ready' }));
wss.on('connection', (ws) => {
  let resumedAt = 0, burst = 0, after = 0, start;
  ws.on('message', (data, isBinary) => {
    if (isBinary) {
      if (resumedAt) { after++; if (Date.now() - resumedAt < 300) burst++; }
      return;
    }
    const msg = JSON.parse(String(data));
    if (msg.type === 'start') {
      start = msg;
      ws._socket.pause();
      setTimeout(() => { resumedAt = Date.now(); ws._socket.resume(); setTimeout(() => ws.send(JSON.stringify({ type: 'status' })), 500); }, ${STALL_MS});
    } else if (msg.type === 'status') {
      out({ event: 'status', status: msg, burst, framesBeforeStatus: after });
    } else if (msg.type === 'stop') {
      out({ event: 'stop', reason: msg.reason, framesAfterResume: after, callId: start && start.callId });
    }
  });
});
process.on('SIGTERM', () => process.exit(0));
`;

describe('a bot that never reads its socket (network namespace with small TCP buffers)', () => {
  let ns: LoopbackNamespace;
  let bridge: ChildProcess;
  let bot: ChildProcess;
  let bridgeLog = '';
  let botOut = '';

  beforeAll(async () => {
    ns = LoopbackNamespace.create();
    // Inside the namespace only: the host's own TCP settings are untouched.
    execFileSync('ip', ['netns', 'exec', ns.name, 'sysctl', '-q', '-w', 'net.ipv4.tcp_wmem=4096 8192 16384', 'net.ipv4.tcp_rmem=4096 8192 16384']);
    const dir = mkdtempSync(join(tmpdir(), 'tb-backpressure-'));
    writeFileSync(join(dir, 'bot.mjs'), BOT);
    writeFileSync(join(dir, 'config.yaml'), `
sip: { listen: [{ transport: udp, host: 127.0.0.1, port: 5060 }] }
media: { rtpPortMin: 20000, rtpPortMax: 20010 }
bots:
  slow: { url: "ws://127.0.0.1:${BOT_PORT}/", sampleRate: 24000, sendBufferBytes: ${SEND_BUFFER}, pingIntervalMs: 0 }
inboundTrunks:
  - { name: carrier-a, allow: ["127.0.0.1"], bot: slow }
logging: { level: info }
metrics: { enabled: false }
`);
    bot = ns.spawn(process.execPath, [join(dir, 'bot.mjs')]);
    bot.stdout!.setEncoding('utf8').on('data', (c: string) => (botOut += c));
    bridge = ns.spawn(process.execPath, [CLI, '--config', join(dir, 'config.yaml')]);
    bridge.stdout!.setEncoding('utf8').on('data', (c: string) => (bridgeLog += c));
    await waitFor(() => botOut.includes('"ready"') && bridgeLog.includes('trunkbridge ready'), { timeoutMs: 10_000, what: 'bot and bridge up', detail: () => bridgeLog.slice(-2000) });
  });

  afterAll(() => {
    bridge?.kill('SIGTERM');
    bot?.kill('SIGTERM');
    ns?.destroy();
  });

  it('drops and counts the caller audio it cannot send, holds no more than its bound, and tells the bot on status', async () => {
    const sipp = ns.spawn('sipp', [
      '127.0.0.1:5060', '-sf', `${SIPP_DIR}/uac-pcap-g711a-caller-hangup.xml`, '-s', '+15550100',
      '-key', 'rtp_port', '40000', '-d', '9000', '-m', '1', '-i', '127.0.0.1', '-p', '5070',
      '-mp', '6000', '-timeout', '30s', '-timeout_error', '-nostdin',
    ], { cwd: tmpdir() });
    const result = await finish(sipp, 40_000);
    expect(result.code, result.stdout.slice(-2000) + result.stderr).toBe(0);
    await waitFor(() => botOut.includes('"stop"'), { timeoutMs: 5000, what: 'the bot to get stop', detail: () => botOut });

    const lines = botOut.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const status = lines.find((l) => l.event === 'status') as { status: { framesDropped: number; playoutMs: number }; burst: number; framesBeforeStatus: number };
    const stop = lines.find((l) => l.event === 'stop') as { reason: string; framesAfterResume: number };
    // 6 s without reading while the caller spoke: frames were dropped, and the bot is told how many.
    const offeredDuringStall = STALL_MS / 20;
    expect(status.status.framesDropped, JSON.stringify(lines)).toBeGreaterThan(offeredDuringStall / 3);
    expect(status.status.playoutMs).toBe(0);
    // What was waiting for the bot when it read again: the kernel's few KiB plus the bridge's bound (twice
    // sendBufferBytes), in frames. Without a bound it would be every frame of the stall.
    const bound = Math.ceil((2 * SEND_BUFFER + 3 * 16384) / FRAME_BYTES) + 15; // + 300 ms of live frames
    expect(status.burst).toBeLessThanOrEqual(bound);
    expect(status.burst, JSON.stringify(lines)).toBeLessThan(offeredDuringStall / 2);
    expect(stop.reason).toBe('caller-hangup');
    // Every caller frame of the call (SIPp's ~7 s recording: ~350 frames of 20 ms) was either read by the bot or
    // counted as dropped: the count is the truth, not an estimate.
    expect(stop.framesAfterResume + status.status.framesDropped, JSON.stringify(lines)).toBeGreaterThanOrEqual(320);
    expect(stop.framesAfterResume + status.status.framesDropped, JSON.stringify(lines)).toBeLessThanOrEqual(380);
    // The bridge logged the drop once (not per frame) and that the bot caught up.
    const logLines = bridgeLog.split('\n').filter((l) => l.includes('"msg"')).map((l) => JSON.parse(l) as { msg: string; framesDropped?: number; level: number });
    expect(logLines.filter((l) => l.msg === 'bot is not reading; dropping the oldest caller audio')).toHaveLength(1);
    const caughtUp = logLines.find((l) => l.msg === 'bot caught up; sending audio again');
    expect(caughtUp?.framesDropped).toBe(status.status.framesDropped);
    expect(logLines.filter((l) => l.level >= 50)).toEqual([]);
  }, 60_000);
});
