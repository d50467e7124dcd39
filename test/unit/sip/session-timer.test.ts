/** RFC 4028 session timers on the UAS: 422, Session-Expires/Require in the 200, refresh by UPDATE, BYE on expiry. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { IncomingCallSignal } from '../../../src/calls/signaling.js';
import { ManualClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/logger.js';
import { tagOf, toOf } from '../../../src/sip/message/accessors.js';
import { buildResponse } from '../../../src/sip/message/build.js';
import { serializeSipMessage } from '../../../src/sip/message/serialize.js';
import { decideSessionTimer, parseSessionExpires } from '../../../src/sip/ua/session-timer.js';
import { SipUserAgent } from '../../../src/sip/ua/user-agent.js';
import { parseSipMessage } from '../../../src/sip/parser/parse.js';
import type { SipRequest } from '../../../src/sip/message/types.js';
import { RawPeer, requestText, SDP_ANSWER, SDP_OFFER } from './helpers/raw-uac.js';
import { waitFor } from '../../helpers/wait-for.js';

let clock: ManualClock;
let ua: SipUserAgent;
let peer: RawPeer;
let uaPort: number;
let calls: IncomingCallSignal[];
let n = 0;

beforeEach(async () => {
  clock = new ManualClock();
  ua = new SipUserAgent({ clock, logger: silentLogger(), listen: [{ transport: 'udp', host: '127.0.0.1', port: 0 }] });
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

async function answeredCall(extra: string[]) {
  n++;
  const callId = `st-${n}-${Date.now()}`;
  peer.send(requestText({ method: 'INVITE', cseq: 1, port: peer.port, callId, branch: `z9hG4bKst${n}`, body: SDP_OFFER, extra }), uaPort);
  await peer.response(100);
  const call = await waitFor(() => calls.find((c) => c.callId === callId), { timeoutMs: 1000, intervalMs: 5, what: `call ${callId}` });
  const accepted = call.accept(SDP_ANSWER);
  const ok = await peer.response(200, 'INVITE');
  const toTag = tagOf(toOf(ok))!;
  peer.send(requestText({ method: 'ACK', cseq: 1, port: peer.port, callId, branch: `z9hG4bKsta${n}`, toTag }), uaPort);
  const dialog = await accepted;
  return { callId, ok, toTag, dialog };
}

describe('session timer decisions', () => {
  const req = (lines: string[]) =>
    parseSipMessage(Buffer.from(requestText({ method: 'INVITE', cseq: 1, port: 5060, callId: 'x', branch: 'z9hG4bKx', extra: lines }))) as SipRequest;
  it('parses Session-Expires', () => {
    expect(parseSessionExpires('1800;refresher=UAC')).toEqual({ seconds: 1800, refresher: 'uac' });
    expect(parseSessionExpires('abc')).toBeUndefined();
  });
  it('no header: none; too small: 422; refresher as asked, else uac when it supports timer, else uas', () => {
    expect(decideSessionTimer(req([]))).toEqual({ kind: 'none' });
    expect(decideSessionTimer(req(['Session-Expires: 60']))).toEqual({ kind: 'too-small', minSE: 90 });
    expect(decideSessionTimer(req(['x: 600', 'Supported: timer']))).toMatchObject({ kind: 'timer', interval: 600, refresher: 'uac' });
    expect(decideSessionTimer(req(['Session-Expires: 600']))).toMatchObject({ refresher: 'uas', peerSupportsTimer: false });
    expect(decideSessionTimer(req(['Session-Expires: 600;refresher=uas', 'Supported: timer']))).toMatchObject({ refresher: 'uas' });
  });
});

describe('session timers on the UA', () => {
  it('answers a Session-Expires below Min-SE with 422 and Min-SE: 90', async () => {
    peer.send(requestText({ method: 'INVITE', cseq: 1, port: peer.port, callId: 'st-422', branch: 'z9hG4bK422', body: SDP_OFFER, extra: ['Session-Expires: 30', 'Supported: timer'] }), uaPort);
    const res = await peer.response(422);
    expect(res.headers.get('Min-SE')).toBe('90');
    expect(calls).toHaveLength(0);
  });

  it('confirms the timer in the 200, takes UPDATE refreshes, and sends BYE when refreshes stop', async () => {
    const { callId, ok, toTag, dialog } = await answeredCall(['Session-Expires: 120;refresher=uac', 'Supported: timer']);
    expect(ok.headers.get('Session-Expires')).toBe('120;refresher=uac');
    expect(ok.headers.get('Require')).toBe('timer');
    expect(ok.headers.get('Supported')).toContain('timer');
    // A refresh at 60 s restarts the timer.
    clock.advance(60_000);
    peer.send(requestText({ method: 'UPDATE', cseq: 2, port: peer.port, callId, branch: 'z9hG4bKupd1', toTag, extra: ['Session-Expires: 120;refresher=uac'] }), uaPort);
    const upd = await peer.response(200, 'UPDATE');
    expect(upd.headers.get('Session-Expires')).toBe('120;refresher=uac');
    clock.advance(80_000); // 140 s after the answer, 80 s after the refresh: still alive (expiry at 120-32 = 88 s)
    await peer.settle();
    expect(dialog.terminated).toBe(false);
    clock.advance(8_001);
    const bye = await peer.request('BYE');
    expect(bye.headers.get('Call-ID')).toBe(callId);
  });

  it('as refresher (UAC without timer support) sends UPDATE at half the interval', async () => {
    const { callId } = await answeredCall(['Session-Expires: 100']);
    clock.advance(50_000);
    const update = await peer.request('UPDATE');
    expect(update.headers.get('Call-ID')).toBe(callId);
    expect(update.headers.get('Session-Expires')).toBe('100;refresher=uas');
  });

  it('a peer that vanished: "expired" at the expiry, before the unanswered BYE times out; "terminated" only then', async () => {
    const { callId, dialog } = await answeredCall(['Session-Expires: 90;refresher=uac', 'Supported: timer']);
    const events: string[] = [];
    dialog.on('expired', () => events.push('expired'));
    dialog.on('terminated', (why: string) => events.push(`terminated:${why}`));
    clock.advance(60_001); // 90 - min(32, 90/3) = 60 s
    const bye = await peer.request('BYE');
    expect(bye.headers.get('Call-ID')).toBe(callId);
    expect(events).toEqual(['expired']); // nobody answers the BYE
    clock.advance(64 * 500); // Timer F
    await waitFor(() => (events.length === 2 ? true : undefined), { timeoutMs: 1000, intervalMs: 5 });
    expect(events).toEqual(['expired', 'terminated:session-expired']);
  });

  it('as refresher, a refresh answered 481 expires the session at once', async () => {
    const { dialog } = await answeredCall(['Session-Expires: 100']);
    const events: string[] = [];
    dialog.on('expired', () => events.push('expired'));
    clock.advance(50_000);
    const update = await peer.request('UPDATE');
    peer.send(serializeSipMessage(buildResponse(update, 481, { toTag: tagOf(toOf(update)) })), uaPort);
    await peer.request('BYE');
    expect(events).toEqual(['expired']);
  });
});
