/** Turns one RTP payload into PCM. One instance per stream: stateful codecs (Opus, G.722) keep state here. */
export interface AudioDecoder {
  /** Decodes one RTP payload to mono PCM at the codec's `sampleRate`. */
  decode(payload: Buffer): Int16Array;
  /**
   * Audio for `samples` lost samples (at `sampleRate`) from the codec's own concealment (Opus PLC). Codecs
   * without one leave it out and the media session repeats-and-fades the last good audio.
   */
  conceal?(samples: number): Int16Array;
}

/** Turns PCM into one RTP payload. One instance per stream. */
export interface AudioEncoder {
  /** Encodes mono PCM at the codec's `sampleRate` (one packet's worth) into an RTP payload. */
  encode(pcm: Int16Array): Buffer;
}

/**
 * An audio codec as SDP names it. `clockRate` (RTP timestamps) and `sampleRate` (PCM in/out) are separate
 * because they differ for some codecs: G.722 has an 8000 Hz RTP clock but 16 kHz audio; Opus is always 48000 in
 * RTP while a decoder may produce another rate.
 */
export interface AudioCodec {
  /** SDP encoding name, e.g. 'PCMU'. */
  readonly name: string;
  /** RTP clock rate (8000 for G.711). */
  readonly clockRate: number;
  /** PCM rate the decoder produces and the encoder consumes. */
  readonly sampleRate: number;
  /** Always 1 today. */
  readonly channels: number;
  /** Static RTP payload type from RFC 3551 (0 PCMU, 8 PCMA), if any. */
  readonly staticPayloadType?: number;
  /** a=fmtp parameters to put in an SDP answer/offer for this codec, if any (e.g. Opus later). */
  readonly fmtp?: string;
  /** Length of an RTP payload in RTP clock units (the timestamp step it covers), 0 when unknown. */
  rtpDuration(payload: Buffer): number;
  createDecoder(): AudioDecoder;
  /**
   * @param remoteFmtp the far end's a=fmtp for this codec (e.g. Opus `maxplaybackrate=16000;useinbandfec=1`):
   * what the receiver of our stream can use, so it shapes what we encode.
   */
  createEncoder(remoteFmtp?: string): AudioEncoder;
  /**
   * The same codec working at another PCM rate, when it can do so natively (Opus decodes and encodes at
   * 8/12/16/24/48 kHz): saves a resampling step. Undefined when not supported.
   */
  forSampleRate?(rate: number): AudioCodec | undefined;
}
