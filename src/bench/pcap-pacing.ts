/**
 * `--kernel-pacing`: the bridge's RTP to the sink as the kernel saw it leave (a `tcpdump` capture on loopback,
 * kernel timestamps), so pacing can be read without the sink's own scheduling: |inter-departure − 20 ms| per
 * stream, between packets with consecutive sequence numbers inside a wall-clock window. Pure: a pcap file's
 * bytes in (read by pcap-read.ts), deviations out.
 */
import { readPcapUdp } from './pcap-read.js';

const PTIME_MS = 20;

/**
 * |inter-departure − 20 ms| of every RTP stream (told apart by SSRC) sent to UDP port `dstPort`, for packets
 * captured between `fromMs` and `toMs` (Unix epoch ms) that follow their stream's previous packet by one
 * sequence number. RTCP (rtcp-mux: second byte 200–204) is skipped.
 */
export function departureDeviations(buf: Buffer, dstPort: number, fromMs: number, toMs: number): number[] {
  const last = new Map<number, { t: number; seq: number }>();
  const out: number[] = [];
  for (const d of readPcapUdp(buf)) {
    const rtp = d.payload;
    if (d.dstPort !== dstPort || rtp.length < 12 || (rtp[1] >= 200 && rtp[1] <= 204)) continue;
    const t = d.timeMs;
    const ssrc = rtp.readUInt32BE(8);
    const seq = rtp.readUInt16BE(2);
    const prev = last.get(ssrc);
    last.set(ssrc, { t, seq });
    if (prev && t >= fromMs && t <= toMs && ((seq - prev.seq) & 0xffff) === 1) out.push(Math.abs(t - prev.t - PTIME_MS));
  }
  return out;
}
