/**
 * Chaos (issue #12): the bot process killed mid-call, the carrier vanishing without a BYE (ended by the RTP timeout,
 * or by the RFC 4028 session timer when the RTP timeout is off), and the bridge itself
 * killed mid-call and restarted. Every call ends cleanly (the caller gets a BYE or, from the new process, a 481),
 * no call stays active, no process is left behind, and nothing is logged as our fault (error level).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { BridgeProcess, type LogLine } from './harness/bridge-process.js';
import { CallerMedia } from './harness/caller-media.js';
import { testConfig } from './harness/config.js';
import { activeCalls } from './harness/active-calls.js';
import { describeSipp, runSipp } from './harness/sipp.js';
import { startSippUas, type SippUas } from './harness/sipp-uas.js';
import { TestBotServer } from './harness/test-bot.js';
import { reservePort, reservePorts } from '../helpers/ports.js';
import { waitFor } from '../helpers/wait-for.js';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');

/** A bot in its own process (so it can be SIGKILLed): accepts the bridge, prints "started" on `start`. */
const BOT_SCRIPT = `
import { WebSocketServer } from 'ws';
const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
wss.on('listening', () => console.log('port ' + wss.address().port));
wss.on('connection', (ws) => ws.on('message', (d, binary) => { if (!binary) console.log('started'); }));
`;

async function startBotProcess(): Promise<{ child: ChildProcess; url: string; started: () => boolean }> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', BOT_SCRIPT], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (c: string) => (out += c));
  const port = await waitFor(() => /port (\d+)/.exec(out)?.[1], { timeoutMs: 10_000, what: 'the bot process listening' });
  return { child, url: `ws://127.0.0.1:${port}/bot`, started: () => out.includes('started') };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}


const errors = (b: BridgeProcess): LogLine[] => b.logs.filter((l) => l.level >= 50);

describe('chaos', () => {
  let bridge: BridgeProcess | undefined;
  let bots: TestBotServer | undefined;
  let bot: ChildProcess | undefined;
  let uac: SippUas | undefined;
  let caller: CallerMedia | undefined;

  afterEach(async () => {
    uac?.kill();
    caller?.close();
    if (bot && bot.exitCode === null) bot.kill('SIGKILL');
    await bridge?.stop();
    await bots?.close();
    bridge = bots = bot = uac = caller = undefined;
  });

  it('bot process killed mid-call: the caller gets a BYE, the call ends, nothing stays active', async () => {
    const rtpBase = await reservePorts(4);
    const b = await startBotProcess();
    bot = b.child;
    bridge = new BridgeProcess(
      testConfig({
        rtpPortMin: rtpBase,
        rtpPortMax: rtpBase + 3,
        bots: { tester: `{ url: "${b.url}", sampleRate: 8000, connectTimeoutMs: 1000, reconnectMs: 1000 }` },
        numbers: { '+15550100': 'tester' },
      }),
    );
    await bridge.start();
    const sink = await reservePort();
    const run = runSipp({
      scenario: 'uac-expect-bye-from-bridge.xml',
      target: { host: '127.0.0.1', port: bridge.sipPort() },
      service: '+15550100',
      keys: { rtp_port: sink },
      timeoutMs: 20_000,
    });
    await waitFor(b.started, { timeoutMs: 10_000, what: 'the bot got start' });
    const pid = b.child.pid!;
    b.child.kill('SIGKILL');
    await waitFor(() => !alive(pid), { timeoutMs: 5000, what: 'the bot process gone' });

    const result = await run;
    expect(result.code, describeSipp(result)).toBe(0);
    const ended = await bridge.waitForLog((l) => l.msg === 'call ended');
    expect(String(ended.reason)).toMatch(/bot/);
    await waitFor(async () => (await activeCalls(bridge!.metricsPort)) === 0, { timeoutMs: 5000, what: 'no active call' });
    expect(errors(bridge)).toEqual([]);
  }, 40_000);

  /**
   * A call from a SIPp carrier (`scenario`, holding `holdMs`) with RTP from `caller` to a bridge whose trunk has
   * `rtpTimeoutSec`; resolves once the bot heard half a second of the caller, with the bot's connection.
   */
  async function callFromCarrier(o: { rtpTimeoutSec: number; scenario: string; holdMs: number }): Promise<{ conn: Awaited<ReturnType<TestBotServer['firstStarted']>>; answered: number; b: BridgeProcess; u: SippUas; c: CallerMedia }> {
    const rtpBase = await reservePorts(2); // one RTP/RTCP pair: the call's RTP port is rtpBase
    bots = await TestBotServer.start();
    bridge = new BridgeProcess(
      testConfig({
        rtpPortMin: rtpBase,
        rtpPortMax: rtpBase + 1,
        bots: { tester: `{ url: "${bots.url}", sampleRate: 8000, connectTimeoutMs: 2000 }` },
        numbers: { '+15550100': 'tester' },
        trunkExtra: `    rtpTimeoutSec: ${o.rtpTimeoutSec}\n`,
      }),
    );
    await bridge.start();
    caller = await CallerMedia.start(400);
    uac = await startSippUas({
      scenario: o.scenario,
      keys: { rtp_port: caller.port },
      args: ['-d', String(o.holdMs), '-s', '+15550100', `127.0.0.1:${bridge.sipPort()}`],
      timeoutMs: o.holdMs + 10_000,
    });
    caller.sendTo(rtpBase);
    const conn = await bots.firstStarted();
    const answered = Date.now();
    await conn.until(() => conn.frames.length >= 25, 10_000, 'half a second of caller audio');
    return { conn, answered, b: bridge, u: uac, c: caller };
  }

  it('carrier vanishes without BYE (SIPp killed, its RTP stops): the RTP timeout ends the call', async () => {
    const { conn, b, u, c } = await callFromCarrier({ rtpTimeoutSec: 2, scenario: 'uac-call-hold-caller-hangup.xml', holdMs: 60_000 });

    // The carrier is gone: its SIP process dies, its media stops, no BYE is ever sent.
    const gone = Date.now();
    u.kill();
    c.stop();
    await conn.until(() => conn.closeCode !== undefined, 10_000, 'socket close');
    expect(conn.event('stop')).toMatchObject({ reason: 'rtp-timeout' });
    const ended = await b.waitForLog((l) => l.msg === 'call ended');
    expect(ended.reason).toBe('rtp-timeout');
    expect(Date.now() - gone).toBeGreaterThanOrEqual(1500);
    await waitFor(async () => (await activeCalls(b.metricsPort)) === 0, { timeoutMs: 5000, what: 'no active call' });
    expect(errors(b)).toEqual([]);
  }, 60_000);

  it('carrier vanishes without BYE and RTP timeout is off: the RFC 4028 session timer ends the call', async () => {
    // Session-Expires 90 (the smallest Min-SE allows), refresher the carrier: without a refresh the bridge
    // sends BYE at 90 - min(32, 90/3) = 60 s (RFC 4028 §10).
    const { conn, answered, b, u, c } = await callFromCarrier({ rtpTimeoutSec: 0, scenario: 'uac-session-timer-never-refresh.xml', holdMs: 120_000 });

    // The carrier is gone: SIP process killed, media stopped, no BYE and no refresh ever.
    u.kill();
    c.stop();
    await conn.until(() => conn.closeCode !== undefined, 75_000, 'socket close');
    expect(conn.event('stop')).toMatchObject({ reason: 'session-expired' });
    const ended = await b.waitForLog((l) => l.msg === 'call ended');
    expect(ended.reason).toBe('session-expired');
    // Not before the session's end, and not after the BYE would have timed out (Timer F, 32 s more).
    expect(Date.now() - answered).toBeGreaterThanOrEqual(55_000);
    expect(Date.now() - answered).toBeLessThan(85_000);
    expect(b.logs.some((l) => l.msg === 'session timer expired without refresh; sending BYE')).toBe(true);
    await waitFor(async () => (await activeCalls(b.metricsPort)) === 0, { timeoutMs: 5000, what: 'no active call' });
    expect(errors(b)).toEqual([]);
  }, 110_000);

  it('bridge killed mid-call and restarted: the caller\'s BYE gets a clean 481, no process left behind', async () => {
    const rtpBase = await reservePorts(4);
    const sipPort = await reservePort();
    bots = await TestBotServer.start();
    const config = testConfig({
      sipPort,
      rtpPortMin: rtpBase,
      rtpPortMax: rtpBase + 3,
      bots: { tester: `{ url: "${bots.url}", sampleRate: 8000, connectTimeoutMs: 2000 }` },
      numbers: { '+15550100': 'tester' },
    });
    bridge = new BridgeProcess(config);
    await bridge.start();
    const sink = await reservePort();
    const run = runSipp({
      scenario: 'uac-call-bye-expect-481.xml',
      target: { host: '127.0.0.1', port: sipPort },
      service: '+15550100',
      keys: { rtp_port: sink },
      args: ['-d', '6000'],
      timeoutMs: 30_000,
    });
    const conn = await bots.firstStarted();
    // `start` goes to the bot just before the 200 OK: a kill between them would leave SIPp without its answer.
    await bridge.waitForLog((l) => l.msg === 'call answered');

    // A crash: SIGKILL, nothing gets to clean up (stop() then only collects the exit).
    const pid = bridge.pid;
    process.kill(pid, 'SIGKILL');
    await bridge.stop();
    expect(alive(pid)).toBe(false);
    await conn.until(() => conn.closeCode !== undefined, 5000, 'the dead bridge\'s socket closed');

    // Same SIP port and RTP range: the kernel freed what the dead process held.
    bridge = new BridgeProcess(config);
    await bridge.start();
    const result = await run;
    expect(result.code, describeSipp(result)).toBe(0);
    expect(result.messages).toMatch(/SIP\/2\.0 481 /);
    expect(await activeCalls(bridge.metricsPort)).toBe(0);
    expect(bots.connections).toHaveLength(1);
    expect(errors(bridge)).toEqual([]);
  }, 60_000);
});
