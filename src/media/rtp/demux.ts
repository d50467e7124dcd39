/**
 * What arrived on a media port, told apart by its first byte (RFC 7983 §7, updating RFC 5764 §5.1.2):
 * 0-3 STUN, 16-19 ZRTP, 20-63 DTLS, 64-79 TURN channel data, 128-191 RTP/RTCP; anything else is stray. Pure.
 */
export type DatagramKind = 'rtp' | 'stun' | 'zrtp' | 'dtls' | 'turn' | 'unknown';

export function classifyDatagram(buf: Buffer): DatagramKind {
  if (buf.length === 0) return 'unknown';
  const b = buf[0];
  if (b >= 128 && b <= 191) return 'rtp';
  if (b <= 3) return 'stun';
  if (b >= 16 && b <= 19) return 'zrtp';
  if (b >= 20 && b <= 63) return 'dtls';
  if (b >= 64 && b <= 79) return 'turn';
  return 'unknown';
}

/** Packets on a media port that were not media from the peer, by kind: counted, never logged one by one. */
export interface ForeignPackets {
  stun: number;
  dtls: number;
  /** ZRTP, TURN channel data and anything no RFC 7983 range names. */
  unknown: number;
  /** RTP from a source other than the one the session latched to. */
  wrongSource: number;
}

/** Counts one non-RTP datagram of `kind` in `into`. */
export function countForeign(into: ForeignPackets, kind: Exclude<DatagramKind, 'rtp'>): void {
  if (kind === 'stun') into.stun++;
  else if (kind === 'dtls') into.dtls++;
  else into.unknown++;
}
