import sdpTransform from 'sdp-transform';
import { describe, expect, it } from 'vitest';
import { CodecNegotiationError, SdpError } from '../../../src/core/errors.js';
import { createOffer, negotiateAnswer, parseAnswer } from '../../../src/sdp/index.js';

describe('createOffer', () => {
  it('offers static payload types with rtpmap, telephone-event 101, ptime and sendrecv', () => {
    const sdp = createOffer({ localAddress: '192.0.2.1', localPort: 20002, codecs: ['PCMU', 'PCMA'], sessionId: 77 });
    const p = sdpTransform.parse(sdp);
    expect(p.origin).toMatchObject({ sessionId: 77, address: '192.0.2.1' });
    expect(p.media).toHaveLength(1);
    expect(p.media[0]).toMatchObject({ type: 'audio', port: 20002, protocol: 'RTP/AVP', payloads: '0 8 101', ptime: 20, direction: 'sendrecv' });
    expect(p.media[0].rtp).toEqual([
      { payload: 0, codec: 'PCMU', rate: 8000 },
      { payload: 8, codec: 'PCMA', rate: 8000 },
      { payload: 101, codec: 'telephone-event', rate: 8000 },
    ]);
    expect(p.media[0].fmtp).toEqual([{ payload: 101, config: '0-16' }]);
  });

  it('can leave out telephone-event and rejects unknown codecs', () => {
    const sdp = createOffer({ localAddress: '2001:db8::1', localPort: 20002, codecs: ['PCMA'], telephoneEvent: false });
    expect(sdp).toContain('m=audio 20002 RTP/AVP 8\r\n');
    expect(sdp).toContain('c=IN IP6 2001:db8::1\r\n');
    expect(() => createOffer({ localAddress: '192.0.2.1', localPort: 1, codecs: ['G729'] })).toThrow(CodecNegotiationError);
  });

  it('round-trips: our offer, answered by our own negotiator, parsed back', () => {
    const offer = createOffer({ localAddress: '192.0.2.1', localPort: 20002, codecs: ['PCMU', 'PCMA'] });
    const answered = negotiateAnswer(offer, { localAddress: '192.0.2.2', localPort: 30000, codecPreference: ['PCMA'] });
    const back = parseAnswer(['PCMU', 'PCMA'], answered.answerSdp);
    expect(back.codec.name).toBe('PCMA');
    expect(back).toMatchObject({ payloadType: 8, telephoneEventPayloadType: 101, remote: { address: '192.0.2.2', port: 30000 }, ptimeMs: 20, direction: 'sendrecv' });
  });
});

describe('parseAnswer', () => {
  it("takes the answer's first codec that we offered", () => {
    const answer = 'v=0\r\no=- 1 1 IN IP4 192.0.2.9\r\ns=-\r\nc=IN IP4 192.0.2.9\r\nt=0 0\r\nm=audio 7000 RTP/AVP 8 0\r\na=ptime:40\r\na=recvonly\r\n';
    const r = parseAnswer(['PCMU', 'PCMA'], answer);
    expect(r.codec.name).toBe('PCMA');
    expect(r).toMatchObject({ payloadType: 8, remote: { address: '192.0.2.9', port: 7000 }, ptimeMs: 40, direction: 'recvonly' });
    expect(r.telephoneEventPayloadType).toBeUndefined();
  });

  it('rejects answers without a usable stream or codec', () => {
    const head = 'v=0\r\no=- 1 1 IN IP4 192.0.2.9\r\ns=-\r\nc=IN IP4 192.0.2.9\r\nt=0 0\r\n';
    expect(() => parseAnswer(['PCMU'], head + 'm=audio 0 RTP/AVP 0\r\n')).toThrow(SdpError);
    expect(() => parseAnswer(['PCMU'], head + 'm=audio 7000 RTP/AVP 8\r\n')).toThrow(CodecNegotiationError);
  });
});
