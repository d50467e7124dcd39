/**
 * The carrier's audio for the load benchmark: a libpcap capture of one 20 ms PCMU RTP stream, which SIPp
 * replays with `play_pcap_audio`. SIPp (prepare_pcap.c) reads classic pcap files of Ethernet/IPv4/UDP frames,
 * keeps each UDP datagram and its capture time, and rewrites only the UDP ports (to the call's media ports)
 * when it sends; sequence numbers, timestamps and SSRC go out as captured. So the capture is written with
 * real 20 ms spacing, continuous sequence numbers and timestamps, and a tone that never falls silent (the
 * sink tells the bridge's echoed audio from its silence fill by that).
 */
import { writeFileSync } from 'node:fs';
import { PCMU } from '../media/codecs/index.js';

/** RTP packets per second of a 20 ms stream. */
export const PACKETS_PER_SECOND = 50;
const PTIME_MS = 20;
const SAMPLES = 160;
const ETH = 14;
const IPV4 = 20;
const UDP = 8;
const RTP = 12;

/** What {@link writePcmuPcap} puts in the capture. */
export interface PcmuPcapOptions {
  /** Capture length in ms (rounded up to whole 20 ms packets). */
  durationMs: number;
  /** Tone frequency, Hz. Default 440. */
  toneHz?: number;
  /** Peak amplitude of the 16-bit tone. Default 8000 (about −12 dBFS). */
  amplitude?: number;
  /** SSRC of the stream. Default 0x7b00b1e5. */
  ssrc?: number;
}

/** One 16-bit checksum word sum (RFC 1071), folded. */
function ipChecksum(header: Buffer): number {
  let sum = 0;
  for (let i = 0; i < header.length; i += 2) sum += header.readUInt16BE(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** One Ethernet/IPv4/UDP/RTP frame carrying `payload` (documentation addresses and ports: SIPp replaces the ports). */
function frame(seq: number, timestamp: number, ssrc: number, payload: Buffer): Buffer {
  const f = Buffer.alloc(ETH + IPV4 + UDP + RTP + payload.length);
  f.fill(0x02, 0, 6); // locally administered MACs: nothing reads them
  f.fill(0x04, 6, 12);
  f.writeUInt16BE(0x0800, 12);
  const ip = f.subarray(ETH, ETH + IPV4);
  ip[0] = 0x45;
  ip.writeUInt16BE(IPV4 + UDP + RTP + payload.length, 2);
  ip.writeUInt16BE(seq, 4);
  ip[8] = 64;
  ip[9] = 17;
  Buffer.from([192, 0, 2, 1]).copy(ip, 12);
  Buffer.from([192, 0, 2, 2]).copy(ip, 16);
  ip.writeUInt16BE(ipChecksum(ip), 10);
  const udp = f.subarray(ETH + IPV4);
  udp.writeUInt16BE(16384, 0);
  udp.writeUInt16BE(16384, 2);
  udp.writeUInt16BE(UDP + RTP + payload.length, 4); // checksum 0 = none (IPv4); SIPp computes its own
  const rtp = udp.subarray(UDP);
  rtp[0] = 0x80;
  rtp[1] = (seq === 0 ? 0x80 : 0) | 0; // PT 0 (PCMU), marker on the first packet
  rtp.writeUInt16BE(seq & 0xffff, 2);
  rtp.writeUInt32BE(timestamp >>> 0, 4);
  rtp.writeUInt32BE(ssrc >>> 0, 8);
  payload.copy(rtp, RTP);
  return f;
}

/**
 * The capture's bytes: a 20 ms PCMU tone for `durationMs`, one record per packet with its capture time at
 * exactly k·20 ms (SIPp sends each packet that long after the first).
 */
export function pcmuPcap(o: PcmuPcapOptions): Buffer {
  const packets = Math.ceil(o.durationMs / PTIME_MS);
  if (!Number.isFinite(packets) || packets < 1 || packets > 65_536) throw new RangeError(`pcap of ${o.durationMs} ms: 1..65536 packets`);
  const toneHz = o.toneHz ?? 440;
  const amplitude = o.amplitude ?? 8000;
  const ssrc = o.ssrc ?? 0x7b00b1e5;
  const encoder = PCMU.createEncoder();
  const pcm = new Int16Array(SAMPLES);
  const parts: Buffer[] = [];
  const global = Buffer.alloc(24);
  global.writeUInt32LE(0xa1b2c3d4, 0); // microsecond timestamps, written little-endian
  global.writeUInt16LE(2, 4);
  global.writeUInt16LE(4, 6);
  global.writeUInt32LE(65_535, 16);
  global.writeUInt32LE(1, 20); // LINKTYPE_ETHERNET
  parts.push(global);
  for (let k = 0; k < packets; k++) {
    for (let i = 0; i < SAMPLES; i++) pcm[i] = Math.round(amplitude * Math.sin((2 * Math.PI * toneHz * (k * SAMPLES + i)) / 8000));
    const payload = Buffer.from(encoder.encode(pcm));
    const f = frame(k, k * SAMPLES, ssrc, payload);
    const rec = Buffer.alloc(16);
    const us = k * PTIME_MS * 1000;
    rec.writeUInt32LE(Math.floor(us / 1e6), 0);
    rec.writeUInt32LE(us % 1e6, 4);
    rec.writeUInt32LE(f.length, 8);
    rec.writeUInt32LE(f.length, 12);
    parts.push(rec, f);
  }
  return Buffer.concat(parts);
}

/** Writes {@link pcmuPcap} to `path`; returns the number of packets. */
export function writePcmuPcap(path: string, o: PcmuPcapOptions): number {
  writeFileSync(path, pcmuPcap(o));
  return Math.ceil(o.durationMs / PTIME_MS);
}
