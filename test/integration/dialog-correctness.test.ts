/**
 * Dialog and transaction correctness end to end, SIPp as the carrier against the real bridge:
 * CANCEL before answer (the bot connection attempt is released at once), re-INVITE hold and resume with a new
 * RTP port (no RTP while on hold), delayed offer (INVITE without SDP), RFC 4028 session timers (422, refresh
 * by UPDATE), and calls completed with SIPp dropping 10 % of the signalling (-lost 10).
 */
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BridgeProcess } from './harness/bridge-process.js';
import { describeSipp, runSipp, type SippOptions } from './harness/sipp.js';
import { RtpListener } from './harness/rtp-listener.js';
import { reservePorts } from '../helpers/ports.js';
import { waitFor } from '../helpers/wait-for.js';
import { testConfig } from './harness/config.js';

let bridge: BridgeProcess;
let sipPort: number;
let blackHole: Server;
let blackHolePort: number;
const held: Array<{ socket: Socket; openedAt: number; closedAt?: number }> = [];

function sipp(scenario: string, service: string, rtpPort: number, extra: Partial<SippOptions> = {}) {
  return runSipp({ scenario, target: { host: '127.0.0.1', port: sipPort }, service, timeoutMs: 20_000, ...extra, keys: { rtp_port: rtpPort, ...(extra.keys ?? {}) } });
}

beforeAll(async () => {
  const rtpBase = await reservePorts(16);
  // A "bot" that accepts TCP and never answers the WebSocket upgrade: connecting to it hangs.
  blackHole = createServer((socket) => {
    const entry: { socket: Socket; openedAt: number; closedAt?: number } = { socket, openedAt: Date.now() };
    held.push(entry);
    socket.on('close', () => (entry.closedAt = Date.now()));
    socket.on('error', () => undefined);
    socket.resume(); // read (and ignore) the upgrade request so the peer's FIN is seen
  });
  await new Promise<void>((r) => blackHole.listen(0, '127.0.0.1', () => r()));
  blackHolePort = (blackHole.address() as { port: number }).port;
  bridge = new BridgeProcess(
    testConfig({
      rtpPortMin: rtpBase,
      rtpPortMax: rtpBase + 15,
      bots: { echo: '{ builtin: echo }', slow: `{ url: "ws://127.0.0.1:${blackHolePort}/", connectTimeoutMs: 10000 }` },
      numbers: { '+15550100': 'echo', '+15550111': 'slow' },
      extraMedia: '  latching: off',
    }),
  );
  await bridge.start();
  sipPort = bridge.sipPort();
});

afterAll(async () => {
  await bridge?.stop();
  for (const h of held) h.socket.destroy();
  await new Promise<void>((r) => blackHole.close(() => r()));
});

describe('dialog correctness with SIPp', () => {
  it('CANCEL before answer: 200 to CANCEL, 487 to INVITE, and the bot connection attempt is dropped at once', async () => {
    const listener = await RtpListener.start();
    try {
      const run = await sipp('uac-cancel-before-answer.xml', '+15550111', listener.port);
      expect(run.code, describeSipp(run)).toBe(0);
      await bridge.waitForLog((l) => l.msg === 'call cancelled by caller before answer', 5000);
      await waitFor(() => held.length > 0 && held[0].closedAt, { timeoutMs: 2000, onTimeout: 'resolve' });
      expect(held).toHaveLength(1);
      // Closed within a second of opening, far below the 10 s connect timeout.
      expect(held[0].closedAt! - held[0].openedAt).toBeLessThan(1500);
      expect(listener.packets).toHaveLength(0);
    } finally {
      listener.close();
    }
  });

  it('re-INVITE hold (sendonly) stops our RTP; resume (sendrecv) on a new port sends there', async () => {
    const first = await RtpListener.start();
    const second = await RtpListener.start();
    try {
      const run = await sipp('uac-reinvite-hold-resume.xml', '+15550100', first.port, { keys: { rtp_port2: second.port } });
      expect(run.code, describeSipp(run)).toBe(0);
      expect(first.packets.length).toBeGreaterThan(20); // ~1 s at 20 ms before the hold
      expect(second.packets.length).toBeGreaterThan(20); // ~1 s after the resume
      const lastBeforeHold = Math.max(...first.packets.map((p) => p.at!));
      const firstAfterResume = Math.min(...second.packets.map((p) => p.at!));
      // The hold lasted 1.5 s in the scenario: nothing was sent anywhere in between.
      expect(firstAfterResume - lastBeforeHold).toBeGreaterThan(1200);
      // One RTP stream throughout: same SSRC, sequence continues across the hold.
      expect(second.packets[0].ssrc).toBe(first.packets[0].ssrc);
      expect(run.messages).toMatch(/SIP\/2\.0 200 OK[\s\S]*a=recvonly/);
    } finally {
      first.close();
      second.close();
    }
  });

  it('delayed offer: the 200 OK carries our offer, the ACK the answer, and RTP flows to the answered port', async () => {
    const listener = await RtpListener.start();
    try {
      const run = await sipp('uac-delayed-offer-call.xml', '+15550100', listener.port);
      expect(run.code, describeSipp(run)).toBe(0);
      expect(run.messages).toMatch(/SIP\/2\.0 200 OK[\s\S]*Content-Type: application\/sdp[\s\S]*m=audio \d+ RTP\/AVP 0/);
      expect(listener.packets.length).toBeGreaterThan(20);
      expect(listener.packets[0].payloadType).toBe(0);
    } finally {
      listener.close();
    }
  });

  it('session timer: 422 below Min-SE; Session-Expires confirmed in the 200 and in the 200 to a refreshing UPDATE', async () => {
    const listener = await RtpListener.start();
    try {
      const small = await sipp('uac-session-expires-too-small-expect-422.xml', '+15550100', listener.port);
      expect(small.code, describeSipp(small)).toBe(0);
      const run = await sipp('uac-session-timer-refresh.xml', '+15550100', listener.port);
      expect(run.code, describeSipp(run)).toBe(0);
      expect(run.messages).toMatch(/SIP\/2\.0 200 OK[\s\S]*Require: timer/);
    } finally {
      listener.close();
    }
  });

  it('completes calls while SIPp loses 10 % of the signalling (-lost 10)', async () => {
    const listener = await RtpListener.start();
    try {
      const run = await sipp('uac-call-caller-hangup.xml', '+15550100', listener.port, { calls: 5, args: ['-lost', '10', '-l', '5'] });
      expect(run.code, describeSipp(run)).toBe(0);
      await bridge.waitForLog((l) => l.msg === 'call ended', 5000);
    } finally {
      listener.close();
    }
  });
});
