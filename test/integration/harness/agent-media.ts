import { createSocket, type Socket } from 'node:dgram';
import alawmulaw from 'alawmulaw';

/** The agent's phone media: records what the bridge sends and, once it hears the bridge, talks back a tone. */
export class AgentMedia {
  readonly received: Buffer[] = [];
  private timer: NodeJS.Timeout | undefined;
  private constructor(
    private readonly socket: Socket,
    readonly port: number,
  ) {}

  static async start(toneHz: number): Promise<AgentMedia> {
    const socket = createSocket('udp4');
    await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
    const agent = new AgentMedia(socket, socket.address().port);
    socket.on('message', (msg, rinfo) => {
      if (msg.length < 12 || msg[0] >> 6 !== 2 || (msg[1] & 0x7f) !== 8) return;
      agent.received.push(Buffer.from(msg.subarray(12)));
      if (!agent.timer) agent.talk(toneHz, rinfo.port);
    });
    return agent;
  }

  /** 20 ms PCMA packets of a sine to the bridge's leg port (where its RTP comes from), for 3 s. */
  private talk(hz: number, port: number): void {
    let n = 0;
    const ssrc = 0x1234abcd;
    this.timer = setInterval(() => {
      if (n >= 150) return clearInterval(this.timer);
      const pcm = new Int16Array(160);
      for (let i = 0; i < 160; i++) pcm[i] = Math.round(8000 * Math.sin((2 * Math.PI * hz * (n * 160 + i)) / 8000));
      const head = Buffer.alloc(12);
      head[0] = 0x80;
      head[1] = 8;
      head.writeUInt16BE(n & 0xffff, 2);
      head.writeUInt32BE(n * 160, 4);
      head.writeUInt32BE(ssrc, 8);
      this.socket.send(Buffer.concat([head, Buffer.from(alawmulaw.alaw.encode(pcm))]), port, '127.0.0.1');
      n++;
    }, 20);
  }

  close(): void {
    clearInterval(this.timer);
    this.socket.close();
  }
}

