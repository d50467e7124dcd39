/**
 * A bridge with two media workers and the test hooks, an 8 kHz test bot on +15550100 and an RTP listener as the
 * caller's port: what the media-worker tests (crash, watchdog, figures) share.
 */
import { BridgeProcess } from './bridge-process.js';
import { runSipp, type SippRun } from './sipp.js';
import { TestBotServer, type BotConnection } from './test-bot.js';
import { RtpListener } from './rtp-listener.js';
import { reservePorts } from '../../helpers/ports.js';
import { waitFor } from '../../helpers/wait-for.js';
import { testConfig } from './config.js';

export class WorkerRig {
  private constructor(
    readonly bridge: BridgeProcess,
    readonly bots: TestBotServer,
    readonly listener: RtpListener,
  ) {}

  /** `extraMedia`: more `media:` lines (two-space indented), e.g. the watchdog's. */
  static async start(extraMedia = ''): Promise<WorkerRig> {
    const rtpBase = await reservePorts(8);
    const bots = await TestBotServer.start();
    const listener = await RtpListener.start();
    const bridge = new BridgeProcess(
      testConfig({
        rtpPortMin: rtpBase,
        rtpPortMax: rtpBase + 7,
        extraMedia: `  workers: 2\n${extraMedia}`,
        bots: { tester: `{ url: "${bots.url}", sampleRate: 8000 }` },
        numbers: { '+15550100': 'tester' },
      }),
      { TRUNKBRIDGE_TEST_HOOKS: '1' },
    );
    await bridge.start();
    return new WorkerRig(bridge, bots, listener);
  }

  /** A SIPp call that waits for the bridge's BYE (or runs another scenario). */
  call(scenario = 'uac-expect-bye-from-bridge.xml'): Promise<SippRun> {
    return runSipp({
      scenario,
      target: { host: '127.0.0.1', port: this.bridge.sipPort() },
      service: '+15550100',
      keys: { rtp_port: this.listener.port },
    });
  }

  /** The n-th bot connection (1-based), once it has its `start`. */
  async botNumber(n: number): Promise<BotConnection> {
    const bots = this.bots;
    await waitFor(() => bots.connections.length >= n && bots.connections[n - 1].event('start') !== undefined, { timeoutMs: 10_000, what: `bot ${n} started` });
    return bots.connections[n - 1];
  }

  /**
   * Test hook: worker `index` crashes (`crash`; with `failStarts`, so do its next starts), has its event loop
   * blocked `ms` (`stall`) or kept 90 % busy `ms` (`busy`).
   */
  async hook(index: number, action: 'crash' | { failStarts: number } | { stallMs: number } | { busyMs: number }): Promise<number> {
    const path =
      action === 'crash' ? 'crash'
      : 'failStarts' in action ? `crash?failStarts=${action.failStarts}`
      : 'busyMs' in action ? `busy?ms=${action.busyMs}`
      : `stall?ms=${action.stallMs}`;
    return (await fetch(`http://127.0.0.1:${this.bridge.metricsPort}/_test/media-workers/${index}/${path}`, { method: 'POST' })).status;
  }

  async stop(): Promise<void> {
    await this.bridge.stop();
    await this.bots.close();
    this.listener.close();
  }
}
