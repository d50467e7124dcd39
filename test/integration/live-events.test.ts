/**
 * GET /v1/events against the real bridge process, media on a worker thread (`media.workers: 1`: the levels cross
 * the thread with the leg's stats), SIPp as a carrier that speaks (g711a.pcap) to the echo bot:
 *  - the stream opens with a snapshot, then the call's `call.started`, its `call.updated` about once a second
 *    with codec, media figures and both levels moving (read twice, different), and `call.ended` once it is hung
 *    up through the API (SIPp sees the BYE);
 *  - GET /v1/calls/{id} shows the same levels;
 *  - a client that disconnects leaves the bridge with no stream client (its log says so);
 *  - a PBX registration (SIPp as the registrar) shows in the snapshot and as `registration` events.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BridgeProcess } from './harness/bridge-process.js';
import { describeSipp, runSipp } from './harness/sipp.js';
import { RtpListener } from './harness/rtp-listener.js';
import { testConfig } from './harness/config.js';
import { reservePorts } from '../helpers/ports.js';
import { waitFor } from '../helpers/wait-for.js';
import { followEvents } from './harness/event-stream.js';
import { startSippUas } from './harness/sipp-uas.js';

const NUMBER = '+15550188';
let bridge: BridgeProcess;
let listener: RtpListener;
const base = (): string => `http://127.0.0.1:${bridge.metricsPort}`;

beforeAll(async () => {
  const rtpBase = await reservePorts(10);
  listener = await RtpListener.start();
  bridge = new BridgeProcess(`${testConfig({ rtpPortMin: rtpBase, rtpPortMax: rtpBase + 9, bots: { echo: '{ builtin: echo }' }, numbers: { [NUMBER]: 'echo' }, extraMedia: '  workers: 1' })}api: { enabled: true }\n`);
  await bridge.start();
}, 30_000);

afterAll(async () => {
  await bridge?.stop();
  listener?.close();
});

/** An open event stream: every event so far, parsed. */
async function follow(url = `${base()}/v1/events`): Promise<{ events: Array<{ event: string; data: any }>; stop: () => void }> {
  const stream = await followEvents(url);
  expect(stream.status).toBe(200);
  expect(stream.contentType).toBe('text/event-stream; charset=utf-8');
  return stream;
}

describe('GET /v1/events', () => {
  it('streams a speaking call: started, updates with moving levels each way, ended once hung up through the API', async () => {
    const stream = await follow();
    await waitFor(() => stream.events.find((e) => e.event === 'snapshot'), { what: 'the snapshot' });
    expect(stream.events[0]).toEqual({ event: 'snapshot', data: { calls: [], registrations: [] } });

    const sipp = runSipp({ scenario: 'uac-pcap-g711a-expect-bye.xml', target: { host: '127.0.0.1', port: bridge.sipPort() }, service: NUMBER, timeoutMs: 30_000, keys: { rtp_port: listener.port } });
    const started = await waitFor(() => stream.events.find((e) => e.event === 'call.started'), { timeoutMs: 15_000, what: 'call.started' });
    const callId: string = started.data.callId;
    expect(started.data).toMatchObject({ state: 'answered', direction: 'inbound', trunk: 'carrier-a', bot: 'echo', to: NUMBER, codec: 'PCMA' });

    // Updates about once a second; the caller's speech (and the echo of it) makes both levels move.
    const updates = () => stream.events.filter((e) => e.event === 'call.updated' && e.data.callId === callId).map((e) => e.data);
    const speaking = await waitFor(() => updates().find((u) => u.levels?.callerToBot > -60 && u.levels?.botToCaller > -60), { timeoutMs: 10_000, what: 'both levels above -60 dBFS', detail: () => JSON.stringify(updates().map((u) => u.levels)) });
    const moved = await waitFor(() => updates().find((u) => u !== speaking && u.levels?.callerToBot > -60 && u.levels.callerToBot !== speaking.levels.callerToBot), { timeoutMs: 10_000, what: 'the caller level moving', detail: () => JSON.stringify(updates().map((u) => u.levels)) });
    expect(moved.levels.callerToBot).not.toBe(speaking.levels.callerToBot);
    expect(speaking.levels.callerToBot).toBeLessThanOrEqual(0);
    expect(speaking.media.packetsReceived).toBeGreaterThan(0);
    expect(speaking.codec).toBe('PCMA');

    const one = await (await fetch(`${base()}/v1/calls/${callId}`)).json();
    expect(one.levels).toEqual({ callerToBot: expect.any(Number), botToCaller: expect.any(Number) });

    const hangup = await fetch(`${base()}/v1/calls/${callId}/hangup`, { method: 'POST', body: '{}' });
    expect(hangup.status).toBe(200);
    const ended = await waitFor(() => stream.events.find((e) => e.event === 'call.ended'), { timeoutMs: 10_000, what: 'call.ended' });
    expect(ended.data).toMatchObject({ callId, reason: 'api-hangup', durationSec: expect.any(Number) });
    const run = await sipp;
    expect(run.code, describeSipp(run)).toBe(0);
    expect(run.messages).toMatch(/BYE sip:/);

    stream.stop();
    await bridge.waitForLog((l) => l.msg === 'event stream client left' && l.clients === 0);
  });
});

describe('GET /v1/events: registrations', () => {
  it('a PBX registration is in the snapshot and its state changes (and refreshes) come as registration events', async () => {
    const registrar = await startSippUas({ scenario: 'uas-registrar-401-refresh-unregister.xml', timeoutMs: 20_000 });
    const rtpBase = await reservePorts(4);
    const pbxBridge = new BridgeProcess(`sip:
  listen: [{ transport: udp, host: 127.0.0.1, port: 0 }]
media: { rtpPortMin: ${rtpBase}, rtpPortMax: ${rtpBase + 3} }
bots:
  echo: { builtin: echo }
registrations:
  - { name: pbx-main, server: 127.0.0.1, port: ${registrar.port}, username: alice, password: s3cret-pw, extension: "1001", expires: 60, bot: echo }
logging: { level: debug }
metrics: { enabled: true, host: 127.0.0.1, port: 0 }
api: { enabled: true }
`);
    try {
      await pbxBridge.start();
      const stream = await follow(`http://127.0.0.1:${pbxBridge.metricsPort}/v1/events`);
      const snapshot = await waitFor(() => stream.events.find((e) => e.event === 'snapshot'), { what: 'the snapshot' });
      expect(snapshot.data.registrations).toEqual([{ name: 'pbx-main', state: expect.stringMatching(/^(registering|registered)$/) }]);
      // The registrar grants 4 s first, so the bridge refreshes within a few seconds: at least one event comes.
      const registered = await waitFor(() => stream.events.find((e) => e.event === 'registration'), { timeoutMs: 10_000, what: 'a registration event' });
      expect(registered.data).toEqual({ name: 'pbx-main', state: 'registered' });
      stream.stop();
    } finally {
      await pbxBridge.stop();
      registrar.kill();
    }
  }, 30_000);
});
