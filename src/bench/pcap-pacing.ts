/**
 * `--kernel-pacing`: the bridge's RTP to the sink as the kernel saw it leave (a `tcpdump` capture on loopback,
 * kernel timestamps), so pacing can be read without the sink's own scheduling: |inter-departure − 20 ms| per
 * stream, between packets with consecutive sequence numbers inside a wall-clock window. Pure: a pcap file's
 * bytes in, deviations out. Reads the classic pcap format tcpdump writes (either byte order, micro- or
 * nanosecond timestamps) with Ethernet framing (Linux loopback) or Linux cooked capture, IPv4/UDP only.
 */

const PTIME_MS = 20;
const LINKTYPE_ETHERNET = 1;
const LINKTYPE_LINUX_SLL = 113;

/** Parsed pcap header: how to read the records that follow. */
interface PcapFormat {
  littleEndian: boolean;
  nanos: boolean;
  linkHeaderBytes: number;
}

function pcapFormat(buf: Buffer): PcapFormat {
  if (buf.length < 24) throw new Error('pcap: shorter than its header');
  const magicLe = buf.readUInt32LE(0);
  const known: Record<number, { littleEndian: boolean; nanos: boolean }> = {
    0xa1b2c3d4: { littleEndian: true, nanos: false },
    0xa1b23c4d: { littleEndian: true, nanos: true },
    0xd4c3b2a1: { littleEndian: false, nanos: false },
    0x4d3cb2a1: { littleEndian: false, nanos: true },
  };
  const f = known[magicLe];
  if (!f) throw new Error(`pcap: unknown magic 0x${magicLe.toString(16)}`);
  const linkType = f.littleEndian ? buf.readUInt32LE(20) : buf.readUInt32BE(20);
  const linkHeaderBytes = linkType === LINKTYPE_ETHERNET ? 14 : linkType === LINKTYPE_LINUX_SLL ? 16 : -1;
  if (linkHeaderBytes < 0) throw new Error(`pcap: link type ${linkType} not handled`);
  return { ...f, linkHeaderBytes };
}

/**
 * |inter-departure − 20 ms| of every RTP stream (told apart by SSRC) sent to UDP port `dstPort`, for packets
 * captured between `fromMs` and `toMs` (Unix epoch ms) that follow their stream's previous packet by one
 * sequence number. RTCP (rtcp-mux: second byte 200–204) is skipped.
 */
export function departureDeviations(buf: Buffer, dstPort: number, fromMs: number, toMs: number): number[] {
  const f = pcapFormat(buf);
  const u32 = (at: number) => (f.littleEndian ? buf.readUInt32LE(at) : buf.readUInt32BE(at));
  const last = new Map<number, { t: number; seq: number }>();
  const out: number[] = [];
  for (let off = 24; off + 16 <= buf.length; ) {
    const t = u32(off) * 1000 + u32(off + 4) / (f.nanos ? 1e6 : 1e3);
    const caplen = u32(off + 8);
    const pkt = off + 16;
    off = pkt + caplen;
    if (off > buf.length) break; // a record cut short by the capture's end
    const ip = pkt + f.linkHeaderBytes;
    if (ip + 20 > off || buf[ip] >> 4 !== 4 || buf[ip + 9] !== 17) continue;
    const udp = ip + (buf[ip] & 0x0f) * 4;
    const rtp = udp + 8;
    if (rtp + 12 > off || buf.readUInt16BE(udp + 2) !== dstPort) continue;
    if (buf[rtp + 1] >= 200 && buf[rtp + 1] <= 204) continue;
    const ssrc = buf.readUInt32BE(rtp + 8);
    const seq = buf.readUInt16BE(rtp + 2);
    const prev = last.get(ssrc);
    last.set(ssrc, { t, seq });
    if (prev && t >= fromMs && t <= toMs && ((seq - prev.seq) & 0xffff) === 1) out.push(Math.abs(t - prev.t - PTIME_MS));
  }
  return out;
}
