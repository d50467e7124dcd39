import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { IncomingCallSignal } from '../../../src/calls/signaling.js';
import { ManualClock } from '../../../src/core/clock.js';
import { TransactionTimeoutError } from '../../../src/core/errors.js';
import { silentLogger } from '../../../src/core/logger.js';
import { toOf, tagOf, viasOf } from '../../../src/sip/message/accessors.js';
import { SipUserAgent } from '../../../src/sip/ua/user-agent.js';
import { RawPeer, requestText, SDP_ANSWER, SDP_OFFER } from './helpers/raw-uac.js';
import { waitFor } from '../../helpers/wait-for.js';

let clock: ManualClock;
let ua: SipUserAgent;
let peer: RawPeer;
let uaPort: number;
let calls: IncomingCallSignal[];
let seq = 0;

function ids() {
  seq++;
  return { callId: `call-${seq}-${Date.now()}@127.0.0.1`, branch: `z9hG4bKtest${seq}x${Date.now()}` };
}

beforeEach(async () => {
  clock = new ManualClock();
  ua = new SipUserAgent({
    clock,
    logger: silentLogger(),
    listen: [{ transport: 'udp', host: '127.0.0.1', port: 0 }],
    userAgent: 'trunkbridge-test',
  });
  calls = [];
  ua.onIncomingCall((c) => calls.push(c));
  await ua.start();
  uaPort = ua.boundAddresses()[0].port;
  peer = new RawPeer();
  await peer.bind();
});

afterEach(async () => {
  await ua.stop();
  await peer.close();
});


/** INVITE → 100 → call handed to the handler. */
async function invite(extra: string[] = []) {
  const id = ids();
  peer.send(requestText({ method: 'INVITE', cseq: 1, port: peer.port, body: SDP_OFFER, extra, ...id }), uaPort);
  const trying = await peer.response(100);
  const call = await waitFor(() => calls.find((c) => c.callId === id.callId), { timeoutMs: 2000, intervalMs: 5, what: 'the call' });
  return { ...id, trying, call };
}

describe('SipUserAgent on loopback', () => {
  it('reports the bound port', () => {
    expect(ua.boundAddresses()).toEqual([{ address: '127.0.0.1', port: uaPort, transport: 'udp' }]);
    expect(uaPort).toBeGreaterThan(0);
  });

  it('INVITE → 100, accept → 200 retransmitted until ACK, BYE → 200 + bye/terminated', async () => {
    const { callId, branch, trying, call } = await invite(['Record-Route: <sip:proxy.example.com;lr>', 'X-Agent-ID: sales']);
    // 100 Trying: no To tag, Via copied with received/rport filled (RFC 3581).
    expect(tagOf(toOf(trying))).toBeUndefined();
    const via = viasOf(trying)[0];
    expect(via.params.get('branch')).toBe(branch);
    expect(via.params.get('rport')).toBe(String(peer.port));
    expect(via.params.get('received')).toBe('127.0.0.1');
    // The call as call control sees it.
    expect(call.from).toEqual({ user: '+15550199', host: '127.0.0.1', uri: 'sip:%2B15550199@127.0.0.1', displayName: 'Alice' });
    expect(call.requestUri.user).toBe('+15550100');
    expect(call.sdp).toBe(SDP_OFFER);
    expect(call.header('x-agent-id')).toBe('sales');
    expect(call.header('i')).toBe(callId);
    expect(call.headers.find(([n]) => n === 'Call-ID')?.[1]).toBe(callId);
    expect(call.source).toEqual({ address: '127.0.0.1', port: peer.port, transport: 'udp' });

    const accepted = call.accept(SDP_ANSWER);
    const ok = await peer.response(200, 'INVITE');
    const toTag = tagOf(toOf(ok));
    expect(toTag).toBeTruthy();
    expect(ok.headers.get('Contact')).toBe(`<sip:127.0.0.1:${uaPort}>`);
    expect(ok.headers.get('Content-Type')).toBe('application/sdp');
    expect(ok.headers.get('Allow')).toContain('INVITE');
    expect(ok.headers.has('Supported')).toBe(true);
    expect(ok.headers.get('Record-Route')).toBe('<sip:proxy.example.com;lr>');
    expect(ok.headers.get('Server')).toBe('trunkbridge-test');
    expect(ok.body.toString()).toBe(SDP_ANSWER);

    // Timer G style 2xx retransmission: T1, then 2*T1 ...
    clock.advance(500);
    const re1 = await peer.response(200, 'INVITE');
    expect(tagOf(toOf(re1))).toBe(toTag);
    clock.advance(1000);
    await peer.response(200, 'INVITE');

    peer.send(requestText({ method: 'ACK', cseq: 1, port: peer.port, callId, branch: 'z9hG4bKack1', toTag }), uaPort);
    const dialog = await accepted;
    expect(dialog.callId).toBe(callId);
    expect(dialog.terminated).toBe(false);
    clock.advance(10_000);
    await peer.settle();
    expect(peer.pending().filter((m) => m.kind === 'response' && m.status === 200)).toHaveLength(0);

    const events: string[] = [];
    dialog.on('bye', () => events.push('bye'));
    dialog.on('terminated', (reason) => events.push(`terminated:${reason}`));
    peer.send(requestText({ method: 'BYE', cseq: 2, port: peer.port, callId, branch: 'z9hG4bKbye1', toTag }), uaPort);
    const byeOk = await peer.response(200, 'BYE');
    expect(tagOf(toOf(byeOk))).toBe(toTag);
    expect(events).toEqual(['bye', 'terminated:remote-bye']);
    expect(dialog.terminated).toBe(true);

    // Everything is cleaned up once the transaction timers run out.
    clock.advance(64 * 500 + 1);
    expect(ua.stats()).toEqual({ serverTransactions: 0, clientTransactions: 0, dialogs: 0, ackWaiters: 0 });
    expect(clock.pending()).toBe(0);
  });

  it('CANCEL → 200 to CANCEL, 487 to INVITE, cancel event', async () => {
    const { callId, branch, call } = await invite();
    let cancelled = 0;
    call.on('cancel', () => cancelled++);
    peer.send(requestText({ method: 'CANCEL', cseq: 1, port: peer.port, callId, branch }), uaPort);
    const cancelOk = await peer.response(200, 'CANCEL');
    const terminated = await peer.response(487, 'INVITE');
    expect(tagOf(toOf(terminated))).toBe(tagOf(toOf(cancelOk)));
    expect(cancelled).toBe(1);
    expect(call.cancelled).toBe(true);
    await expect(call.accept(SDP_ANSWER)).rejects.toMatchObject({ sipStatus: 487 });
    // ACK for the 487 is absorbed by the INVITE server transaction; 487 not retransmitted afterwards.
    peer.send(requestText({ method: 'ACK', cseq: 1, port: peer.port, callId, branch, toTag: tagOf(toOf(terminated)) }), uaPort);
    await peer.settle();
    clock.advance(4000);
    await peer.settle();
    expect(peer.pending().filter((m) => m.kind === 'response')).toHaveLength(0);
    clock.advance(64 * 500);
    expect(ua.stats().serverTransactions).toBe(0);
  });

  it('CANCEL matching nothing → 481', async () => {
    const id = ids();
    peer.send(requestText({ method: 'CANCEL', cseq: 1, port: peer.port, ...id }), uaPort);
    await peer.response(481, 'CANCEL');
  });

  it('reject → final response, retransmitted INVITE gets the same answer, 487-style G retransmits until ACK', async () => {
    const { callId, branch, call } = await invite();
    call.reject(486);
    call.reject(500); // ignored
    const busy = await peer.response(486, 'INVITE');
    peer.send(requestText({ method: 'INVITE', cseq: 1, port: peer.port, body: SDP_OFFER, callId, branch }), uaPort);
    const again = await peer.response(486, 'INVITE');
    expect(tagOf(toOf(again))).toBe(tagOf(toOf(busy)));
    clock.advance(500); // Timer G
    await peer.response(486, 'INVITE');
    expect(calls.filter((c) => c.callId === callId)).toHaveLength(1);
  });

  it('OPTIONS → 200 with Allow and Accept', async () => {
    const id = ids();
    peer.send(requestText({ method: 'OPTIONS', cseq: 1, port: peer.port, ...id }), uaPort);
    const res = await peer.response(200, 'OPTIONS');
    expect(res.headers.get('Allow')).toBe('INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE, INFO, NOTIFY');
    expect(res.headers.get('Accept')).toBe('application/sdp');
    expect(tagOf(toOf(res))).toBeTruthy();
    expect(res.headers.get('Content-Length')).toBe('0');
  });

  it('out of service (draining): OPTIONS → 503 with Retry-After', async () => {
    ua.outOfService(12);
    peer.send(requestText({ method: 'OPTIONS', cseq: 1, port: peer.port, ...ids() }), uaPort);
    const res = await peer.response(503, 'OPTIONS');
    expect(res.headers.get('Retry-After')).toBe('12');
  });

  it('unknown method → 501, known but unserved → 405 with Allow', async () => {
    peer.send(requestText({ method: 'FOO', cseq: 1, port: peer.port, ...ids() }), uaPort);
    await peer.response(501, 'FOO');
    peer.send(requestText({ method: 'REGISTER', cseq: 1, port: peer.port, ...ids() }), uaPort);
    const res = await peer.response(405, 'REGISTER');
    expect(res.headers.get('Allow')).toContain('BYE');
  });

  it('BYE for an unknown dialog → 481', async () => {
    peer.send(requestText({ method: 'BYE', cseq: 2, port: peer.port, toTag: 'nope', ...ids() }), uaPort);
    await peer.response(481, 'BYE');
  });

  it('Max-Forwards 0 → 483; unsupported Require → 420 with Unsupported', async () => {
    peer.send(requestText({ method: 'OPTIONS', cseq: 1, port: peer.port, maxForwards: 0, ...ids() }), uaPort);
    await peer.response(483, 'OPTIONS');
    peer.send(requestText({ method: 'INVITE', cseq: 1, port: peer.port, extra: ['Require: 100rel, foo'], ...ids() }), uaPort);
    const res = await peer.response(420, 'INVITE');
    expect(res.headers.get('Unsupported')).toBe('100rel, foo');
  });

  it('garbage and malformed datagrams do not stop the transport; a routable bad request gets 400', async () => {
    peer.send(Buffer.from([0x00, 0xff, 0x13, 0x37, 0x0d, 0x0a]), uaPort);
    const id = ids();
    const bad = requestText({ method: 'OPTIONS', cseq: 1, port: peer.port, ...id }).replace('Content-Length: 0', 'Content-Length: 50');
    peer.send(bad, uaPort);
    const res = await peer.response(400, 'OPTIONS');
    expect(res.reason).toContain('Content-Length');
    peer.send(requestText({ method: 'OPTIONS', cseq: 2, port: peer.port, ...ids() }), uaPort);
    await peer.response(200, 'OPTIONS');
  });

  it('hangup() sends BYE to the remote target and resolves on 200', async () => {
    const { callId, call } = await invite();
    const accepted = call.accept(SDP_ANSWER);
    const ok = await peer.response(200, 'INVITE');
    const toTag = tagOf(toOf(ok));
    peer.send(requestText({ method: 'ACK', cseq: 1, port: peer.port, callId, branch: 'z9hG4bKack2', toTag }), uaPort);
    const dialog = await accepted;
    const reasons: string[] = [];
    dialog.on('terminated', (r) => reasons.push(r));
    const done = dialog.hangup();
    expect(dialog.hangup()).toBe(done);
    const bye = await peer.request('BYE');
    expect(bye.uri).toBe(`sip:alice@127.0.0.1:${peer.port}`);
    expect(bye.headers.get('From')).toContain(`tag=${toTag}`);
    expect(bye.headers.get('To')).toContain('tag=alice1');
    expect(bye.headers.get('Call-ID')).toBe(callId);
    const via = bye.headers.get('Via') ?? '';
    expect(via).toMatch(/^SIP\/2\.0\/UDP 127\.0\.0\.1:\d+;branch=z9hG4bK/);
    const resp = [
      'SIP/2.0 200 OK',
      `Via: ${via}`,
      `From: ${bye.headers.get('From')}`,
      `To: ${bye.headers.get('To')}`,
      `Call-ID: ${callId}`,
      `CSeq: ${bye.headers.get('CSeq')}`,
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n');
    peer.send(resp, uaPort);
    await done;
    expect(reasons).toEqual(['local-bye']);
    expect(dialog.terminated).toBe(true);
  });

  it('no ACK within 64*T1 → accept rejects with TransactionTimeoutError and a BYE goes out', async () => {
    const { call } = await invite();
    const accepted = call.accept(SDP_ANSWER);
    const failure = accepted.catch((e: unknown) => e);
    await peer.response(200, 'INVITE');
    clock.advance(64 * 500);
    expect(await failure).toBeInstanceOf(TransactionTimeoutError);
    const bye = await peer.request('BYE');
    expect(bye.method).toBe('BYE');
  });

  it('re-INVITE without listener → 200 with the last local SDP; with listener → our answer', async () => {
    const { callId, call } = await invite();
    const accepted = call.accept(SDP_ANSWER);
    const toTag = tagOf(toOf(await peer.response(200, 'INVITE')));
    peer.send(requestText({ method: 'ACK', cseq: 1, port: peer.port, callId, branch: 'z9hG4bKack3', toTag }), uaPort);
    const dialog = await accepted;

    peer.send(requestText({ method: 'INVITE', cseq: 2, port: peer.port, callId, branch: 'z9hG4bKre1', toTag, body: SDP_OFFER }), uaPort);
    const re1 = await peer.next((m) => m.kind === 'response' && m.status === 200 && m.headers.get('CSeq') === '2 INVITE');
    expect(re1.body.toString()).toBe(SDP_ANSWER);
    peer.send(requestText({ method: 'ACK', cseq: 2, port: peer.port, callId, branch: 'z9hG4bKack4', toTag }), uaPort);

    const offers: Array<string | undefined> = [];
    dialog.on('reinvite', (offer, answer) => {
      offers.push(offer);
      answer('v=0\r\ns=new\r\n');
    });
    peer.send(requestText({ method: 'INVITE', cseq: 3, port: peer.port, callId, branch: 'z9hG4bKre2', toTag, body: SDP_OFFER }), uaPort);
    const re2 = await peer.next((m) => m.kind === 'response' && m.status === 200 && m.headers.get('CSeq') === '3 INVITE');
    expect(re2.body.toString()).toBe('v=0\r\ns=new\r\n');
    expect(offers).toEqual([SDP_OFFER]);
  });

  it('stop() is safe twice and leaves no timers', async () => {
    const { call } = await invite();
    const accepted = call.accept(SDP_ANSWER).catch((e: unknown) => e);
    await peer.response(200, 'INVITE');
    await ua.stop();
    await ua.stop();
    expect(await accepted).toMatchObject({ sipStatus: 503 });
    expect(clock.pending()).toBe(0);
  });
});
