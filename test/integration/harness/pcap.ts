import { readFileSync } from 'node:fs';

export interface PcapRtp {
  payloadType: number;
  seq: number;
  timestamp: number;
  ssrc: number;
  payload: Buffer;
}

/**
 * RTP packets from a classic libpcap file of Ethernet/IPv4/UDP frames, as SIPp ships them
 * (/usr/share/sip-tester/*.pcap). Only what the tests need: no IPv6, no VLAN tags.
 */
export function readPcapRtp(path: string): PcapRtp[] {
  const f = readFileSync(path);
  const magic = f.readUInt32LE(0);
  const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  if (!le && f.readUInt32BE(0) !== 0xa1b2c3d4) throw new Error(`${path}: not a pcap file`);
  const u32 = (o: number): number => (le ? f.readUInt32LE(o) : f.readUInt32BE(o));
  const linkType = u32(20);
  if (linkType !== 1) throw new Error(`${path}: link type ${linkType} not Ethernet`);
  const out: PcapRtp[] = [];
  let off = 24;
  while (off + 16 <= f.length) {
    const incl = u32(off + 8);
    const frame = f.subarray(off + 16, off + 16 + incl);
    off += 16 + incl;
    if (frame.readUInt16BE(12) !== 0x0800) continue;
    const ihl = (frame[14] & 0x0f) * 4;
    if (frame[14 + 9] !== 17) continue;
    const rtp = frame.subarray(14 + ihl + 8);
    if (rtp.length < 12 || rtp[0] >> 6 !== 2) continue;
    const cc = rtp[0] & 0x0f;
    out.push({
      payloadType: rtp[1] & 0x7f,
      seq: rtp.readUInt16BE(2),
      timestamp: rtp.readUInt32BE(4),
      ssrc: rtp.readUInt32BE(8),
      payload: Buffer.from(rtp.subarray(12 + cc * 4)),
    });
  }
  return out;
}
