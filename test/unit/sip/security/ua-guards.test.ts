/** The user agent with its guards on: admission before transactions, scanners and limits through the shared ingress. */
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../../src/core/clock.js';
import { silentLogger } from '../../../../src/core/logger.js';
import type { SipGuardReason } from '../../../../src/sip/security/ingress.js';
import type { AdmitVerdict } from '../../../../src/sip/security/options.js';
import { SipUserAgent } from '../../../../src/sip/ua/user-agent.js';
import { RawPeer, requestText } from '../helpers/raw-uac.js';

let ua: SipUserAgent | undefined;
let peer: RawPeer | undefined;
afterEach(async () => {
  await ua?.stop();
  await peer?.close();
  ua = undefined;
  peer = undefined;
});

async function start(admit: () => AdmitVerdict) {
  const seen: SipGuardReason[] = [];
  ua = new SipUserAgent({
    clock: new ManualClock(),
    logger: silentLogger(),
    listen: [{ transport: 'udp', host: '127.0.0.1', port: 0 }],
    security: { admit, scannerUserAgents: ['friendly-scanner'], observer: { rejected: (r) => seen.push(r) } },
  });
  await ua.start();
  peer = new RawPeer();
  await peer.bind();
  return { port: ua.boundAddresses()[0].port, seen, peer };
}

describe('SipUserAgent guards', () => {
  it('hidden: out-of-dialog OPTIONS and REGISTER get no answer; an in-dialog request still gets its 481', async () => {
    const { port, seen, peer } = await start(() => 'hidden');
    peer.send(requestText({ method: 'OPTIONS', branch: 'z9hG4bKh1', callId: 'h1', cseq: 1, port: peer.port }), port);
    peer.send(requestText({ method: 'REGISTER', uri: 'sip:127.0.0.1', branch: 'z9hG4bKh2', callId: 'h2', cseq: 1, port: peer.port }), port);
    peer.send(requestText({ method: 'BYE', branch: 'z9hG4bKh3', callId: 'h3', cseq: 2, toTag: 'nodialog', port: peer.port }), port);
    const answer = await peer.response(481, 'BYE');
    expect(answer.headers.get('Call-ID')).toBe('h3');
    await peer.settle();
    expect(peer.pending()).toEqual([]);
    expect(seen).toEqual(['hidden', 'hidden']);
  });

  it('accept: OPTIONS answered 200; a scanner User-Agent is dropped before the UA sees it', async () => {
    const { port, seen, peer } = await start(() => 'accept');
    peer.send(requestText({ method: 'OPTIONS', branch: 'z9hG4bKa1', callId: 'a1', cseq: 1, port: peer.port, extra: ['User-Agent: friendly-scanner'] }), port);
    peer.send(requestText({ method: 'OPTIONS', branch: 'z9hG4bKa2', callId: 'a2', cseq: 1, port: peer.port }), port);
    const ok = await peer.response(200, 'OPTIONS');
    expect(ok.headers.get('Call-ID')).toBe('a2');
    await peer.settle();
    expect(peer.pending()).toEqual([]);
    expect(seen).toEqual(['scanner']);
  });

  it('locked-out: an INVITE gets nothing, not even 100 Trying', async () => {
    const { port, seen, peer } = await start(() => 'locked-out');
    peer.send(requestText({ method: 'INVITE', branch: 'z9hG4bKl1', callId: 'l1', cseq: 1, port: peer.port }), port);
    await expect(peer.response(undefined, undefined, 300)).rejects.toThrow(/timed out/);
    expect(seen).toEqual(['locked-out']);
  });
});
