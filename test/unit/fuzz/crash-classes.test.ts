/**
 * The crash classes issue #12 names, one raw fixture each (fixtures/fuzz/): every one gets a typed refusal with
 * the right SIP status, or a clean parse, and never an exception of another kind. They also seed the fuzzers.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CodecNegotiationError, SdpError, SipParseError, sipStatusOf } from '../../../src/core/errors.js';
import { DIALECTS } from '../../../src/bot/protocols/registry.js';
import { codecRegistry } from '../../../src/media/codecs/index.js';
import { parseRtcpCompound } from '../../../src/media/rtcp/packet.js';
import { parseRtpPacket } from '../../../src/media/rtp/packet.js';
import { fromOf, viasOf } from '../../../src/sip/message/accessors.js';
import { decodeUser } from '../../../src/sip/message/uri.js';
import { parseSipMessage } from '../../../src/sip/parser/parse.js';
import { badRequestFor } from '../../../src/sip/transport/bad-request.js';
import { responseDestination } from '../../../src/sip/transport/response-routing.js';
import { sdpOf } from '../../../src/sip/ua/body.js';
import { negotiateAnswer } from '../../../src/sdp/negotiate.js';
import { FIXTURES } from '../../fuzz/corpus.js';

const sip = (name: string) => readFileSync(`${FIXTURES}fuzz/sip/${name}`);
const sdp = (name: string) => readFileSync(`${FIXTURES}fuzz/sdp/${name}`, 'utf8');
const SOURCE = { address: '192.0.2.10', port: 5060, transport: 'udp' as const };

function negotiate(text: string) {
  return negotiateAnswer(text, { localAddress: '127.0.0.1', localPort: 40000, codecPreference: ['PCMU', 'PCMA'], sessionId: 1 });
}

/** What negotiating the offer threw (or 'ok'), as the class name and SIP status. */
function outcome(text: string): string {
  try {
    negotiate(text);
    return 'ok';
  } catch (err) {
    return `${(err as Error).constructor.name} ${sipStatusOf(err)}`;
  }
}

describe('SDP crash classes answer 488, never a TypeError', () => {
  it.each([
    ['pt-4294967296.sdp', `${CodecNegotiationError.name} 488`],
    ['numeric-connection-address.sdp', `${SdpError.name} 488`],
    ['numeric-profile.sdp', `${SdpError.name} 488`],
    ['numeric-session-parameter.sdp', `${SdpError.name} 488`],
    ['port-out-of-range.sdp', `${SdpError.name} 488`],
  ])('%s -> %s', (file, expected) => {
    expect(outcome(sdp(file))).toBe(expected);
  });

  it('payload type 128 is skipped and the valid PCMU beside it is chosen', () => {
    expect(negotiate(sdp('pt-128-and-pcmu.sdp'))).toMatchObject({ payloadType: 0, codec: { name: 'PCMU' } });
  });

  it('NUL bytes in attribute names: those lines are unknown attributes, the static PCMU still answers', () => {
    const n = negotiate(sdp('nul-attribute-name.sdp'));
    expect(n.payloadType).toBe(0);
    expect(n.ptimeMs).toBe(20);
  });
});

describe('SIP crash classes answer 400 or parse cleanly', () => {
  it.each(['cseq-abcdefg.sip', 'from-user-unparseable.sip'])('%s: SipParseError and a stateless 400 to the sender', (file) => {
    const raw = sip(file);
    let error: unknown;
    try {
      parseSipMessage(raw);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(SipParseError);
    const res = badRequestFor(raw, error as SipParseError, SOURCE, 'trunkbridge');
    expect(res?.status).toBe(400);
    expect(responseDestination(viasOf(res!)[0])).toEqual({ address: '192.0.2.10', port: 5060 });
  });

  it('a comma inside <...> in a Via param: the 400 still has one readable Via (it crashed the UDP intake)', () => {
    const raw = sip('via-comma-in-brackets.sip');
    let error: unknown;
    try {
      parseSipMessage(raw);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(SipParseError); // CSeq method does not match
    const res = badRequestFor(raw, error as SipParseError, SOURCE, 'trunkbridge');
    const vias = viasOf(res!);
    expect(vias).toHaveLength(1);
    expect(vias[0].params.get('x')).toBe('<sip:a@example.com,b>');
    expect(responseDestination(vias[0])).toEqual({ address: '192.0.2.10', port: 5060 });
  });

  it('a From user with a broken %-escape parses and reads as written', () => {
    const msg = parseSipMessage(sip('from-user-bad-escape.sip'));
    expect(decodeUser(fromOf(msg).uri.user)).toBe('%E0%A4%A');
  });

  it.each([
    ['multipart-no-sdp-part.sip', 'multipart body without application/sdp'],
    ['multipart-no-boundary.sip', 'multipart body without boundary'],
  ])('%s: the body is unsupported (415), not a crash', (file, reason) => {
    expect(sdpOf(parseSipMessage(sip(file)))).toEqual({ kind: 'unsupported', reason });
  });

  it('rport=99999 from the client: the answer goes to the sent-by port, not to an invalid one', () => {
    const msg = parseSipMessage(sip('rport-out-of-range.sip'));
    expect(responseDestination(viasOf(msg)[0])).toEqual({ address: '192.0.2.10', port: 5060 });
  });
});

describe('binary lengths larger than the packet', () => {
  it('RTCP: a length field past the datagram is refused', () => {
    const rr = Buffer.from([0x80, 201, 0x00, 0x10, 0, 0, 0, 1]); // says 68 bytes, has 8
    expect(parseRtcpCompound(rr)).toBeNull();
  });

  it('RTCP: an SDES item longer than its packet is refused', () => {
    const pkt = Buffer.from([0x80, 201, 0, 1, 0, 0, 0, 1, 0x81, 202, 0, 2, 0, 0, 0, 1, 1, 200, 0x61, 0x62]);
    expect(parseRtcpCompound(pkt)).toBeNull();
  });

  it('RTP: a header extension longer than the packet is refused', () => {
    const pkt = Buffer.from([0x90, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0xbe, 0xde, 0xff, 0xff, 1, 2, 3, 4]);
    expect(parseRtpPacket(pkt)).toBeNull();
  });

  it('RTP: padding longer than the payload is refused', () => {
    const pkt = Buffer.from([0xa0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 9, 9, 9, 0xff]);
    expect(parseRtpPacket(pkt)).toBeNull();
  });

  it('STUN on the RTP port (first byte 0-3, RFC 7983), its length past the packet: not RTP', () => {
    const binding = Buffer.from('000103e82112a442' + '00'.repeat(12), 'hex'); // says 1000 attribute bytes, has none
    expect(parseRtpPacket(binding)).toBeNull();
  });
});

describe('payloads the decoders must not take as a command', () => {
  it.each([16000, 48000])('an empty Opus payload at %i Hz is no audio, not a burst of concealment', (rate) => {
    const opus = codecRegistry.get('opus')!;
    const decoder = (opus.forSampleRate?.(rate) ?? opus).createDecoder();
    expect(decoder.decode(Buffer.alloc(0))).toHaveLength(0);
  });
});

describe('bot frames nested deeper than the stack', () => {
  const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
  const ctx = { callId: 'c', botName: 'b', sampleRate: 8000, parameters: {}, randomBytes: (n: number) => Buffer.alloc(n), wallClock: () => 0 };
  it.each(Object.keys(DIALECTS))('%s: an array 100,000 deep as the type/action/event is refused or ignored, never thrown', (name) => {
    const codec = DIALECTS[name as keyof typeof DIALECTS].open(ctx);
    for (const key of ['type', 'action', 'event']) {
      const inputs = codec.receive(`{"${key}":${deep}}`);
      for (const input of inputs) expect(['invalid', 'ignored', 'reply']).toContain(input.kind);
    }
  });
});
