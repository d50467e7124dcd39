/**
 * The media port of call control: how a call gets RTP ports and audio without knowing where media runs. Call
 * control (this folder) sees only these shapes; `media/in-process-engine.ts` implements them today, and an
 * engine that runs media in worker threads can implement them without touching calls/.
 */
import type { LegMediaOptions, MediaQuality, MediaSessionEvents, MediaSessionStats, PlayoutClearResult, CodecSwitch } from '../media/index.js';
import type { MediaDirection } from '../sdp/index.js';

export type { LegMediaOptions } from '../media/index.js';

/** One call's (or leg's) media as call control drives it: audio both ways, marks, DTMF, re-INVITE changes. */
export interface CallMedia {
  /** Traffic counters so far. */
  readonly stats: Readonly<MediaSessionStats>;
  /** Loss, jitter, RTT (RTCP); absent where the engine has none. */
  readonly quality?: MediaQuality;
  /** Begins receiving and the paced send loop (and replays held early packets). */
  start(): void;
  /** Queues bot (or other leg's) audio: L16 LE mono at the leg's app rate. */
  playAudio(pcm: Buffer): void;
  /** 'mark' fires when playback reaches this point. */
  mark(name: string): void;
  /** Drops queued audio and pending marks (barge-in). */
  clear(): PlayoutClearResult;
  /** Plays keys as RFC 4733 events; throws RangeError when telephone-event was not negotiated. */
  sendDtmf(digits: string, durationMs: number): void;
  updateRemote(remote: { address: string; port: number }): void;
  setDirection(direction: MediaDirection): void;
  switchCodec(change: CodecSwitch): void;
  /** Stops everything and frees the port. Safe twice. */
  close(): void;
  on<E extends keyof MediaSessionEvents>(event: E, listener: MediaSessionEvents[E]): unknown;
  off<E extends keyof MediaSessionEvents>(event: E, listener: MediaSessionEvents[E]): unknown;
}

/** A bound RTP port on its way to becoming a call's media. */
export interface MediaLeg {
  /** Local RTP port, for our SDP. */
  readonly port: number;
  /** The far end answered: held pre-answer packets (ringback) are dropped but the last few. */
  answered(): void;
  /** Builds the leg's media; it owns the port from then on. Once per leg. */
  open(options: LegMediaOptions): CallMedia;
  /** Gives the port back when open() never took it. Safe at any time, twice. */
  release(): void;
}

/** Where call control gets media legs. */
export interface MediaEngine {
  /**
   * Binds an RTP port for a new leg. `holdEarlyPackets`: packets arriving before the media starts are kept and
   * replayed into it (a callee speaks the instant it answers). Rejects with PortPoolExhaustedError when full.
   */
  allocate(options?: { holdEarlyPackets?: boolean }): Promise<MediaLeg>;
}
