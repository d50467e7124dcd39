/**
 * The media engine that runs each leg's media in this process: an RTP port (pair) from the pool, then a
 * {@link MediaSession} on it. Call control sees it only through its MediaEngine port (calls/media-engine.ts),
 * so an engine that runs media elsewhere (worker threads) can take its place.
 */
import type { Clock } from '../core/clock.js';
import { MediaSession } from './media-session.js';
import type { MediaSessionOptions } from './media-session-types.js';
import type { RtpPortPool, RtpSocket } from './rtp/port-pool.js';
import { RtpHold } from './rtp/rtp-hold.js';

/** What a leg's media is built from: the session options less what the engine owns (clock, socket, hold). */
export type LegMediaOptions = Omit<MediaSessionOptions, 'clock' | 'socket' | 'held'>;

export interface InProcessMediaEngineOptions {
  ports: RtpPortPool;
  clock: Clock;
}

export class InProcessMediaEngine {
  constructor(private readonly options: InProcessMediaEngineOptions) {}

  /**
   * Binds an RTP port for a new leg. `holdEarlyPackets`: keep what arrives before the leg's media starts (a
   * callee's first words can beat our handling of its 200) and replay it into the media when it starts.
   */
  async allocate(options: { holdEarlyPackets?: boolean } = {}): Promise<InProcessMediaLeg> {
    const rtp = await this.options.ports.allocate();
    return new InProcessMediaLeg(rtp, this.options.clock, options.holdEarlyPackets === true);
  }
}

/** One bound RTP port on its way to becoming a call's media. */
export class InProcessMediaLeg {
  private readonly hold: RtpHold | undefined;
  private state: 'allocated' | 'open' | 'released' = 'allocated';

  constructor(
    private readonly rtp: RtpSocket,
    private readonly clock: Clock,
    holdEarlyPackets: boolean,
  ) {
    this.hold = holdEarlyPackets ? new RtpHold(rtp) : undefined;
  }

  /** The local RTP port (RTCP on the odd one above, unless muxed). */
  get port(): number {
    return this.rtp.port;
  }

  /** The far end answered: held pre-answer packets (ringback) are dropped but the last few. */
  answered(): void {
    this.hold?.answered();
  }

  /**
   * Builds the leg's media session on its port; it owns the port from here on (its close() frees it). Held
   * packets are replayed into it when it starts. Once per leg.
   */
  open(options: LegMediaOptions): MediaSession {
    if (this.state !== 'allocated') throw new Error(`media leg on port ${this.port} is already ${this.state}`);
    const session = new MediaSession({ ...options, clock: this.clock, socket: this.rtp, ...(this.hold ? { held: this.hold } : {}) });
    this.state = 'open';
    return session;
  }

  /** Gives the port back when {@link open} never took it (the leg failed). Safe to call at any time, twice. */
  release(): void {
    if (this.state !== 'allocated') return;
    this.state = 'released';
    this.hold?.release();
    this.rtp.close();
  }
}
