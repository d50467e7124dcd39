/**
 * End-to-end pstn mode: SIPp caller -> bridge (trunk in mode pstn, no bot) -> SIPp destination. Audio is relayed
 * both ways (checked by envelope and by frequency); the destination's failure status reaches the caller.
 */
import { afterEach, describe, expect, it } from 'vitest';
import alawmulaw from 'alawmulaw';
import { BridgeProcess } from './harness/bridge-process.js';
import { describeSipp, runSipp } from './harness/sipp.js';
import { startSippUas, type SippUas } from './harness/sipp-uas.js';
import { RtpListener } from './harness/rtp-listener.js';
import { AgentMedia } from './harness/agent-media.js';
import { reservePorts } from '../helpers/ports.js';
import { readPcapRtp } from './harness/pcap.js';
import { metric } from './harness/metrics.js';
import { bestLaggedCorrelation, goertzelAmplitude, rmsEnvelope, strongestWindow } from './harness/signal.js';

let bridge: BridgeProcess | undefined;
let dest: SippUas | undefined;
let agent: AgentMedia | undefined;
let callerRtp: RtpListener | undefined;

afterEach(async () => {
  dest?.kill();
  agent?.close();
  callerRtp?.close();
  await bridge?.stop();
  bridge = dest = agent = callerRtp = undefined;
});

async function startBridge(forwardPort: number): Promise<number> {
  const rtpBase = await reservePorts(6);
  bridge = new BridgeProcess(`sip:
  listen: [{ transport: udp, host: 127.0.0.1, port: 0 }]
media: { rtpPortMin: ${rtpBase}, rtpPortMax: ${rtpBase + 5}, latching: off }
inboundTrunks:
  - name: pstn-in
    allow: ["127.0.0.1"]
    mode: pstn
    forwardTo: { uri: "sip:agent@127.0.0.1:${forwardPort}" }
logging: { level: debug }
metrics: { enabled: true, host: 127.0.0.1, port: 0 }
`);
  await bridge.start();
  return bridge.sipPort();
}

const decode = (pt: number, p: Buffer) => Array.from(pt === 8 ? alawmulaw.alaw.decode(p) : alawmulaw.mulaw.decode(p));

describe('pstn mode: B2BUA without a bot', () => {
  it('forwards the call and relays audio both ways', async () => {
    agent = await AgentMedia.start(1000);
    dest = await startSippUas({ scenario: 'uas-answer-media-by-key.xml', keys: { agent_rtp_port: agent.port } });
    const sipPort = await startBridge(dest.port);
    callerRtp = await RtpListener.start();
    const run = await runSipp({
      scenario: 'uac-pcap-g711a-caller-hangup.xml',
      target: { host: '127.0.0.1', port: sipPort },
      service: '+15550100',
      keys: { rtp_port: callerRtp.port },
      args: ['-d', '8000'],
    });
    expect(run.code, describeSipp(run)).toBe(0);
    const destRun = await dest.done;
    expect(destRun.code, describeSipp(destRun)).toBe(0);
    // The destination saw the caller's number in From.
    expect(destRun.messages).toMatch(/From: <sip:\+15551230001@127\.0\.0\.1:\d+>;tag=/);
    // 180 from the destination was relayed to the caller before the 200.
    expect(run.messages).toMatch(/SIP\/2\.0 180 Ringing[\s\S]*SIP\/2\.0 200 OK/);

    const toCaller = callerRtp.packets.flatMap((p) => decode(p.payloadType, p.payload));
    const { level: best, win } = strongestWindow(toCaller, 8000, 1000, 4000, 800);
    expect(best).toBeGreaterThan(2000);
    expect(goertzelAmplitude(win, 8000, 1600)).toBeLessThan(best / 20);

    const reference = readPcapRtp('/usr/share/sip-tester/g711a.pcap').flatMap((p) => decode(p.payloadType, p.payload));
    const heard = agent.received.flatMap((p) => decode(8, p));
    const { r } = bestLaggedCorrelation(rmsEnvelope(reference, 160), rmsEnvelope(heard, 160), 100);
    expect(r).toBeGreaterThan(0.8);
    const ended = await bridge!.waitForLog((l) => l.msg === 'pstn call ended');
    // Both legs' figures, the caller's with every packet of the pcap; the counters add both legs.
    const [legA, legB] = ended.rtp as Array<{ packetsReceived: number; packetsSent: number }>;
    expect(legA.packetsReceived).toBe(236);
    expect(legB.packetsReceived).toBeGreaterThan(100);
    const total = async (name: string) => Number(/ (\d+)$/m.exec(await metric(bridge!.metricsPort, name))?.[1]);
    expect(await total('trunkbridge_rtp_packets_received_total')).toBe(legA.packetsReceived + legB.packetsReceived);
    expect(await total('trunkbridge_rtp_packets_sent_total')).toBe(legA.packetsSent + legB.packetsSent);
  }, 40_000);

  it('a busy destination: the caller gets its 486', async () => {
    dest = await startSippUas({ scenario: 'uas-expect-486.xml' });
    const sipPort = await startBridge(dest.port);
    const run = await runSipp({ scenario: 'uac-expect-486.xml', target: { host: '127.0.0.1', port: sipPort }, service: '+15550100', keys: { rtp_port: 4000 } });
    expect(run.code, describeSipp(run)).toBe(0);
    expect((await dest.done).code).toBe(0);
  }, 20_000);
});
