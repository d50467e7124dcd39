/**
 * The public shapes of a {@link MediaSession}: its constructor options, traffic counters and events. Kept apart
 * so the receive and send paths can share them without importing the session.
 */
import type { AudioCodec } from './codecs/types.js';
import type { Logger } from '../core/logger.js';
import type { Clock } from '../core/clock.js';
import type { RtpSocket } from './rtp/port-pool.js';
import type { RtcpInput } from './rtcp/rtcp-reporter.js';
import type { SrtpSuite } from './srtp/srtp-context.js';
import type { DtmfPress } from './dtmf/telephone-event-receiver.js';

export interface MediaSessionOptions {
  clock: Clock;
  logger: Logger;
  socket: RtpSocket;
  codec: AudioCodec;
  /** Negotiated RTP payload type for `codec` (the offer's, which may differ from the static one). */
  payloadType: number;
  /** Where to send RTP, from SDP. Replaced once by the source of the first RTP packet (symmetric RTP). */
  remote: { address: string; port: number };
  /** Outbound packetisation in ms (multiple of 10; 20 is usual). */
  ptimeMs: number;
  /** Sample rate of the bot's audio, both directions. */
  appSampleRate: number;
  /** Size of the frames delivered in 'frame' events, ms (default 20). */
  frameMs?: number;
  /** What to send while the playout queue is empty: encoded silence (default) or nothing. */
  idleFill?: 'silence' | 'none';
  /** Emit 'rtp-timeout' once no RTP has arrived for this long (ms). Off when unset. */
  rtpTimeoutMs?: number;
  /**
   * Other payload types the far end may send (offered codecs besides the negotiated one); decoded too, each with
   * its own decoder and resampler, created on first use.
   */
  receivable?: ReadonlyArray<{ payloadType: number; codec: AudioCodec }>;
  /**
   * Symmetric RTP latching (callers behind NAT): 'any' (default) sends to the source of the first packet;
   * 'same-ip' only when that source has the signalled IP (port may differ); 'off' always sends to the SDP address.
   */
  latching?: 'any' | 'same-ip' | 'off';
  /**
   * Receive jitter buffer delay, ms: packets are reordered and played out this long after the first one's
   * arrival, losses concealed. 0 or unset: pass-through (decoded on arrival, late/duplicate packets dropped).
   * Shorthand for `jitterBuffer: { mode: 'fixed', delayMs }`; `jitterBuffer` wins when both are given.
   */
  jitterBufferMs?: number;
  /** Receive jitter buffer: adaptive (the delay follows the measured jitter) or fixed. See {@link JitterBufferMode}. */
  jitterBuffer?: JitterBufferMode;
  /** The far end's a=fmtp for the codec (shapes our encoder: Opus maxplaybackrate, useinbandfec...). */
  remoteFmtp?: string;
  /** Negotiated RFC 4733 telephone-event format: enables DTMF both ways. */
  telephoneEvent?: { payloadType: number; clockRate: number };
  /**
   * RTCP (RFC 3550): on the socket's RTCP port (odd port above RTP), or multiplexed on the RTP port when the
   * offer had a=rtcp-mux (RFC 5761). Off when neither an RTCP socket nor mux is available.
   */
  rtcp?: RtcpOptions;
  /** SRTP (RFC 3711, keys from SDES): RTP and RTCP both ways are protected; plain packets are dropped. */
  srtp?: { suite: SrtpSuite; localKeySalt: Buffer; remoteKeySalt: Buffer };
  /** Packets that reached the socket before the session listened (see RtpHold): replayed once it has started. */
  held?: { replay(): void };
  /**
   * Called for each chunk of bot audio with its added latency in ms: from {@link MediaSession.playAudio} to the
   * RTP packet carrying its first sample sent (for a latency histogram). Chunks dropped unsent are not reported.
   */
  onSendLatency?: (ms: number) => void;
  /** After each clear: clear → the first packet slot after it (the old audio is off the wire), ms. */
  onClearedOnWire?: (ms: number) => void;
  /**
   * Called for each frame of caller audio with its added latency in ms: from the RTP packet carrying its first
   * sample received to the frame handed on ('frame' listeners done: written to the bot's socket), jitter-buffer
   * delay included. Frames that begin with concealed audio are not reported.
   */
  onReceiveLatency?: (ms: number) => void;
  /**
   * @internal How the send loop treats a late timer; only to measure the alternative (README, "Send-side latency").
   */
  lateTimer?: 'catch-up' | 'skip';
}

/**
 * How the receive jitter buffer sets its delay.
 * - adaptive: a high quantile of the measured arrival jitter plus a small margin, within [minMs, maxMs]; a few ms
 *   on a clean link, growing at the first late packet and shrinking over seconds once the jitter is gone.
 * - fixed: `delayMs` after the first packet's arrival (0: pass-through, no buffer).
 * Either way a packet is handed on no later than that delay after a packet on the fastest path would have come.
 */
export type JitterBufferMode = { mode: 'adaptive'; minMs: number; maxMs: number } | { mode: 'fixed'; delayMs: number };

/** A new codec for a running session (re-INVITE / UPDATE answer), see {@link MediaSession.switchCodec}. */
export interface CodecSwitch {
  codec: AudioCodec;
  payloadType: number;
  /** The new offer's other decodable formats (replaces the session's `receivable`). */
  receivable: ReadonlyArray<{ payloadType: number; codec: AudioCodec }>;
  remoteFmtp?: string;
  /** The new offer's telephone-event format; DTMF is off both ways without one. */
  telephoneEvent?: { payloadType: number; clockRate: number };
}

export interface RtcpOptions {
  /** Send and receive RTCP on the RTP port (the offer had a=rtcp-mux and our answer accepted it). */
  mux?: boolean;
  /** The far end's RTCP address from a=rtcp (RFC 3605); default: RTP address, port + 1 (or the RTP port with mux). */
  remote?: { address?: string; port: number };
  /** Nominal report interval, ms (default 5000; randomised per RFC 3550 6.3.1). */
  intervalMs?: number;
  /** Our SDES CNAME (default: a random one per call). */
  cname?: string;
}

import type { ForeignPackets } from './rtp/demux.js';

export interface MediaSessionStats {
  /** RTP packets of the negotiated payload type received (duplicates and late ones included). */
  packetsReceived: number;
  packetsSent: number;
  /** UDP bytes (RTP header included) of those packets. */
  bytesReceived: number;
  bytesSent: number;
  /** Expected minus received, from sequence numbers (RFC 3550 A.3 style, per SSRC, summed). */
  packetsLost: number;
  /** Datagrams dropped without decoding: not RTP, other payload types (e.g. telephone-event), duplicates, late. */
  packetsIgnored: number;
  /** Of those, what was not media from the peer (STUN, DTLS, stray first bytes, RTP from another source). */
  foreign?: ForeignPackets;
  /** Audio queued to send (the bot's) that never went out, ms. */
  playoutDroppedMs?: PlayoutDropped;
}

/** Queued audio the send loop dropped, ms, by why. */
export interface PlayoutDropped {
  /** Slots a stalled event loop missed beyond the late-timer bound, with their audio. */
  late: number;
  /** A bot streaming in real time left with a backlog after a burst: that much delay taken back. */
  backlog: number;
  /** Beyond the playout queue's limit (a bot far ahead of real time for too long). */
  overflow: number;
}

export interface MediaSessionEvents {
  /** Exactly frameMs of L16 LE mono PCM at appSampleRate. */
  frame: (pcm: Buffer) => void;
  /** Playback reached a mark placed with {@link MediaSession.mark}. */
  mark: (name: string) => void;
  /** A DTMF key press received as RFC 4733 telephone-event, reported once per press. */
  dtmf: (press: DtmfPress) => void;
  /** No RTP for rtpTimeoutMs; fires once, re-armed when RTP flows again. */
  'rtp-timeout': () => void;
  /** A valid RTCP compound packet arrived from the far end (RTT set when it reported on our stream). */
  rtcp: (input: RtcpInput) => void;
}
