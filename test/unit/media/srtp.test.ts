import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ProtectionProfileAes128CmHmacSha1_80, RtpPacket, SrtcpSession, SrtpSession as WeriftSrtp } from 'werift-rtp';
import { deriveSessionKey, SrtpContext, SrtpError } from '../../../src/media/srtp/index.js';
import { writeRtpPacket } from '../../../src/media/rtp/index.js';
import { writeReceiverReport, writeSdesCname } from '../../../src/media/rtcp/index.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('RFC 3711 test vectors', () => {
  it('B.3 key derivation: session encryption key, salt and auth key', () => {
    const masterKey = hex('E1F97A0D3E018BE0D64FA32C06DE4139');
    const masterSalt = hex('0EC675AD498AFEEBB6960B3AABE6');
    expect(deriveSessionKey(masterKey, masterSalt, 0, 16).toString('hex')).toBe('c61e7a93744f39ee10734afe3ff7a087');
    expect(deriveSessionKey(masterKey, masterSalt, 2, 14).toString('hex')).toBe('30cbbc08863d8c85d49db34a9ae1');
    expect(deriveSessionKey(masterKey, masterSalt, 1, 20).toString('hex')).toBe('cebe321f6ff7716b6fd4ab49af256a156d38baa4');
  });

  it('B.2 AES-CM keystream (IV = salt · 2^16 with SSRC 0, index 0)', () => {
    // The counter-mode core the packet transforms use: salt F0..FD in the 14 high bytes, zero counter.
    const key = hex('2B7E151628AED2A6ABF7158809CF4F3C');
    const salt = hex('F0F1F2F3F4F5F6F7F8F9FAFBFCFD');
    // deriveSessionKey XORs the label into byte 7; label 0 leaves the salt as the IV, which is exactly B.2's setup.
    expect(deriveSessionKey(key, salt, 0, 48).toString('hex')).toBe(
      'e03ead0935c95e80e166b16dd92b4eb4' + 'd23513162b02d0f72a43a2fe4a5f97ab' + '41e95b3bb0a2e8dd477901e4fca894c0',
    );
  });
});

function rtp(seq: number, payload: Buffer, ssrc = 0xcafebabe, ts = seq * 160): Buffer {
  return writeRtpPacket({ payloadType: 0, sequenceNumber: seq, timestamp: ts, ssrc }, payload);
}

describe('SrtpContext', () => {
  const key = randomBytes(30);

  it.each(['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32'] as const)('%s: round trip, tag length, payload actually encrypted', (suite) => {
    const tx = new SrtpContext(suite, key);
    const rx = new SrtpContext(suite, key);
    const payload = Buffer.alloc(160, 0x55);
    const plain = rtp(1000, payload);
    const sealed = tx.protectRtp(plain);
    expect(sealed.length).toBe(plain.length + (suite.endsWith('80') ? 10 : 4));
    expect(sealed.subarray(0, 12)).toEqual(plain.subarray(0, 12)); // header in the clear
    expect(sealed.subarray(12, 172).equals(payload)).toBe(false);
    expect(rx.unprotectRtp(sealed)).toEqual(plain);
  });

  it('rejects a tampered packet, a wrong key, a replay, and a too-short packet', () => {
    const tx = new SrtpContext('AES_CM_128_HMAC_SHA1_80', key);
    const rx = new SrtpContext('AES_CM_128_HMAC_SHA1_80', key);
    const sealed = tx.protectRtp(rtp(1, Buffer.alloc(160, 1)));
    const bad = Buffer.from(sealed);
    bad[20] ^= 1;
    expect(() => rx.unprotectRtp(bad)).toThrow(expect.objectContaining({ kind: 'auth' }));
    expect(() => new SrtpContext('AES_CM_128_HMAC_SHA1_80', randomBytes(30)).unprotectRtp(sealed)).toThrow(SrtpError);
    rx.unprotectRtp(sealed);
    expect(() => rx.unprotectRtp(sealed)).toThrow(expect.objectContaining({ kind: 'replay' }));
    expect(() => rx.unprotectRtp(sealed.subarray(0, 15))).toThrow(expect.objectContaining({ kind: 'malformed' }));
  });

  it('accepts reordered packets inside the window once, and follows the ROC across a sequence wrap', () => {
    const tx = new SrtpContext('AES_CM_128_HMAC_SHA1_32', key);
    const rx = new SrtpContext('AES_CM_128_HMAC_SHA1_32', key);
    const seqs = [65530, 65531, 65532, 65533, 65534, 65535, 0, 1, 2, 3];
    const sealed = seqs.map((s) => tx.protectRtp(rtp(s, Buffer.from([s & 0xff, 1, 2, 3]))));
    const order = [0, 1, 3, 2, 4, 6, 5, 7, 9, 8];
    for (const i of order) expect(rx.unprotectRtp(sealed[i]).subarray(12)).toEqual(Buffer.from([seqs[i] & 0xff, 1, 2, 3]));
    expect(() => rx.unprotectRtp(sealed[5])).toThrow(expect.objectContaining({ kind: 'replay' }));
  });

  it('SRTCP round trip with E flag and index, replay rejected', () => {
    const tx = new SrtpContext('AES_CM_128_HMAC_SHA1_32', key);
    const rx = new SrtpContext('AES_CM_128_HMAC_SHA1_32', key);
    const plain = Buffer.concat([writeReceiverReport(7), writeSdesCname(7, 'x@y')]);
    const sealed = tx.protectRtcp(plain);
    expect(sealed.length).toBe(plain.length + 4 + 10); // SRTCP tag is 80 bits for both suites
    expect(sealed[plain.length] & 0x80).toBe(0x80);
    expect(rx.unprotectRtcp(sealed)).toEqual(plain);
    expect(() => rx.unprotectRtcp(sealed)).toThrow(expect.objectContaining({ kind: 'replay' }));
    const second = tx.protectRtcp(plain);
    expect(second.readUInt32BE(plain.length) & 0x7fffffff).toBe(1);
    expect(rx.unprotectRtcp(second)).toEqual(plain);
  });

  it('interoperates with werift-rtp (an independent implementation) for AES_CM_128_HMAC_SHA1_80, both ways', () => {
    const ours = randomBytes(30);
    const theirs = randomBytes(30);
    const keys = {
      localMasterKey: theirs.subarray(0, 16),
      localMasterSalt: theirs.subarray(16),
      remoteMasterKey: ours.subarray(0, 16),
      remoteMasterSalt: ours.subarray(16),
    };
    const w = new WeriftSrtp({ keys, profile: ProtectionProfileAes128CmHmacSha1_80 });
    const wc = new SrtcpSession({ keys, profile: ProtectionProfileAes128CmHmacSha1_80 });
    const tx = new SrtpContext('AES_CM_128_HMAC_SHA1_80', ours);
    const rx = new SrtpContext('AES_CM_128_HMAC_SHA1_80', theirs);
    for (const seq of [10, 11, 12]) {
      const plain = rtp(seq, randomBytes(160));
      expect(Buffer.from(w.decrypt(tx.protectRtp(plain)))).toEqual(plain);
      const p = RtpPacket.deSerialize(plain);
      expect(rx.unprotectRtp(Buffer.from(w.encrypt(p.payload, p.header)))).toEqual(plain);
    }
    const rtcp = Buffer.concat([writeReceiverReport(9), writeSdesCname(9, 'a@b')]);
    expect(Buffer.from(wc.decrypt(tx.protectRtcp(rtcp)))).toEqual(rtcp);
    expect(rx.unprotectRtcp(Buffer.from(wc.encrypt(rtcp)))).toEqual(rtcp);
  });

  it('protects in place into a caller buffer (the send ring)', () => {
    const tx = new SrtpContext('AES_CM_128_HMAC_SHA1_80', key);
    const rx = new SrtpContext('AES_CM_128_HMAC_SHA1_80', key);
    const slot = Buffer.alloc(256);
    const plain = rtp(5, Buffer.alloc(160, 9));
    plain.copy(slot);
    const sealed = tx.protectRtp(slot.subarray(0, plain.length), slot);
    expect(sealed.buffer).toBe(slot.buffer);
    expect(rx.unprotectRtp(sealed)).toEqual(plain);
  });
});
