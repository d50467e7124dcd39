/** UAC INVITE through the real UA on loopback, with a raw UDP peer as the callee/carrier and a ManualClock. */
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/logger.js';
import { buildResponse } from '../../../src/sip/message/build.js';
import { serializeSipMessage } from '../../../src/sip/message/serialize.js';
import type { SipRequest } from '../../../src/sip/message/types.js';
import { SipUserAgent } from '../../../src/sip/ua/user-agent.js';
import { RawPeer, SDP_ANSWER, SDP_OFFER } from './helpers/raw-uac.js';

const md5 = (s: string) => createHash('md5').update(s).digest('hex');

let ua: SipUserAgent | undefined;
let peer: RawPeer | undefined;

afterEach(async () => {
  await ua?.stop();
  await peer?.close();
  ua = undefined;
  peer = undefined;
});

async function setup() {
  const clock = new ManualClock();
  ua = new SipUserAgent({ clock, logger: silentLogger(), listen: [{ transport: 'udp', host: '127.0.0.1', port: 0 }] });
  ua.onIncomingCall(() => {});
  await ua.start();
  peer = new RawPeer();
  await peer.bind();
  const uaPort = ua.boundAddresses()[0].port;
  const p = peer;
  const reply = (req: SipRequest, status: number, extra: Array<[string, string]> = [], body?: string) => {
    const res = buildResponse(req, status, {
      toTag: 'callee1',
      headers: [['Contact', `<sip:callee@127.0.0.1:${p.port}>`], ...extra],
      ...(body ? { body, contentType: 'application/sdp' } : {}),
    });
    p.send(serializeSipMessage(res), uaPort);
  };
  const call = (extra: Partial<Parameters<SipUserAgent['placeCall']>[0]> = {}) =>
    (ua as SipUserAgent).placeCall({
      requestUri: `sip:+15557654321@127.0.0.1:${p.port}`,
      fromUri: 'sip:+15550100@127.0.0.1',
      nextHop: { host: '127.0.0.1', port: p.port, transport: 'udp' },
      sdp: SDP_OFFER,
      ringTimeoutMs: 20_000,
      ...extra,
    });
  return { clock, uaPort, peer: p, reply, call };
}

/** Places a call, has the callee ring and cancels it: the INVITE and our CANCEL as the callee got them. */
async function ringAndCancel(f: Awaited<ReturnType<typeof setup>>): Promise<{ inv: SipRequest; cancel: SipRequest }> {
  const out = f.call();
  const inv = await f.peer.request('INVITE');
  f.reply(inv, 180);
  await f.peer.settle();
  out.cancel();
  await expect(out.answered).rejects.toMatchObject({ sipStatus: 487, reason: 'cancelled' });
  return { inv, cancel: await f.peer.request('CANCEL') };
}

describe('OutgoingCall (UAC INVITE)', () => {
  it('reports 180/183 with early SDP, ACKs the 2xx in the dialog, and BYEs the callee contact', async () => {
    const { peer, reply, call } = await setup();
    const out = call({ headers: [['X-Campaign', '7']] });
    const progress: Array<[number, string | undefined]> = [];
    out.on('progress', (s: number, sdp: string | undefined) => progress.push([s, sdp]));
    const inv = await peer.request('INVITE');
    expect(inv.uri).toBe(`sip:+15557654321@127.0.0.1:${peer.port}`);
    expect(inv.headers.get('X-Campaign')).toBe('7');
    expect(inv.headers.get('CSeq')).toBe('1 INVITE');
    expect(inv.headers.get('Contact')).toMatch(/^<sip:\+15550100@127\.0\.0\.1:\d+>$/);
    expect(inv.body.toString()).toBe(SDP_OFFER);
    reply(inv, 100);
    reply(inv, 180);
    reply(inv, 183, [], SDP_ANSWER);
    reply(inv, 200, [['Record-Route', `<sip:127.0.0.1:${peer.port};lr>`]], SDP_ANSWER);
    const answered = await out.answered;
    expect(answered.sdp).toBe(SDP_ANSWER);
    expect(progress).toEqual([[180, undefined], [183, SDP_ANSWER]]);
    // Route set from Record-Route: the ACK carries it and keeps the INVITE's CSeq number.
    const ack = await peer.request('ACK');
    expect(ack.headers.get('CSeq')).toBe('1 ACK');
    expect(ack.headers.get('To')).toContain('tag=callee1');
    expect(ack.headers.get('Route')).toBe(`<sip:127.0.0.1:${peer.port};lr>`);
    expect(ack.uri).toBe(`sip:callee@127.0.0.1:${peer.port}`);
    // A retransmitted 2xx is ACKed again.
    reply(inv, 200, [], SDP_ANSWER);
    expect((await peer.request('ACK')).headers.get('CSeq')).toBe('1 ACK');
    expect(answered.dialog.terminated).toBe(false);
    const hangup = answered.dialog.hangup();
    const bye = await peer.request('BYE');
    expect(bye.uri).toBe(`sip:callee@127.0.0.1:${peer.port}`);
    expect(Number(bye.headers.get('CSeq')?.split(' ')[0])).toBeGreaterThan(1);
    reply(bye, 200);
    await hangup;
    expect(answered.dialog.terminated).toBe(true);
  });

  it('answers a 407 with Proxy-Authorization (same Call-ID, CSeq 2) and fails with the final status', async () => {
    const { peer, reply, call } = await setup();
    const out = call({ credentials: { username: 'alice', password: 'secret' } });
    const inv1 = await peer.request('INVITE');
    reply(inv1, 407, [['Proxy-Authenticate', 'Digest realm="carrier", nonce="n-1", qop="auth"']]);
    expect((await peer.request('ACK')).headers.get('CSeq')).toBe('1 ACK'); // transaction ACK for the 407
    const inv2 = await peer.request('INVITE');
    expect(inv2.headers.get('Call-ID')).toBe(inv1.headers.get('Call-ID'));
    expect(inv2.headers.get('CSeq')).toBe('2 INVITE');
    const auth = inv2.headers.get('Proxy-Authorization') ?? '';
    const field = (k: string) => new RegExp(`${k}="?([^",]+)"?`).exec(auth)?.[1] ?? '';
    const ha1 = md5('alice:carrier:secret');
    const ha2 = md5(`INVITE:${inv2.uri}`);
    expect(field('uri')).toBe(inv2.uri);
    expect(field('response')).toBe(md5(`${ha1}:n-1:${field('nc')}:${field('cnonce')}:auth:${ha2}`));
    reply(inv2, 486);
    await expect(out.answered).rejects.toMatchObject({ sipStatus: 486, reason: 'busy-here' });
  });

  it('gives up when the same nonce is challenged again (wrong password): 401', async () => {
    const { peer, reply, call } = await setup();
    const out = call({ credentials: { username: 'alice', password: 'wrong' } });
    const challenge: [string, string] = ['WWW-Authenticate', 'Digest realm="pbx", nonce="same", algorithm=SHA-256'];
    reply(await peer.request('INVITE'), 401, [challenge]);
    const inv2 = await peer.request('INVITE');
    expect(inv2.headers.get('Authorization')).toMatch(/algorithm=SHA-256/);
    reply(inv2, 401, [challenge]);
    await expect(out.answered).rejects.toMatchObject({ sipStatus: 401 });
  });

  it('CANCELs on ring timeout with the INVITE branch and fails with 408 "timeout"', async () => {
    const { clock, peer, reply, call } = await setup();
    const out = call({ ringTimeoutMs: 5000 });
    const inv = await peer.request('INVITE');
    reply(inv, 180);
    await peer.settle();
    clock.advance(5000);
    await expect(out.answered).rejects.toMatchObject({ sipStatus: 408, reason: 'timeout' });
    const cancel = await peer.request('CANCEL');
    expect(cancel.headers.get('Via')).toBe(inv.headers.get('Via'));
    expect(cancel.headers.get('CSeq')).toBe('1 CANCEL');
    expect(cancel.uri).toBe(inv.uri);
    reply(cancel, 200);
    reply(inv, 487);
    expect((await peer.request('ACK')).headers.get('CSeq')).toBe('1 ACK');
  });

  it("stopping the UA waits for a CANCELled INVITE's 487 and ACKs it before closing", async () => {
    const f = await setup();
    const { peer, reply } = f;
    const { inv, cancel } = await ringAndCancel(f);
    let stopped = false;
    const stopping = ua!.stop().then(() => (stopped = true));
    await peer.settle();
    expect(stopped).toBe(false);
    reply(cancel, 200);
    reply(inv, 487);
    expect((await peer.request('ACK')).headers.get('CSeq')).toBe('1 ACK');
    await stopping;
  });

  it('a far end that never answers our CANCEL holds the stop only 2 s on the clock', async () => {
    const f = await setup();
    const { clock, peer } = f;
    await ringAndCancel(f);
    let stopped = false;
    const stopping = ua!.stop().then(() => (stopped = true));
    clock.advance(1999);
    await peer.settle();
    expect(stopped).toBe(false);
    clock.advance(1);
    await stopping;
    expect(stopped).toBe(true);
  });

  it('a 2xx that crosses our CANCEL is ACKed and hung up', async () => {
    const f = await setup();
    const { peer, reply } = f;
    const { inv } = await ringAndCancel(f);
    reply(inv, 200, [], SDP_ANSWER);
    await peer.request('ACK');
    const bye = await peer.request('BYE');
    expect(bye.headers.get('To')).toContain('tag=callee1');
  });
});
