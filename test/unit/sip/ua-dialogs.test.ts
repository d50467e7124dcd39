import { afterEach, describe, expect, it } from 'vitest';
import { tagOf, toOf } from '../../../src/sip/message/accessors.js';
import { parseSipMessage } from '../../../src/sip/parser/parse.js';
import { sdpOf } from '../../../src/sip/ua/body.js';
import { startHarness } from './helpers/ua-harness.js';
import { SDP_ANSWER, SDP_OFFER } from './helpers/raw-uac.js';
import { waitFor } from '../../helpers/wait-for.js';

let h: Awaited<ReturnType<typeof startHarness>>;
let open: typeof h | undefined;

afterEach(async () => {
  await open?.close();
  open = undefined;
});

async function harness(options?: Parameters<typeof startHarness>[0]) {
  open = await startHarness(options);
  return open;
}

describe('UA: INVITE edge cases', () => {
  it('unanswered INVITE gets 408 after the pending-INVITE deadline', async () => {
    h = await harness({ pendingInviteTimeoutMs: 10_000 });
    const { call } = await h.invite();
    h.clock.advance(10_000);
    await h.peer.response(408, 'INVITE');
    await expect(call.accept(SDP_ANSWER)).rejects.toThrow();
  });

  it('INVITE without Contact → 400; non-SDP body → 415 with Accept', async () => {
    h = await harness();
    const noContact = `INVITE sip:bot@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${h.peer.port};branch=z9hG4bKnc1\r\nMax-Forwards: 70\r\nFrom: <sip:a@127.0.0.1>;tag=1\r\nTo: <sip:bot@127.0.0.1>\r\nCall-ID: nc1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n`;
    h.peer.send(noContact, h.uaPort);
    await h.peer.response(400, 'INVITE');
    const raw = `INVITE sip:bot@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${h.peer.port};branch=z9hG4bKtp1\r\nMax-Forwards: 70\r\nFrom: <sip:a@127.0.0.1>;tag=1\r\nTo: <sip:bot@127.0.0.1>\r\nCall-ID: tp1\r\nCSeq: 1 INVITE\r\nContact: <sip:a@127.0.0.1:${h.peer.port}>\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello`;
    h.peer.send(raw, h.uaPort);
    const res = await h.peer.next((m) => m.kind === 'response' && m.status === 415);
    expect(res.headers.get('Accept')).toBe('application/sdp');
  });

  it('a second INVITE with the same From tag/Call-ID/CSeq but a new branch is a merged request → 482', async () => {
    h = await harness();
    const { callId } = await h.invite();
    h.send({ method: 'INVITE', cseq: 1, callId, branch: 'z9hG4bKmerged', body: SDP_OFFER });
    await h.peer.response(482, 'INVITE');
  });

  it('publicAddress goes into Contact', async () => {
    h = await harness({ publicAddress: '198.51.100.7' });
    h.send({ method: 'OPTIONS', cseq: 1, ...h.ids() });
    const ok = await h.peer.response(200, 'OPTIONS');
    expect(ok.headers.get('Contact')).toBe(`<sip:198.51.100.7:${h.uaPort}>`);
  });

  it('505 for another SIP version', async () => {
    h = await harness();
    const text = `OPTIONS sip:bot@127.0.0.1 SIP/3.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${h.peer.port};branch=z9hG4bKv3\r\nMax-Forwards: 70\r\nFrom: <sip:a@127.0.0.1>;tag=1\r\nTo: <sip:bot@127.0.0.1>\r\nCall-ID: v3\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n`;
    h.peer.send(text, h.uaPort);
    await h.peer.response(505, 'OPTIONS');
  });

  it('handler that throws → 500', async () => {
    h = await harness();
    h.ua.onIncomingCall(() => {
      throw new Error('boom');
    });
    const id = h.ids();
    h.send({ method: 'INVITE', cseq: 1, ...id, body: SDP_OFFER });
    await h.peer.response(500, 'INVITE');
  });

  it('progress(183, sdp) sends early media with the dialog To-tag; the 200 keeps it', async () => {
    h = await harness();
    const { call } = await h.invite();
    call.progress(183, SDP_ANSWER);
    call.progress(100); // not a valid progress status: ignored
    const early = await h.peer.response(183, 'INVITE');
    expect(early.body.toString()).toBe(SDP_ANSWER);
    const tag = tagOf(toOf(early));
    void call.accept(SDP_ANSWER).catch(() => undefined);
    const ok = await h.peer.response(200, 'INVITE');
    expect(tagOf(toOf(ok))).toBe(tag);
  });
});

describe('UA: in-dialog requests', () => {
  it('CSeq lower than the last one → 500; INFO and OPTIONS in dialog → 200; NOTIFY → 405', async () => {
    h = await harness();
    const { callId, toTag } = await h.establish();
    h.send({ method: 'INFO', cseq: 5, callId, branch: 'z9hG4bKinfo', toTag });
    await h.peer.response(200, 'INFO');
    h.send({ method: 'OPTIONS', cseq: 6, callId, branch: 'z9hG4bKopt', toTag });
    await h.peer.response(200, 'OPTIONS');
    h.send({ method: 'NOTIFY', cseq: 7, callId, branch: 'z9hG4bKntf', toTag });
    await h.peer.response(405, 'NOTIFY');
    h.send({ method: 'INFO', cseq: 3, callId, branch: 'z9hG4bKold', toTag });
    const res = await h.peer.response(500, 'INFO');
    expect(res.reason).toBe('CSeq Out Of Order');
  });

  it('re-INVITE rejected by the listener; a second re-INVITE while one is pending → 500 Retry-After', async () => {
    h = await harness();
    const { callId, toTag, dialog } = await h.establish();
    let rejectFn: ((s: number) => void) | undefined;
    dialog.on('reinvite', (_offer, _answer, reject) => {
      rejectFn = reject;
    });
    h.send({ method: 'INVITE', cseq: 2, callId, branch: 'z9hG4bKri1', toTag, body: SDP_OFFER });
    await h.peer.response(100, 'INVITE');
    h.send({ method: 'INVITE', cseq: 3, callId, branch: 'z9hG4bKri2', toTag, body: SDP_OFFER });
    const busy = await h.peer.response(500, 'INVITE');
    expect(busy.headers.has('Retry-After')).toBe(true);
    rejectFn?.(488);
    await h.peer.response(488, 'INVITE');
    expect(dialog.terminated).toBe(false);
  });

  it('UPDATE with an offer is answered in the 200 (no listener → last local SDP)', async () => {
    h = await harness();
    const { callId, toTag } = await h.establish();
    h.send({ method: 'UPDATE', cseq: 2, callId, branch: 'z9hG4bKup1', toTag, body: SDP_OFFER });
    const ok = await h.peer.response(200, 'UPDATE');
    expect(ok.body.toString()).toBe(SDP_ANSWER);
    expect(ok.headers.get('Contact')).toMatch(/^<sip:127\.0\.0\.1:\d+>$/);
  });

  it('BYE overtaking the ACK still hands out the dialog, then reports bye/terminated', async () => {
    h = await harness();
    const { callId, call } = await h.invite();
    const accepted = call.accept(SDP_ANSWER);
    const toTag = tagOf(toOf(await h.peer.response(200, 'INVITE'))) ?? '';
    h.send({ method: 'BYE', cseq: 2, callId, branch: 'z9hG4bKearlybye', toTag });
    const dialog = await accepted;
    const events: string[] = [];
    dialog.on('bye', () => events.push('bye'));
    dialog.on('terminated', (r) => events.push(r));
    await h.peer.response(200, 'BYE');
    await waitFor(() => events.length >= 2, { timeoutMs: 1000, intervalMs: 5, onTimeout: 'resolve' });
    expect(events).toEqual(['bye', 'remote-bye']);
    h.clock.advance(10_000);
    expect(h.peer.pending().filter((m) => m.kind === 'response' && m.status === 200 && m.headers.get('CSeq') === '1 INVITE')).toHaveLength(0);
  });

  it('hangup() with no answer: BYE retransmitted, resolves on Timer F and terminates', async () => {
    h = await harness();
    const { dialog } = await h.establish();
    const reasons: string[] = [];
    dialog.on('terminated', (r) => reasons.push(r));
    const done = dialog.hangup();
    await h.peer.request('BYE');
    h.clock.advance(500);
    await h.peer.request('BYE');
    h.clock.advance(64 * 500);
    await done;
    expect(reasons).toEqual(['local-bye']);
    expect(h.ua.stats().dialogs).toBe(0);
  });

  it('stop() with an unanswered INVITE and a live dialog ends both and leaves no timers', async () => {
    h = await harness();
    const { dialog } = await h.establish();
    await h.invite();
    const reasons: string[] = [];
    dialog.on('terminated', (r) => reasons.push(r));
    await h.ua.stop();
    expect(reasons).toEqual(['shutdown']);
    expect(h.clock.pending()).toBe(0);
  });
});

describe('sdpOf', () => {
  const withBody = (contentType: string, body: string, extra = '') =>
    parseSipMessage(
      Buffer.from(
        `INVITE sip:b@example.com SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:a@example.com>;tag=1\r\nTo: <sip:b@example.com>\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\nContent-Type: ${contentType}\r\n${extra}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      ),
    );

  it('plain SDP, multipart SDP+ISUP, unsupported types and encodings', () => {
    expect(sdpOf(withBody('application/sdp', 'v=0\r\n'))).toEqual({ kind: 'sdp', sdp: 'v=0\r\n' });
    const multipart = [
      '--unique-boundary-1',
      'Content-Type: application/sdp',
      '',
      'v=0',
      's=-',
      '',
      '--unique-boundary-1',
      'Content-Type: application/ISUP; version=itu-t92+',
      'Content-Disposition: signal; handling=optional',
      '',
      '\x01\x02\x03',
      '--unique-boundary-1--',
      '',
    ].join('\r\n');
    expect(sdpOf(withBody('multipart/mixed; boundary="unique-boundary-1"', multipart))).toEqual({ kind: 'sdp', sdp: 'v=0\r\ns=-\r\n' });
    expect(sdpOf(withBody('text/plain', 'hi')).kind).toBe('unsupported');
    expect(sdpOf(withBody('application/sdp', 'v=0', 'Content-Encoding: gzip\r\n')).kind).toBe('unsupported');
    expect(sdpOf(withBody('multipart/mixed', 'x')).kind).toBe('unsupported');
  });
});
