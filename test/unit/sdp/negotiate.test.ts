import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import sdpTransform from 'sdp-transform';
import { describe, expect, it } from 'vitest';
import { CodecNegotiationError, SdpError, sipStatusOf } from '../../../src/core/errors.js';
import { negotiateAnswer, type NegotiatedMedia } from '../../../src/sdp/index.js';

const fixture = (name: string) => readFileSync(fileURLToPath(new URL(`../../../fixtures/sdp/${name}`, import.meta.url)), 'utf8');
const crlf = (s: string) => s.replace(/\r?\n/g, '\r\n');

const LOCAL = { localAddress: '192.0.2.1', localPort: 20000, sessionId: 4242 };

interface Case {
  fixture: string;
  preference: string[];
  expect: Omit<NegotiatedMedia, 'answerSdp' | 'codec' | 'receivable'> & { codec: string };
  /** m= payload list of the answer's audio line. */
  answerPayloads: string;
  answerDirection: string;
  /** Number of m-lines in the answer (one per offered m-line). */
  mLines?: number;
}

const cases: Case[] = [
  {
    fixture: 'twilio-like.sdp',
    preference: ['PCMU', 'PCMA'],
    expect: { codec: 'PCMU', payloadType: 0, telephoneEventPayloadType: 101, remote: { address: '192.0.2.10', port: 12718 }, ptimeMs: 20, direction: 'sendrecv' },
    answerPayloads: '0 101',
    answerDirection: 'sendrecv',
  },
  {
    fixture: 'telnyx-like.sdp', // offers PCMA first; our preference wins
    preference: ['PCMU', 'PCMA'],
    expect: { codec: 'PCMU', payloadType: 0, telephoneEventPayloadType: 101, remote: { address: '192.0.2.20', port: 31234 }, ptimeMs: 20, direction: 'sendrecv', remoteRtcp: { port: 31235 } },
    answerPayloads: '0 101',
    answerDirection: 'sendrecv',
  },
  {
    fixture: 'telnyx-like.sdp',
    preference: ['G722', 'PCMA', 'PCMU'], // wideband first
    expect: { codec: 'G722', payloadType: 9, telephoneEventPayloadType: 101, remote: { address: '192.0.2.20', port: 31234 }, ptimeMs: 20, direction: 'sendrecv', remoteRtcp: { port: 31235 } },
    answerPayloads: '9 101',
    answerDirection: 'sendrecv',
  },
  {
    fixture: 'asterisk-like.sdp',
    preference: ['PCMU', 'PCMA'],
    expect: { codec: 'PCMU', payloadType: 0, telephoneEventPayloadType: 101, remote: { address: '192.0.2.30', port: 10042 }, ptimeMs: 20, direction: 'sendrecv' },
    answerPayloads: '0 101',
    answerDirection: 'sendrecv',
  },
  {
    fixture: 'sipp-uac-pcap.sdp', // no a=ptime → 20
    preference: ['PCMU', 'PCMA'],
    expect: { codec: 'PCMA', payloadType: 8, telephoneEventPayloadType: 101, remote: { address: '192.0.2.40', port: 6000 }, ptimeMs: 20, direction: 'sendrecv' },
    answerPayloads: '8 101',
    answerDirection: 'sendrecv',
  },
  {
    fixture: 'ipv6.sdp', // PCMU by static type without rtpmap, ptime 30
    preference: ['PCMA', 'PCMU'],
    expect: { codec: 'PCMU', payloadType: 0, telephoneEventPayloadType: 101, remote: { address: '2001:db8::10', port: 40000 }, ptimeMs: 30, direction: 'sendrecv' },
    answerPayloads: '0 101',
    answerDirection: 'sendrecv',
  },
  {
    fixture: 'hold-media-level-c.sdp', // media-level c= wins, sendonly → recvonly, ptime 25 → 20, video refused
    preference: ['PCMA', 'PCMU'],
    expect: { codec: 'PCMA', payloadType: 8, remote: { address: '192.0.2.61', port: 16500 }, ptimeMs: 20, direction: 'sendonly' } as Case['expect'],
    answerPayloads: '8',
    answerDirection: 'recvonly',
    mLines: 2,
  },
];

describe('negotiateAnswer on carrier offers', () => {
  it.each(cases.flatMap((c) => [{ ...c, eol: 'LF' }, { ...c, eol: 'CRLF' }]))(
    '$fixture ($eol) with preference $preference',
    (c) => {
      const offer = c.eol === 'CRLF' ? crlf(fixture(c.fixture)) : fixture(c.fixture);
      const n = negotiateAnswer(offer, { ...LOCAL, codecPreference: c.preference });
      const { answerSdp, codec, receivable, telephoneEvent, ...rest } = n;
      expect({ ...rest, codec: codec.name }).toEqual(c.expect);
      expect(telephoneEvent).toEqual(
        c.expect.telephoneEventPayloadType === undefined ? undefined : { payloadType: c.expect.telephoneEventPayloadType, clockRate: 8000 },
      );
      // the chosen codec is always receivable, with the offer's payload type
      expect(receivable).toContainEqual({ payloadType: n.payloadType, codec });

      expect(answerSdp.endsWith('\r\n')).toBe(true);
      expect(answerSdp.split('\r\n').every((l) => !l.includes('\n'))).toBe(true);
      const answer = sdpTransform.parse(answerSdp);
      expect(answer.origin).toMatchObject({ sessionId: 4242, address: '192.0.2.1', ipVer: 4 });
      expect(answer.connection).toEqual({ version: 4, ip: '192.0.2.1' });
      expect(answer.media).toHaveLength(c.mLines ?? 1);
      const audio = answer.media[0];
      expect(audio).toMatchObject({ type: 'audio', port: 20000, protocol: 'RTP/AVP', ptime: c.expect.ptimeMs, direction: c.answerDirection });
      expect(String(audio.payloads)).toBe(c.answerPayloads); // sdp-transform parses a lone payload as a number
      expect(audio.rtp).toContainEqual({ payload: c.expect.payloadType, codec: c.expect.codec, rate: 8000 });
      if (c.expect.telephoneEventPayloadType !== undefined) {
        expect(audio.rtp).toContainEqual({ payload: c.expect.telephoneEventPayloadType, codec: 'telephone-event', rate: 8000 });
        expect(audio.fmtp).toContainEqual({ payload: c.expect.telephoneEventPayloadType, config: '0-16' });
      } else {
        expect(audio.rtp.some((r) => r.codec === 'telephone-event')).toBe(false);
      }
      for (const other of answer.media.slice(1)) expect(other.port).toBe(0);
    },
  );

  it('writes IPv6 o= and c= lines for an IPv6 local address', () => {
    const n = negotiateAnswer(fixture('ipv6.sdp'), { localAddress: '2001:db8::1', localPort: 30000, codecPreference: ['PCMU'] });
    expect(n.answerSdp).toContain('c=IN IP6 2001:db8::1\r\n');
    expect(n.answerSdp).toMatch(/^o=- \d+ \d+ IN IP6 2001:db8::1\r$/m);
    expect(n.answerSdp).toContain('s=trunkbridge\r\n');
  });

  it('uses the offer’s dynamic payload type when a static codec is offered under one', () => {
    const offer = 'v=0\r\no=- 1 1 IN IP4 192.0.2.5\r\ns=-\r\nc=IN IP4 192.0.2.5\r\nt=0 0\r\nm=audio 5004 RTP/AVP 97 100\r\na=rtpmap:97 pcmu/8000\r\na=rtpmap:100 telephone-event/8000\r\n';
    const n = negotiateAnswer(offer, { ...LOCAL, codecPreference: ['PCMU'] });
    expect(n).toMatchObject({ payloadType: 97, telephoneEventPayloadType: 100 });
    expect(n.codec.name).toBe('PCMU');
    expect(n.answerSdp).toContain('m=audio 20000 RTP/AVP 97 100\r\n');
  });

  it('prefers telephone-event at the codec clock rate over other rates', () => {
    const offer = 'v=0\r\no=- 1 1 IN IP4 192.0.2.5\r\ns=-\r\nc=IN IP4 192.0.2.5\r\nt=0 0\r\nm=audio 5004 RTP/AVP 0 110 101\r\na=rtpmap:110 telephone-event/48000\r\na=rtpmap:101 telephone-event/8000\r\n';
    expect(negotiateAnswer(offer, { ...LOCAL, codecPreference: ['PCMU'] }).telephoneEventPayloadType).toBe(101);
  });

  it('accepts a=rtcp-mux (RFC 5761) and reads a=rtcp with an address (RFC 3605)', () => {
    const n = negotiateAnswer(fixture('rtcp-mux.sdp'), { ...LOCAL, codecPreference: ['PCMU'] });
    expect(n.rtcpMux).toBe(true);
    expect(n.remoteRtcp).toEqual({ port: 40001, address: '192.0.2.80' });
    expect(sdpTransform.parse(n.answerSdp).media[0].rtcpMux).toBe('rtcp-mux');
    const plain = negotiateAnswer(fixture('twilio-like.sdp'), { ...LOCAL, codecPreference: ['PCMU'] });
    expect(plain.rtcpMux).toBeUndefined();
    expect(plain.answerSdp).not.toContain('rtcp-mux');
  });

  describe('SRTP (SDES, RFC 4568) by trunk policy', () => {
    const OUR_KEY = Buffer.alloc(30, 7);
    it.each(['optional', 'required'] as const)('%s: an RTP/SAVP offer is answered RTP/SAVP with the same tag and suite and our own key', (srtp) => {
      const n = negotiateAnswer(fixture('srtp-only.sdp'), { ...LOCAL, codecPreference: ['PCMU'], srtp, localSrtpKeySalt: OUR_KEY });
      const audio = sdpTransform.parse(n.answerSdp).media[0];
      expect(audio.protocol).toBe('RTP/SAVP');
      expect(audio.crypto).toEqual([{ id: 1, suite: 'AES_CM_128_HMAC_SHA1_80', config: `inline:${OUR_KEY.toString('base64')}` }]);
      expect(n.srtp).toEqual({
        suite: 'AES_CM_128_HMAC_SHA1_80',
        localKeySalt: OUR_KEY,
        remoteKeySalt: Buffer.from('WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz', 'base64'),
      });
    });

    it('a fresh random key per answer when none is given', () => {
      const a = negotiateAnswer(fixture('srtp-only.sdp'), { ...LOCAL, codecPreference: ['PCMU'], srtp: 'optional' });
      const b = negotiateAnswer(fixture('srtp-only.sdp'), { ...LOCAL, codecPreference: ['PCMU'], srtp: 'optional' });
      expect(a.srtp!.localKeySalt).toHaveLength(30);
      expect(a.srtp!.localKeySalt.equals(b.srtp!.localKeySalt)).toBe(false);
    });

    it('skips crypto lines we cannot honour (unknown suite, MKI, session parameters) and takes _32 with a lifetime', () => {
      const n = negotiateAnswer(fixture('srtp-crypto-choices.sdp'), { ...LOCAL, codecPreference: ['PCMU'], srtp: 'required', localSrtpKeySalt: OUR_KEY });
      expect(n.srtp?.suite).toBe('AES_CM_128_HMAC_SHA1_32');
      expect(sdpTransform.parse(n.answerSdp).media[0].crypto).toEqual([{ id: 4, suite: 'AES_CM_128_HMAC_SHA1_32', config: `inline:${OUR_KEY.toString('base64')}` }]);
    });

    it('required: a plain RTP offer gets 488 naming the reason', () => {
      const err = (() => {
        try {
          negotiateAnswer(fixture('twilio-like.sdp'), { ...LOCAL, codecPreference: ['PCMU'], srtp: 'required' });
        } catch (e) {
          return e as Error;
        }
        return undefined;
      })();
      expect(err).toBeInstanceOf(SdpError);
      expect(sipStatusOf(err)).toBe(488);
      expect(err!.message).toMatch(/requires SRTP.*RTP\/AVP/);
    });

    it('required: an SAVP offer with no usable crypto gets 488 listing each line', () => {
      const offer = fixture('srtp-crypto-choices.sdp').replace(/^a=crypto:4.*\n/m, '');
      expect(() => negotiateAnswer(offer, { ...LOCAL, codecPreference: ['PCMU'], srtp: 'required' })).toThrow(/crypto:1 suite AEAD_AES_256_GCM not supported; crypto:2 MKI not supported; crypto:3 session parameters/);
    });

    it('optional: a plain offer is answered plain; off: SAVP-only still 488', () => {
      const n = negotiateAnswer(fixture('twilio-like.sdp'), { ...LOCAL, codecPreference: ['PCMU'], srtp: 'optional' });
      expect(n.srtp).toBeUndefined();
      expect(sdpTransform.parse(n.answerSdp).media[0].protocol).toBe('RTP/AVP');
      expect(() => negotiateAnswer(fixture('srtp-only.sdp'), { ...LOCAL, codecPreference: ['PCMU'], srtp: 'off' })).toThrow(SdpError);
    });
  });

  it('uses session-level a=sendonly when the m-line has none', () => {
    const offer = 'v=0\r\no=- 1 1 IN IP4 192.0.2.5\r\ns=-\r\nc=IN IP4 192.0.2.5\r\nt=0 0\r\na=inactive\r\nm=audio 5004 RTP/AVP 0\r\n';
    const n = negotiateAnswer(offer, { ...LOCAL, codecPreference: ['PCMU'] });
    expect(n.direction).toBe('inactive');
    expect(n.answerSdp).toContain('a=inactive\r\n');
  });
});

const rejects: Array<[string, string, new (...a: never[]) => Error]> = [
  ['only G.729 offered', fixture('g729-only.sdp'), CodecNegotiationError],
  ['SRTP-only offer', fixture('srtp-only.sdp'), SdpError],
  ['no audio m-line', 'v=0\r\no=- 1 1 IN IP4 192.0.2.5\r\ns=-\r\nc=IN IP4 192.0.2.5\r\nt=0 0\r\nm=video 5004 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n', SdpError],
  ['audio refused with port 0', 'v=0\r\no=- 1 1 IN IP4 192.0.2.5\r\ns=-\r\nc=IN IP4 192.0.2.5\r\nt=0 0\r\nm=audio 0 RTP/AVP 0\r\n', SdpError],
  ['no c= line anywhere', 'v=0\r\no=- 1 1 IN IP4 192.0.2.5\r\ns=-\r\nt=0 0\r\nm=audio 5004 RTP/AVP 0\r\n', SdpError],
  ['not SDP at all', 'hello world', SdpError],
  ['empty body', '', SdpError],
  ['dynamic PT without rtpmap only', 'v=0\r\no=- 1 1 IN IP4 192.0.2.5\r\ns=-\r\nc=IN IP4 192.0.2.5\r\nt=0 0\r\nm=audio 5004 RTP/AVP 96\r\n', CodecNegotiationError],
];

describe('negotiateAnswer rejections (SIP 488)', () => {
  it.each(rejects)('%s', (_name, offer, errorClass) => {
    let caught: unknown;
    try {
      negotiateAnswer(offer, { ...LOCAL, codecPreference: ['PCMU', 'PCMA'] });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(errorClass);
    expect(sipStatusOf(caught)).toBe(488);
  });

  it('names what was offered when no codec matches', () => {
    expect(() => negotiateAnswer(fixture('g729-only.sdp'), { ...LOCAL, codecPreference: ['PCMU', 'PCMA'] })).toThrow(/G729\/8000.*PCMU, PCMA/);
  });
});

describe('receivable formats', () => {
  it('lists every offered codec we can decode, with the offered payload types', () => {
    const offer = [
      'v=0', 'o=- 1 1 IN IP4 192.0.2.5', 's=-', 'c=IN IP4 192.0.2.5', 't=0 0',
      'm=audio 4000 RTP/AVP 8 0 18 101', 'a=rtpmap:8 PCMA/8000', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:18 G729/8000',
      'a=rtpmap:101 telephone-event/8000', '',
    ].join('\r\n');
    const n = negotiateAnswer(offer, { localAddress: '192.0.2.1', localPort: 20000, codecPreference: ['PCMU', 'PCMA'] });
    expect(n.codec.name).toBe('PCMU');
    expect(n.receivable.map((r) => [r.payloadType, r.codec.name])).toEqual([
      [8, 'PCMA'],
      [0, 'PCMU'],
    ]);
  });
});

describe('negotiateAnswer with Opus', () => {
  const offer = fixture('opus-wideband.sdp');

  it('picks opus/48000/2 first, pairs it with telephone-event/48000, keeps the offer fmtp for our encoder', () => {
    const n = negotiateAnswer(offer, { ...LOCAL, codecPreference: ['opus', 'G722', 'PCMU'] });
    expect(n.codec.name).toBe('opus');
    expect(n.payloadType).toBe(111);
    expect(n.telephoneEvent).toEqual({ payloadType: 110, clockRate: 48000 });
    expect(n.remoteFmtp).toBe('maxplaybackrate=16000;sprop-maxcapturerate=16000;useinbandfec=1');
    const audio = sdpTransform.parse(n.answerSdp).media[0];
    expect(audio.rtp).toContainEqual({ payload: 111, codec: 'opus', rate: 48000, encoding: 2 });
    expect(audio.fmtp).toContainEqual({ payload: 111, config: 'minptime=10' });
    expect(String(audio.payloads)).toBe('111 110');
  });

  it('falls back to G.722, then G.711, by preference', () => {
    expect(negotiateAnswer(offer, { ...LOCAL, codecPreference: ['G722', 'opus'] }).codec.name).toBe('G722');
    const g711 = negotiateAnswer(offer, { ...LOCAL, codecPreference: ['PCMA', 'PCMU'] });
    expect([g711.codec.name, g711.payloadType, g711.telephoneEvent]).toEqual(['PCMU', 0, { payloadType: 101, clockRate: 8000 }]);
  });
});
