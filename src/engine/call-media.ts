/**
 * A leg's media as call control sees it: control only. Frames, bot audio, marks and clears stay with the
 * {@link AudioRouter}; call control starts, steers (re-INVITE, DTMF) and ends the leg.
 */
import type { CodecSwitch, MediaQuality, MediaSession, MediaSessionEvents, MediaSessionStats } from '../media/index.js';

/** The leg events call control listens to. */
type ControlEvent = 'dtmf' | 'rtp-timeout' | 'rtcp';

export class InProcessCallMedia {
  private closed = false;

  constructor(
    readonly id: string,
    private readonly session: MediaSession,
    private readonly onClose: () => void,
  ) {}

  get stats(): Readonly<MediaSessionStats> {
    return this.session.stats;
  }

  get quality(): MediaQuality {
    return this.session.quality;
  }

  get canSendDtmf(): boolean {
    return this.session.canSendDtmf;
  }

  start(): void {
    this.session.start();
  }

  sendDtmf(digits: string, durationMs: number): void {
    this.session.sendDtmf(digits, durationMs);
  }

  updateRemote(remote: { address: string; port: number }): void {
    this.session.updateRemote(remote);
  }

  setDirection(direction: 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive'): void {
    this.session.setDirection(direction);
  }

  switchCodec(change: CodecSwitch): void {
    this.session.switchCodec(change);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.session.close();
    this.onClose();
  }

  on<E extends ControlEvent>(event: E, listener: MediaSessionEvents[E]): this {
    this.session.on(event, listener);
    return this;
  }

  off<E extends ControlEvent>(event: E, listener: MediaSessionEvents[E]): this {
    this.session.off(event, listener);
    return this;
  }
}
