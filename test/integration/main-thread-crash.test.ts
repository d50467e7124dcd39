/**
 * A throw that reaches the main thread's event loop (a bug nothing catches; test hook POST /_test/main/crash):
 * Node ends the process with exit code 1, as it should (its state cannot be trusted), and the bridge first logs
 * it as a fatal line with the error and its origin, where operators read the other log lines.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { reservePorts } from '../helpers/ports.js';
import { BridgeProcess } from './harness/bridge-process.js';
import { testConfig } from './harness/config.js';

let bridge: BridgeProcess | undefined;

afterAll(async () => {
  await bridge?.stop();
});

describe('an uncaught exception in the main thread', () => {
  it('is logged as a fatal line with the error and its origin, then the process exits with code 1', async () => {
    const rtpBase = await reservePorts(2);
    bridge = new BridgeProcess(testConfig({ rtpPortMin: rtpBase, rtpPortMax: rtpBase + 1, bots: { echo: '{ builtin: echo }' }, numbers: { '+15550100': 'echo' } }), {
      TRUNKBRIDGE_TEST_HOOKS: '1',
    });
    await bridge.start();
    const res = await fetch(`http://127.0.0.1:${bridge.metricsPort}/_test/main/crash`, { method: 'POST' });
    expect(res.status).toBe(202);
    expect(await bridge.waitExit(10_000)).toBe(1);
    const fatal = bridge.logs.find((l) => l.msg === 'uncaught exception: the process exits');
    expect(fatal).toMatchObject({ level: 60, origin: 'uncaughtException', activeCalls: 0, err: { message: 'main thread crash requested (test hook)' } });
  });
});
