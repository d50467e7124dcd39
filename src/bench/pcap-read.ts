/**
 * The UDP datagrams of a classic pcap file (what tcpdump writes, and SIPp's shipped captures): either byte order,
 * micro- or nanosecond timestamps, Ethernet framing (Linux loopback) or Linux cooked capture, IPv4 only. Pure:
 * a file's bytes in, datagrams out (payloads are views of `buf`). Read by the bench's kernel pacing and the
 * tests' capture reader.
 */

export interface PcapUdp {
  /** Capture time, Unix epoch ms. */
  timeMs: number;
  srcPort: number;
  dstPort: number;
  payload: Buffer;
}

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

export function readPcapUdp(buf: Buffer): PcapUdp[] {
  const f = pcapFormat(buf);
  const u32 = (at: number) => (f.littleEndian ? buf.readUInt32LE(at) : buf.readUInt32BE(at));
  const out: PcapUdp[] = [];
  for (let off = 24; off + 16 <= buf.length; ) {
    const timeMs = u32(off) * 1000 + u32(off + 4) / (f.nanos ? 1e6 : 1e3);
    const pkt = off + 16;
    off = pkt + u32(off + 8);
    if (off > buf.length) break; // a record cut short by the capture's end
    const ip = pkt + f.linkHeaderBytes;
    if (ip + 20 > off || buf[ip] >> 4 !== 4 || buf[ip + 9] !== 17) continue;
    const udp = ip + (buf[ip] & 0x0f) * 4;
    if (udp + 8 > off) continue;
    out.push({ timeMs, srcPort: buf.readUInt16BE(udp), dstPort: buf.readUInt16BE(udp + 2), payload: buf.subarray(udp + 8, off) });
  }
  return out;
}
