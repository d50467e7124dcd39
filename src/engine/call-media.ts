/**
 * A leg's media as call control sees it: control only. Frames, bot audio, marks and clears stay with the
 * {@link AudioRouter}; call control starts, steers (re-INVITE, DTMF) and ends the leg.
 */
import type { AudioLevels, CodecSwitch, MediaQuality, MediaSession, MediaSessionEvents, MediaSessionStats } from '../media/index.js';
import type { LegLevels } from './leg-levels.js';

/** The leg events call control listens to. */
interface ControlEvents {
  dtmf: MediaSessionEvents['dtmf'];
  'rtp-timeout': MediaSessionEvents['rtp-timeout'];
  rtcp: MediaSessionEvents['rtcp'];
  /** Never fires in process: a failure here is the whole process's. */
  failed: (reason: string) => void;
}

/** Names the marks that end prompts, unique in the thread (a bot's own mark names never start so). */
let promptSeq = 0;

export class InProcessCallMedia {
  private closed = false;
  /** Prompts playing: each resolves when its audio has played or the leg closes. */
  private readonly playing = new Set<() => void>();

  constructor(
    readonly id: string,
    private readonly session: MediaSession,
    private readonly onClose: () => void,
    /** Rate of the L16 audio the leg takes (the bot's). */
    readonly appSampleRate: number,
    private readonly meters?: LegLevels,
  ) {}

  /**
   * Plays `pcm` (L16 at {@link appSampleRate}) to the far end in place of whatever was queued; resolves once it
   * has all been played out, or the leg closed.
   */
  play(pcm: Buffer): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.session.clear();
    this.session.playAudio(pcm);
    const name = `trunkbridge-prompt-${++promptSeq}`;
    return new Promise<void>((resolve) => {
      const done = (): void => {
        this.session.off('mark', onMark);
        this.playing.delete(done);
        resolve();
      };
      const onMark = (reached: string): void => {
        if (reached === name) done();
      };
      this.session.on('mark', onMark);
      this.playing.add(done);
      this.session.mark(name);
    });
  }

  get stats(): Readonly<MediaSessionStats> {
    return this.session.stats;
  }

  get quality(): MediaQuality {
    return this.session.quality;
  }

  /** Audio levels now, dBFS: received (the far end speaking) and sent (what it hears). */
  get levels(): AudioLevels | undefined {
    return this.meters?.read();
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
    for (const done of [...this.playing]) done();
    this.onClose();
  }

  /** The figures are read where the media runs: they are final as soon as it closed. */
  finalFigures(): Promise<void> {
    return Promise.resolve();
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
