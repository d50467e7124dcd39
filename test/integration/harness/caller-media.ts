/** A caller's RTP endpoint written in the test: a paced PCMU tone out, whatever comes back recorded. */
import { createSocket, type Socket } from 'node:dgram';
import alawmulaw from 'alawmulaw';

/** The caller's media endpoint: sends a paced PCMU tone to `to`, records the RTP payloads it gets back. */
export class CallerMedia {
  readonly received: Array<{ pt: number; payload: Buffer }> = [];
  private timer: ReturnType<typeof setInterval> | undefined;
  private seq = 0;
  private ts = 0;
  private phase = 0;

  private constructor(
    private readonly socket: Socket,
    private readonly hz: number,
  ) {
    socket.on('message', (msg) => {
      if (msg.length > 12 && msg[0] >> 6 === 2) this.received.push({ pt: msg[1] & 0x7f, payload: Buffer.from(msg.subarray(12 + (msg[0] & 0x0f) * 4)) });
    });
  }

  /** Binds 127.0.0.1:0; `hz` is the tone it sends. */
  static async start(hz: number): Promise<CallerMedia> {
    const s = createSocket('udp4');
    await new Promise<void>((res) => s.bind(0, '127.0.0.1', () => res()));
    return new CallerMedia(s, hz);
  }

  get port(): number {
    return this.socket.address().port;
  }

  /** 20 ms PCMU packets of the tone every 20 ms (the media clock of a caller; the test waits on conditions). */
  sendTo(port: number): void {
    this.timer = setInterval(() => {
      const pcm = new Int16Array(160);
      for (let i = 0; i < 160; i++, this.phase++) pcm[i] = Math.round(8000 * Math.sin((2 * Math.PI * this.hz * this.phase) / 8000));
      const header = Buffer.alloc(12);
      header[0] = 0x80;
      header[1] = 0;
      header.writeUInt16BE(this.seq++ & 0xffff, 2);
      header.writeUInt32BE(this.ts >>> 0, 4);
      header.writeUInt32BE(0x4c055e5, 8);
      this.ts += 160;
      this.socket.send(Buffer.concat([header, Buffer.from(alawmulaw.mulaw.encode(pcm))]), port, '127.0.0.1');
    }, 20);
  }

  /** Stops sending (the caller's media goes silent); the socket stays open. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  close(): void {
    this.stop();
    this.socket.close();
  }
}

