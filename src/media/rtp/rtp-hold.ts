import type { RemoteInfo } from 'node:dgram';
import type { RtpSocket } from './port-pool.js';

/**
 * Holds the RTP that reaches a leg's socket before its MediaSession listens, and replays it once it does.
 * A callee often speaks the instant it answers ("Hello?"): its first packets can arrive before the 200 is
 * handled, or while the other leg is still being answered, and a UDP socket without a listener drops them.
 * Bounded: the most recent `max` packets (1 s at 20 ms); at answer only the last `keepAtAnswer` packets of
 * what came before (early media, ringback) are kept, so stale audio is not replayed.
 */
export class RtpHold {
  private held: Array<[Buffer, RemoteInfo]> = [];
  private active = true;

  constructor(
    private readonly rtp: RtpSocket,
    private readonly max = 50,
    private readonly keepAtAnswer = 2,
  ) {
    rtp.socket.on('message', this.onMessage);
  }

  private readonly onMessage = (msg: Buffer, rinfo: RemoteInfo): void => {
    if (this.held.length >= this.max) this.held.shift();
    this.held.push([msg, rinfo]);
  };

  /** The leg answered: drop pre-answer packets but the last few (they may be the answer's first words). */
  answered(): void {
    if (this.held.length > this.keepAtAnswer) this.held = this.held.slice(-this.keepAtAnswer);
  }

  /** Number of packets held now. */
  get size(): number {
    return this.held.length;
  }

  /** Stops holding and hands the held packets, in order, to the socket's listeners (the started session). */
  replay(): void {
    if (!this.active) return;
    this.release();
    const held = this.held;
    this.held = [];
    for (const [msg, rinfo] of held) this.rtp.socket.emit('message', msg, rinfo);
  }

  /** Stops holding and forgets what was held (the leg failed). Idempotent. */
  release(): void {
    if (!this.active) return;
    this.active = false;
    this.rtp.socket.off('message', this.onMessage);
  }
}
