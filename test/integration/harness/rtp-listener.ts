import { createSocket, type Socket } from 'node:dgram';

export interface CapturedRtp {
  payloadType: number;
  marker: boolean;
  seq: number;
  timestamp: number;
  ssrc: number;
  payload: Buffer;
  from: { address: string; port: number };
  /** Arrival time (Date.now()). */
  at?: number;
}

/**
 * A UDP socket on 127.0.0.1 standing in for the caller's media port: the SDP offer names it, and it records
 * the RTP the bridge sends. Parsing is done here, independently of the bridge's own RTP code.
 */
export class RtpListener {
  readonly packets: CapturedRtp[] = [];
  private constructor(
    private readonly socket: Socket,
    readonly port: number,
  ) {}

  static async start(port = 0): Promise<RtpListener> {
    const socket = createSocket('udp4');
    await new Promise<void>((res) => socket.bind(port, '127.0.0.1', () => res()));
    const listener = new RtpListener(socket, socket.address().port);
    socket.on('message', (msg, rinfo) => {
      if (msg.length < 12 || msg[0] >> 6 !== 2) return;
      const cc = msg[0] & 0x0f;
      let off = 12 + cc * 4;
      if (msg[0] & 0x10) off += 4 + msg.readUInt16BE(off + 2) * 4;
      let end = msg.length;
      if (msg[0] & 0x20) end -= msg[msg.length - 1];
      listener.packets.push({
        payloadType: msg[1] & 0x7f,
        marker: (msg[1] & 0x80) !== 0,
        seq: msg.readUInt16BE(2),
        timestamp: msg.readUInt32BE(4),
        ssrc: msg.readUInt32BE(8),
        payload: Buffer.from(msg.subarray(off, end)),
        from: { address: rinfo.address, port: rinfo.port },
        at: Date.now(),
      });
    });
    return listener;
  }

  close(): void {
    this.socket.close();
  }
}

/**
 * One RTP stream as the bridge paces it: sequence numbers without a gap, and timestamps that advance by whole
 * packets — one packet each time, except where a stall on a loaded machine made the send clock skip the late span
 * to stay on the wall clock (the timestamp then jumps by the skipped packets, the sequence does not). Such jumps
 * are rare: at most 5 % of the steps.
 */
export function expectPacedStream(pkts: readonly CapturedRtp[], samplesOf: (p: CapturedRtp) => number, expect: (v: unknown, msg?: string) => { toBe(x: unknown): void; toBeLessThanOrEqual(x: number): void }): void {
  let jumps = 0;
  for (let i = 1; i < pkts.length; i++) {
    expect((pkts[i].seq - pkts[i - 1].seq) & 0xffff).toBe(1);
    const step = (pkts[i].timestamp - pkts[i - 1].timestamp) >>> 0;
    const per = samplesOf(pkts[i]);
    expect(step % per, `timestamp step ${step} at packet ${i} is not whole packets of ${per}`).toBe(0);
    if (step !== per) jumps++;
  }
  expect(jumps, `${jumps} timestamp jumps in ${pkts.length} packets`).toBeLessThanOrEqual(Math.ceil(pkts.length * 0.05));
}
