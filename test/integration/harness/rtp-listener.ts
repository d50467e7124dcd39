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
