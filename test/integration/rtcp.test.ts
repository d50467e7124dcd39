/**
 * End-to-end RTCP (RFC 3550) with real peers, everything on 127.0.0.1:
 *  - SIPp plays a G.711 pcap as the caller while UDP listeners stand on its RTP port and the RTCP port above it:
 *    what the bridge sends there must be valid RTCP (checked by our parser and by werift-rtp's, independently),
 *    SR figures must match the RTP actually captured, and the call ends with a BYE.
 *  - baresip (which sends RTCP) calls for a few seconds: the bot's `stop` carries zero loss and a plausible
 *    loopback RTT computed from baresip's receiver reports on our SR, and the metrics count it.
 */
import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { RtcpPacketConverter } from 'werift-rtp';
import { BridgeProcess } from './harness/bridge-process.js';
import { runSipp, describeSipp } from './harness/sipp.js';
import { TestBotServer } from './harness/test-bot.js';
import { RtpListener } from './harness/rtp-listener.js';
import { reservePorts } from '../helpers/ports.js';
import { waitFor } from '../helpers/wait-for.js';
import { testConfig } from './harness/config.js';
import { readPcapRtp } from './harness/pcap.js';
import { baresipCall } from './harness/baresip.js';
import { sineL16, l16 } from './harness/signal.js';
import { parseRtcpCompound, type RtcpPacket } from '../../src/media/rtcp/index.js';

const PCAP = '/usr/share/sip-tester/g711a.pcap';
type Sr = Extract<RtcpPacket, { type: 'sr' }>;

/** Collects every datagram on a loopback port. */
async function udpCollector(port: number): Promise<{ socket: Socket; datagrams: Buffer[] }> {
  const socket = createSocket('udp4');
  await new Promise<void>((res) => socket.bind(port, '127.0.0.1', () => res()));
  const datagrams: Buffer[] = [];
  socket.on('message', (m) => datagrams.push(Buffer.from(m)));
  return { socket, datagrams };
}

describe('RTCP end to end', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function startBridge(botUrl: string): Promise<{ bridge: BridgeProcess; sipPort: number; metricsPort: number }> {
    const rtpBase = await reservePorts(8);
    const bridge = new BridgeProcess(
      testConfig({
        rtpPortMin: rtpBase,
        rtpPortMax: rtpBase + 7,
        bots: { tester: `{ url: "${botUrl}", sampleRate: 8000, connectTimeoutMs: 2000 }` },
        numbers: { '+15550100': 'tester' },
      }),
    );
    await bridge.start();
    cleanups.push(async () => {
      await bridge.stop();
    });
    return { bridge, sipPort: bridge.sipPort(), metricsPort: bridge.metricsPort };
  }

  it('SIPp caller: the bridge sends valid SR + SDES to RTP port + 1 that match its RTP, and ends with BYE', async () => {
    const bots = await TestBotServer.start(() => {});
    cleanups.push(() => bots.close());
    const { sipPort } = await startBridge(bots.url);
    const callerRtp = await reservePorts(2); // RTP here, RTCP on the odd port above
    const rtp = await RtpListener.start(callerRtp);
    cleanups.push(() => rtp.close());
    const rtcp = await udpCollector(callerRtp + 1);
    cleanups.push(() => {
      rtcp.socket.close();
    });

    const run = await runSipp({
      scenario: 'uac-pcap-g711a-caller-hangup.xml',
      target: { host: '127.0.0.1', port: sipPort },
      service: '+15550100',
      keys: { rtp_port: callerRtp },
      args: ['-d', '4500'], // past the first report (1.25..3.75 s in)
    });
    expect(run.code, describeSipp(run)).toBe(0);
    const bot = await bots.nextConnection();
    await bot.until(() => bot.closeCode !== undefined, 5000, 'socket close');
    // The BYE report leaves as the call closes: wait for it (the assertions below say what is missing).
    const endsWithBye = (d: Buffer | undefined): boolean => (d ? parseRtcpCompound(d)?.at(-1)?.type === 'bye' : false);
    await waitFor(() => endsWithBye(rtcp.datagrams.at(-1)), { timeoutMs: 2000, onTimeout: 'resolve' });

    expect(rtcp.datagrams.length).toBeGreaterThanOrEqual(2);
    const compounds = rtcp.datagrams.map((d) => parseRtcpCompound(d));
    for (const [i, c] of compounds.entries()) {
      expect(c, `datagram ${i} is valid RTCP`).not.toBeNull();
      // An independent parser agrees on the packet types (it has no BYE class and skips those).
      const theirs = RtcpPacketConverter.deSerialize(rtcp.datagrams[i]).map((p) => p.type);
      expect(theirs).toEqual(c!.filter((p) => p.type !== 'bye').map((p) => ({ sr: 200, rr: 201, sdes: 202, bye: 203, other: -1 })[p.type]));
      expect(c![0].type).toBe('sr'); // we send RTP all along
      expect(c![1]).toMatchObject({ type: 'sdes', chunks: [{ cname: expect.stringMatching(/@trunkbridge$/) }] });
    }
    const last = compounds.at(-1)!;
    expect(last.at(-1)).toMatchObject({ type: 'bye' });

    // SR figures agree with the RTP the caller actually got
    const audio = rtp.packets.filter((p) => p.payloadType === 0 || p.payloadType === 8); // the negotiated G.711
    const ssrc = audio[0].ssrc;
    const srs = compounds.map((c) => c![0] as Sr);
    for (const sr of srs) expect(sr.ssrc).toBe(ssrc);
    const final = srs.at(-1)!;
    expect(final.sender.packetCount).toBe(audio.length);
    expect(final.sender.octetCount).toBe(audio.reduce((n, p) => n + p.payload.length, 0));
    // NTP ↔ RTP mapping: between two SRs the RTP clock (8 kHz) advances with the wall clock
    const [a, b] = [srs[0], final];
    const ntpMs = (s: Sr) => s.sender.ntpSec * 1000 + (s.sender.ntpFrac / 2 ** 32) * 1000;
    const rtpMs = ((b.sender.rtpTimestamp - a.sender.rtpTimestamp) >>> 0) / 8;
    expect(Math.abs(rtpMs - (ntpMs(b) - ntpMs(a)))).toBeLessThan(60);

    // the report block describes SIPp's stream (the pcap's SSRC), nothing lost on loopback
    const pcapSsrc = readPcapRtp(PCAP)[0].ssrc;
    expect(final.reports).toHaveLength(1);
    expect(final.reports[0]).toMatchObject({ ssrc: pcapSsrc, cumulativeLost: 0 });
    const stop = bot.event('stop') as { quality: { packetsReceived: number; packetsLost: number } };
    expect(stop.quality.packetsLost).toBe(0);
    expect(stop.quality.packetsReceived).toBeGreaterThan(100);
  }, 30_000);

  it('baresip caller: stop carries zero loss and an RTT from its receiver reports; metrics record it', async () => {
    const bots = await TestBotServer.start(() => {});
    cleanups.push(() => bots.close());
    const { bridge, sipPort, metricsPort } = await startBridge(bots.url);
    const call = await baresipCall({
      target: { host: '127.0.0.1', port: sipPort },
      user: '+15550100',
      codec: 'PCMU/8000/1',
      source: { pcm: new Int16Array(l16(sineL16(1000, 8000, 9000, 8000)).buffer), sampleRate: 8000 },
      seconds: 8,
    });
    expect(call.output).toMatch(/Call established/);
    const bot = await bots.nextConnection();
    await bot.until(() => bot.closeCode !== undefined, 5000, 'socket close');
    const stop = bot.event('stop') as { reason: string; quality: { packetsReceived: number; packetsLost: number; jitterMs: number; rttMs?: number } };
    expect(stop.reason).toBe('caller-hangup');
    expect(stop.quality.packetsLost).toBe(0);
    expect(stop.quality.packetsReceived).toBeGreaterThan(300);
    expect(stop.quality.jitterMs).toBeLessThan(10);
    expect(stop.quality.rttMs, JSON.stringify(stop.quality)).toBeDefined();
    expect(stop.quality.rttMs!).toBeGreaterThanOrEqual(0);
    expect(stop.quality.rttMs!).toBeLessThan(20); // loopback
    const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    expect(text).toMatch(/^trunkbridge_rtp_rtt_ms_count 1$/m);
    expect(text).toMatch(/^trunkbridge_rtp_jitter_ms_count 1$/m);
    expect(bridge.logs.some((l) => l.msg === 'RTCP round-trip time')).toBe(true);
  }, 30_000);
});
