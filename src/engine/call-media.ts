/**
 * A leg's media as call control sees it: control only. Frames, bot audio, marks and clears stay with the
 * {@link AudioRouter}; call control starts, steers (re-INVITE, DTMF) and ends the leg.
 */
import type { CodecSwitch, MediaQuality, MediaSession, MediaSessionEvents, MediaSessionStats } from '../media/index.js';

/** The leg events call control listens to. */
interface ControlEvents {
  dtmf: MediaSessionEvents['dtmf'];
  'rtp-timeout': MediaSessionEvents['rtp-timeout'];
  rtcp: MediaSessionEvents['rtcp'];
  /** Never fires in process: a failure here is the whole process's. */
  failed: (reason: string) => void;
}

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

  /** Jitter-buffer delay and playout depth now, for the media metrics. */
  sample(): { jitterDelayMs?: number; playoutMs: number } {
    const jitter = this.session.jitterStats;
    return jitter ? { jitterDelayMs: jitter.delayMs, playoutMs: this.session.bufferedMs } : { playoutMs: this.session.bufferedMs };
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

  on<E extends keyof ControlEvents>(event: E, listener: ControlEvents[E]): this {
    if (event !== 'failed') this.session.on(event as Exclude<E, 'failed'>, listener as MediaSessionEvents[Exclude<E, 'failed'>]);
    return this;
  }

  off<E extends keyof ControlEvents>(event: E, listener: ControlEvents[E]): this {
    if (event !== 'failed') this.session.off(event as Exclude<E, 'failed'>, listener as MediaSessionEvents[Exclude<E, 'failed'>]);
    return this;
  }
}
