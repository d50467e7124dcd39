/**
 * Dialling one leg: the whole lifetime of a call we place (a bot's outbound call, a pstn-mode forward, a bridged
 * transfer's destination), from RTP port to answered media, with one cleanup path. Whoever receives the
 * {@link AnsweredLeg} owns its dialog and media; before that, every failure releases what the leg holds.
 */
import type { Logger } from '../core/logger.js';
import { CallRejectedError, PortPoolExhaustedError, sipStatusOf } from '../core/errors.js';
import { createOffer, parseAnswer, type AnsweredMedia } from '../sdp/index.js';
import type { CallMedia, CallMediaGroup, LegMediaOptions, MediaLeg } from './media-engine.js';
import type { DialogSignal, OutgoingCallRequest, OutgoingCallSignal } from './signaling.js';

/** What dialling needs from the bridge. */
export interface DialLegDeps {
  /** The call's media: the leg's port is allocated there (and its audio routed there). */
  media: CallMediaGroup;
  placeCall(request: OutgoingCallRequest): OutgoingCallSignal;
  /** Address written into our SDP offer. */
  mediaAddress: string;
  /** Codecs offered, in preference order. */
  codecPreference: string[];
}

/** What this leg is. */
export interface DialLegOptions {
  /** Builds the INVITE around our SDP offer; a CallRejectedError here (bad number, bad header) fails the dial. */
  request(sdp: string): OutgoingCallRequest;
  /** The leg's media settings for the far end's answer. */
  media(answer: AnsweredMedia): LegMediaOptions;
  log: Logger;
}

/** An answered leg: the caller owns its dialog and media from here on. */
export interface AnsweredLeg {
  dialog: DialogSignal;
  media: CallMedia;
  answer: AnsweredMedia;
  /** The media was opened on a 183 before the answer (see {@link LegDial.openEarly}). */
  early: boolean;
  /** Ends the leg: media closed, BYE sent unless the far end already left. */
  hangUp(): void;
}

/** A leg being placed. */
export interface LegDial {
  /** SIP Call-ID of the leg. */
  readonly sipCallId: string;
  readonly request: OutgoingCallRequest;
  /** Resolves once answered with media; rejects with a CallRejectedError (the far end's status, 'bad-answer'...). */
  readonly answered: Promise<AnsweredLeg>;
  /** 'progress': 180/183 with early-media SDP if any. */
  onProgress(listener: (status: number, sdp: string | undefined) => void): void;
  /**
   * Opens the leg's media on a 183's SDP (early media) before the answer; the answer then only moves its remote
   * address. Undefined when the SDP is unusable or the leg is settled (the answer opens media as usual).
   */
  openEarly(sdp: string): CallMedia | undefined;
  /** Gives up before the answer (CANCEL); `answered` then rejects and everything is released. */
  cancel(): void;
}

/**
 * Allocates a port (holding early packets), offers our codecs and places the call. Rejects at once, with
 * nothing held, when no port is free ('no-media-port') or the request cannot be built.
 */
export async function dialLeg(deps: DialLegDeps, options: DialLegOptions): Promise<LegDial> {
  let leg: MediaLeg;
  try {
    leg = await deps.media.allocate({ holdEarlyPackets: true });
  } catch (err) {
    if (err instanceof PortPoolExhaustedError) throw err;
    throw new CallRejectedError('no-media-port', `no RTP port for the leg: ${(err as Error).message}`, { cause: err });
  }
  let request: OutgoingCallRequest;
  let signal: OutgoingCallSignal;
  try {
    request = options.request(createOffer({ localAddress: deps.mediaAddress, localPort: leg.port, codecs: deps.codecPreference }));
    signal = deps.placeCall(request);
  } catch (err) {
    leg.release();
    throw err;
  }
  return new PlacedLeg(leg, request, signal, deps.codecPreference, options);
}

class PlacedLeg implements LegDial {
  readonly answered: Promise<AnsweredLeg>;
  private media: CallMedia | undefined;
  private settled = false;

  constructor(
    private readonly leg: MediaLeg,
    readonly request: OutgoingCallRequest,
    private readonly signal: OutgoingCallSignal,
    private readonly codecPreference: string[],
    private readonly options: DialLegOptions,
  ) {
    this.answered = this.awaitAnswer();
    this.answered.catch(() => {}); // observed by the owner; never an unhandled rejection meanwhile
  }

  get sipCallId(): string {
    return this.signal.callId;
  }

  onProgress(listener: (status: number, sdp: string | undefined) => void): void {
    this.signal.on('progress', listener);
  }

  openEarly(sdp: string): CallMedia | undefined {
    if (this.settled || this.media) return undefined;
    let early: AnsweredMedia;
    try {
      early = parseAnswer(this.codecPreference, sdp);
    } catch (err) {
      this.options.log.info({ err: (err as Error).message }, 'early media SDP unusable; waiting for answer');
      return undefined;
    }
    this.media = this.leg.open(this.options.media(early));
    return this.media;
  }

  cancel(): void {
    if (!this.settled) this.signal.cancel();
  }

  private async awaitAnswer(): Promise<AnsweredLeg> {
    let dialog: DialogSignal | undefined;
    try {
      const answered = await this.signal.answered;
      dialog = answered.dialog;
      this.leg.answered();
      const answer = parseAnswerOrFail(this.codecPreference, answered.sdp);
      const early = this.media !== undefined;
      // The 2xx may move the media (another SBC port); an early leg keeps the codec it started with.
      if (this.media) this.media.updateRemote(answer.remote);
      else this.media = this.leg.open(this.options.media(answer));
      this.settled = true;
      const media = this.media;
      const dlg = dialog;
      return { dialog: dlg, media, answer, early, hangUp: () => endLeg(dlg, media, this.options.log) };
    } catch (err) {
      this.settled = true;
      // The one cleanup path: media (or the bare port), and the far end if it had answered.
      if (this.media) this.media.close();
      else this.leg.release();
      if (dialog && !dialog.terminated) void dialog.hangup().catch((e: unknown) => this.options.log.warn({ err: e }, 'BYE failed'));
      throw err;
    }
  }
}

/**
 * A placed leg's media settings from the far end's answer: its codec, packetisation and address, and RFC 4733
 * DTMF both ways when it answered telephone-event.
 */
export function answeredLegMedia(
  a: AnsweredMedia,
  o: Pick<LegMediaOptions, 'logger' | 'appSampleRate' | 'idleFill' | 'latching'>,
): LegMediaOptions {
  return {
    ...o,
    codec: a.codec,
    payloadType: a.payloadType,
    remote: a.remote,
    ptimeMs: a.ptimeMs,
    ...(a.telephoneEvent ? { telephoneEvent: a.telephoneEvent } : {}),
  };
}

/** The far end answered with SDP we cannot use: the leg is hung up, reported as 'bad-answer'. */
function parseAnswerOrFail(codecPreference: string[], sdp: string): AnsweredMedia {
  try {
    return parseAnswer(codecPreference, sdp);
  } catch (err) {
    throw new CallRejectedError('bad-answer', (err as Error).message, { sipStatus: sipStatusOf(err), cause: err });
  }
}

function endLeg(dialog: DialogSignal, media: CallMedia, log: Logger): void {
  media.close();
  if (!dialog.terminated) dialog.hangup().catch((err: unknown) => log.warn({ err }, 'BYE failed'));
}
