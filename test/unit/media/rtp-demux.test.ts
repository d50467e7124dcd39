import { describe, expect, it } from 'vitest';
import { classifyDatagram, type DatagramKind } from '../../../src/media/rtp/demux.js';

describe('classifyDatagram (RFC 7983 §7 first-byte ranges)', () => {
  const table: Array<[number[], DatagramKind]> = [
    [[0x00, 0x01], 'stun'],
    [[0x01, 0x01], 'stun'],
    [[0x03], 'stun'],
    [[0x04], 'unknown'],
    [[0x0f], 'unknown'],
    [[0x10], 'zrtp'],
    [[0x13], 'zrtp'],
    [[0x14], 'dtls'],
    [[0x16, 0xfe, 0xfd], 'dtls'],
    [[0x3f], 'dtls'],
    [[0x40], 'turn'],
    [[0x4f], 'turn'],
    [[0x50], 'unknown'],
    [[0x7f], 'unknown'],
    [[0x80, 0x00], 'rtp'],
    [[0x80, 0xc8], 'rtp'], // RTCP SR with rtcp-mux: still the RTP/RTCP range
    [[0xbf], 'rtp'],
    [[0xc0], 'unknown'],
    [[0xff], 'unknown'],
    [[], 'unknown'],
  ];
  for (const [bytes, kind] of table) {
    it(`${bytes.map((b) => b.toString(16).padStart(2, '0')).join(' ') || '(empty)'} -> ${kind}`, () => {
      expect(classifyDatagram(Buffer.from(bytes))).toBe(kind);
    });
  }
});
