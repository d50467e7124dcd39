import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pcmuPcap, writePcmuPcap } from '../../../src/bench/pcap.js';
import { PCMU } from '../../../src/media/codecs/index.js';
import { readPcapRtp } from '../../integration/harness/pcap.js';

describe('bench pcap (what SIPp play_pcap_audio replays)', () => {
  it('holds one 20 ms PCMU packet per 20 ms, continuous sequence numbers and timestamps, a tone throughout', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-pcap-'));
    const path = join(dir, 'tone.pcap');
    expect(writePcmuPcap(path, { durationMs: 1010 })).toBe(51); // rounded up to whole packets
    const pkts = readPcapRtp(path);
    expect(pkts).toHaveLength(51);
    pkts.forEach((p, k) => {
      expect(p.payloadType).toBe(0);
      expect(p.seq).toBe(k);
      expect(p.timestamp).toBe(k * 160);
      expect(p.payload).toHaveLength(160);
      const pcm = PCMU.createDecoder().decode(p.payload);
      const peak = Math.max(...Array.from(pcm, Math.abs));
      expect(peak).toBeGreaterThan(6000); // never silent: the sink tells echo from silence fill by it
    });
    expect(new Set(pkts.map((p) => p.ssrc)).size).toBe(1);
  });

  it('stamps record k at k·20 ms and writes valid IPv4 header checksums', () => {
    const buf = pcmuPcap({ durationMs: 100 });
    expect(buf.readUInt32LE(0)).toBe(0xa1b2c3d4);
    expect(buf.readUInt32LE(20)).toBe(1); // Ethernet
    let off = 24;
    for (let k = 0; k < 5; k++) {
      const usec = buf.readUInt32LE(off) * 1e6 + buf.readUInt32LE(off + 4);
      expect(usec).toBe(k * 20_000);
      const len = buf.readUInt32LE(off + 8);
      const ip = buf.subarray(off + 16 + 14, off + 16 + 34);
      let sum = 0;
      for (let i = 0; i < 20; i += 2) sum += ip.readUInt16BE(i);
      while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
      expect(sum).toBe(0xffff); // a header with its checksum sums to all ones
      off += 16 + len;
    }
    expect(off).toBe(buf.length);
  });

  it('refuses lengths SIPp could not replay as one stream', () => {
    expect(() => pcmuPcap({ durationMs: 0 })).toThrow(RangeError);
    expect(() => pcmuPcap({ durationMs: 20 * 65_537 })).toThrow(RangeError);
  });
});
