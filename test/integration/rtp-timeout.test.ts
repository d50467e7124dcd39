/** End-to-end RTP timeout: SIPp answers nothing on its media port and sends no RTP; the bridge hangs up. */
import { afterEach, describe, expect, it } from 'vitest';
import { BridgeProcess } from './harness/bridge-process.js';
import { runSipp, describeSipp } from './harness/sipp.js';
import { TestBotServer } from './harness/test-bot.js';
import { reservePort, reservePorts } from '../helpers/ports.js';
import { testConfig } from './harness/config.js';

describe('RTP timeout', () => {
  let bridge: BridgeProcess | undefined;
  let bots: TestBotServer | undefined;

  afterEach(async () => {
    await bridge?.stop();
    await bots?.close();
  });

  it('a caller that sends no RTP for rtpTimeoutSec gets a BYE; the bot gets stop rtp-timeout', async () => {
    const rtpBase = await reservePorts(5);
    bots = await TestBotServer.start();
    bridge = new BridgeProcess(
      testConfig({
        rtpPortMin: rtpBase,
        rtpPortMax: rtpBase + 4,
        bots: { tester: `{ url: "${bots.url}", sampleRate: 8000, connectTimeoutMs: 2000 }` },
        numbers: { '+15550100': 'tester' },
        trunkExtra: '    rtpTimeoutSec: 1\n',
      }),
    );
    await bridge.start();
    const sipPort = bridge.sipPort();
    const started = Date.now();
    const run = await runSipp({
      scenario: 'uac-expect-bye-from-bridge.xml',
      target: { host: '127.0.0.1', port: sipPort },
      service: '+15550100',
      keys: { rtp_port: await reservePort() }, // reserved: nothing listens there, as for a caller gone silent
      timeoutMs: 10_000,
    });
    expect(run.code, describeSipp(run)).toBe(0);
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThan(900);
    expect(elapsed).toBeLessThan(5000);
    const bot = await bots.nextConnection();
    await bot.until(() => bot.closeCode !== undefined, 5000, 'socket close');
    expect(bot.event('stop')).toMatchObject({ type: 'stop', reason: 'rtp-timeout' });
  }, 20_000);
});
