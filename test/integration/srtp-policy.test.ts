/**
 * Per-trunk SRTP policy against a real peer: a trunk with `srtp: required` refuses SIPp's plain RTP/AVP offer with
 * 488 and says why in the log. (SRTP calls that succeed: baresip-codecs.test.ts, with baresip's srtp module.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BridgeProcess } from './harness/bridge-process.js';
import { runSipp, describeSipp } from './harness/sipp.js';
import { TestBotServer } from './harness/test-bot.js';
import { reservePort, reservePorts } from '../helpers/ports.js';
import { testConfig } from './harness/config.js';

describe('trunk srtp: required', () => {
  let bridge: BridgeProcess;
  let bots: TestBotServer;
  let sipPort: number;

  beforeAll(async () => {
    const rtpBase = await reservePorts(4);
    bots = await TestBotServer.start(() => {});
    bridge = new BridgeProcess(
      testConfig({
        rtpPortMin: rtpBase,
        rtpPortMax: rtpBase + 3,
        bots: { tester: `{ url: "${bots.url}", sampleRate: 8000, connectTimeoutMs: 2000 }` },
        numbers: { '+15550100': 'tester' },
        trunkExtra: '    srtp: required\n',
      }),
    );
    await bridge.start();
    sipPort = bridge.sipPort();
  });

  afterAll(async () => {
    await bridge?.stop();
    await bots?.close();
  });

  it('a plain RTP/AVP offer gets 488 and no bot is called', async () => {
    const run = await runSipp({
      scenario: 'uac-plain-rtp-expect-488.xml',
      target: { host: '127.0.0.1', port: sipPort },
      service: '+15550100',
      keys: { rtp_port: await reservePort() }, // rejected before any media: nothing listens there
    });
    expect(run.code, describeSipp(run)).toBe(0);
    const line = await bridge.waitForLog((l) => l.msg === 'call rejected' && l.status === 488);
    expect(String(line.err)).toMatch(/requires SRTP/);
    expect(bots.connections).toHaveLength(0);
  });
});
