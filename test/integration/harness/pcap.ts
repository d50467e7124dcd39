import { readFileSync } from 'node:fs';
import { readPcapUdp } from '../../../src/bench/pcap-read.js';

export interface PcapRtp {
  payloadType: number;
  seq: number;
  timestamp: number;
  ssrc: number;
  payload: Buffer;
}

/** RTP packets from a classic libpcap file of IPv4/UDP frames, as SIPp ships them (/usr/share/sip-tester/*.pcap). */
export function readPcapRtp(path: string): PcapRtp[] {
  const out: PcapRtp[] = [];
  for (const { payload: rtp } of readPcapUdp(readFileSync(path))) {
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
