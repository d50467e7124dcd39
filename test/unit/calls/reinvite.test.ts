import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/core/logger.js';
import { handleReinvites, withNextVersion } from '../../../src/calls/reinvite.js';
import type { DialogSignal } from '../../../src/calls/signaling.js';
import type { MediaDirection } from '../../../src/sdp/index.js';
import type { CodecSwitch } from '../../../src/media/media-session.js';

const offer = (dir: string, port = 4000, addr = '127.0.0.1', pts = '0') =>
  `v=0\r\no=peer 1 2 IN IP4 ${addr}\r\ns=-\r\nc=IN IP4 ${addr}\r\nt=0 0\r\nm=audio ${port} RTP/AVP ${pts}\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\na=${dir}\r\n`;

function setup(codecPreference?: string[]) {
  const dialog = new EventEmitter() as unknown as DialogSignal;
  const calls: Array<['remote', { address: string; port: number }] | ['direction', MediaDirection] | ['codec', string, number, number | undefined]> = [];
  const media = {
    updateRemote: (r: { address: string; port: number }) => calls.push(['remote', r]),
    setDirection: (d: MediaDirection) => calls.push(['direction', d]),
    switchCodec: (c: CodecSwitch) => calls.push(['codec', c.codec.name, c.payloadType, c.telephoneEvent?.payloadType]),
  };
  handleReinvites(dialog, media, { localAddress: '127.0.0.9', localPort: 20000, codecName: 'PCMU', payloadType: 0, ...(codecPreference ? { codecPreference } : {}), remote: { address: '127.0.0.1', port: 4000 }, localSdp: 'v=0\r\no=trunkbridge 77 5 IN IP4 127.0.0.9\r\n' }, silentLogger());
  const reinvite = (sdp: string | undefined) => {
    let result: { answer?: string; reject?: number } = {};
    (dialog as unknown as EventEmitter).emit('reinvite', sdp, (a: string) => (result = { answer: a }), (s: number) => (result = { reject: s }));
    return result;
  };
  return { calls, reinvite };
}

describe('handleReinvites', () => {
  it('holds on sendonly/inactive/c=0.0.0.0, resumes on sendrecv, moves to a new port, bumps the o= version', () => {
    const { calls, reinvite } = setup();
    const a1 = reinvite(offer('sendonly'));
    expect(a1.answer).toMatch(/a=recvonly/);
    expect(a1.answer).toMatch(/^o=trunkbridge 77 6 /m);
    expect(reinvite(offer('inactive')).answer).toMatch(/^o=trunkbridge 77 7 /m);
    reinvite(offer('sendrecv', 4000, '0.0.0.0'));
    reinvite(offer('sendrecv', 4002));
    expect(calls).toEqual([
      ['direction', 'recvonly'],
      ['direction', 'inactive'],
      ['direction', 'inactive'],
      ['remote', { address: '127.0.0.1', port: 4002 }],
      ['direction', 'sendrecv'],
    ]);
  });

  it('switches codec when the offer drops the running one, choosing by the call preference; keeps it while offered', () => {
    const { calls, reinvite } = setup(['G722', 'PCMU', 'PCMA']);
    const g722 = offer('sendrecv', 4000, '127.0.0.1', '0 8 9 101').replace('a=sendrecv', 'a=rtpmap:9 G722/8000\r\na=rtpmap:101 telephone-event/8000\r\na=sendrecv');
    // PCMU still offered: kept, although the trunk prefers G.722.
    const kept = reinvite(g722);
    expect(kept.answer).toMatch(/^m=audio 20000 RTP\/AVP 0 101\r$/m);
    // Only PCMA: switch to it; the answer selects it and the o= version goes up.
    const a = reinvite(offer('sendrecv', 4000, '127.0.0.1', '8'));
    expect(a.answer).toMatch(/^m=audio 20000 RTP\/AVP 8\r$/m);
    expect(a.answer).toMatch(/^o=trunkbridge 77 7 /m);
    // PCMA dropped again, G.722 and PCMU offered: the preference picks G.722 (with telephone-event).
    expect(reinvite(g722.replace('RTP/AVP 0 8 9 101', 'RTP/AVP 0 9 101')).answer).toMatch(/^m=audio 20000 RTP\/AVP 9 101\r$/m);
    // Same codec under another payload type number: the media session follows the number.
    const pcmu96 = offer('sendrecv', 4000, '127.0.0.1', '96').replace('a=rtpmap:0 PCMU/8000', 'a=rtpmap:96 PCMU/8000');
    reinvite(g722.replace('RTP/AVP 0 8 9 101', 'RTP/AVP 8 101')); // back to PCMA
    expect(reinvite(pcmu96).answer).toMatch(/^m=audio 20000 RTP\/AVP 96\r$/m);
    expect(calls.filter((c) => c[0] === 'codec')).toEqual([
      ['codec', 'PCMA', 8, undefined],
      ['codec', 'G722', 9, 101],
      ['codec', 'PCMA', 8, 101],
      ['codec', 'PCMU', 96, undefined],
    ]);
  });

  it('refuses an offer with none of our codecs with 488 (session unchanged), answers a no-offer re-INVITE with our SDP', () => {
    const { calls, reinvite } = setup();
    expect(reinvite(offer('sendrecv', 4000, '127.0.0.1', '9').replace('a=sendrecv', 'a=rtpmap:9 G722/8000\r\na=sendrecv'))).toEqual({ reject: 488 });
    expect(reinvite(offer('sendrecv', 4000, '127.0.0.1', '8'))).toEqual({ reject: 488 });
    expect(reinvite(undefined).answer).toMatch(/^o=trunkbridge 77 5 /m);
    expect(calls).toEqual([]);
  });

  it('an SRTP call: same-key re-offer answered RTP/SAVP with our key again; plain or re-keyed offers get 488', () => {
    const dialog = new EventEmitter();
    const calls: string[] = [];
    const ours = Buffer.alloc(30, 1);
    const theirs = Buffer.alloc(30, 2);
    const media = { updateRemote: () => calls.push('remote'), setDirection: (d: MediaDirection) => calls.push(d), switchCodec: (c: CodecSwitch) => calls.push(c.codec.name) };
    handleReinvites(dialog as unknown as DialogSignal, media, { localAddress: '127.0.0.9', localPort: 20000, codecName: 'PCMU', payloadType: 0, remote: { address: '127.0.0.1', port: 4000 }, localSdp: 'v=0\r\no=trunkbridge 77 5 IN IP4 127.0.0.9\r\n', srtp: { localKeySalt: ours, remoteKeySalt: theirs } }, silentLogger());
    const reinvite = (sdp: string) => {
      let result: { answer?: string; reject?: number } = {};
      dialog.emit('reinvite', sdp, (a: string) => (result = { answer: a }), (s: number) => (result = { reject: s }));
      return result;
    };
    const savp = (dir: string, key: Buffer) => offer(dir).replace('RTP/AVP', 'RTP/SAVP') + `a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${key.toString('base64')}\r\n`;
    const held = reinvite(savp('sendonly', theirs));
    expect(held.answer).toMatch(/m=audio 20000 RTP\/SAVP 0/);
    expect(held.answer).toContain(`a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${ours.toString('base64')}`);
    expect(reinvite(offer('sendrecv'))).toEqual({ reject: 488 });
    expect(reinvite(savp('sendrecv', Buffer.alloc(30, 3)))).toEqual({ reject: 488 });
    expect(calls).toEqual(['recvonly']);
  });

  it('withNextVersion keeps the session id and increments the version', () => {
    expect(withNextVersion('o=a 1 9 IN IP4 x', 'v=0\no=b 2 0 IN IP4 y')).toBe('v=0\no=a 1 10 IN IP4 y');
  });
});
