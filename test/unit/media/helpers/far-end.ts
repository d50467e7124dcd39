import dgram from 'node:dgram';
import type { AudioCodec } from '../../../../src/media/codecs/index.js';
import { parseRtpPacket, type ParsedRtpPacket } from '../../../../src/media/rtp/index.js';

export const LOOPBACK = '127.0.0.1';

/** A plain UDP socket on loopback standing in for the far end of a media session, recording the RTP it receives. */
export class FarEnd {
  readonly socket = dgram.createSocket('udp4');
  readonly packets: ParsedRtpPacket[] = [];
  private waiters: Array<{ n: number; resolve: () => void }> = [];

  async bind(): Promise<this> {
    await new Promise<void>((r) => this.socket.bind(0, LOOPBACK, r));
    this.socket.on('message', (msg) => {
      const p = parseRtpPacket(Buffer.from(msg));
      if (p) this.packets.push(p);
      this.waiters = this.waiters.filter((w) => (this.packets.length >= w.n ? (w.resolve(), false) : true));
    });
    return this;
  }

  get port(): number {
    return this.socket.address().port;
  }

  /** Resolves once `n` packets in total have arrived (bounded by the test timeout). */
  received(n: number): Promise<void> {
    if (this.packets.length >= n) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ n, resolve }));
  }

  send(buf: Buffer, port: number): Promise<void> {
    return new Promise((resolve, reject) => this.socket.send(buf, port, LOOPBACK, (err) => (err ? reject(err) : resolve())));
  }
}

/** The concatenated PCM of `packets` decoded with `codec`. */
export function decodeAll(codec: AudioCodec, packets: ParsedRtpPacket[]): Int16Array {
  const dec = codec.createDecoder();
  const parts = packets.map((p) => dec.decode(p.payload));
  const out = new Int16Array(parts.reduce((s, a) => s + a.length, 0));
  let o = 0;
  for (const a of parts) {
    out.set(a, o);
    o += a.length;
  }
  return out;
}
