/**
 * A transaction outlives its final response by up to 32 s (Timers J, L, M, D): after it, it keeps only what a
 * retransmission needs. Found by the 10,000-call soak (test/soak/): each completed call's INVITE body (and the
 * 200's SDP) pinned an 8 KB Buffer pool slab for those 32 s.
 */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { buildResponse } from '../../../src/sip/message/build.js';
import type { SipRequest } from '../../../src/sip/message/types.js';
import { sipTimers } from '../../../src/sip/transaction/common.js';
import { InviteClientTransaction } from '../../../src/sip/transaction/invite-client.js';
import { InviteServerTransaction } from '../../../src/sip/transaction/invite-server.js';
import { NonInviteClientTransaction } from '../../../src/sip/transaction/non-invite-client.js';
import { NonInviteServerTransaction } from '../../../src/sip/transaction/non-invite-server.js';
import { FakeChannel, req } from './helpers/fake-channel.js';

const T = sipTimers();
const SDP = 'v=0\no=- 1 1 IN IP4 192.0.2.9\ns=-\nc=IN IP4 192.0.2.9\nt=0 0\nm=audio 4000 RTP/AVP 0\n';

function request(method: string): SipRequest {
  return req(`${method} sip:bob@192.0.2.1 SIP/2.0
Via: SIP/2.0/UDP 192.0.2.9:5060;branch=z9hG4bKret1
Max-Forwards: 70
From: <sip:alice@example.com>;tag=a1
To: <sip:bob@example.com>
Call-ID: retention@192.0.2.9
CSeq: 10 ${method}
Contact: <sip:alice@192.0.2.9>
Content-Type: application/sdp
Content-Length: ${SDP.replace(/\n/g, '\r\n').length}

${SDP}`);
}

type Kind = 'INVITE server' | 'non-INVITE server' | 'INVITE client' | 'non-INVITE client';

function machine(kind: Kind, status: number) {
  const clock = new ManualClock();
  const channel = new FakeChannel(clock);
  const r = request(kind.startsWith('INVITE') ? 'INVITE' : 'MESSAGE');
  const final = buildResponse(r, status, { toTag: 'b1', body: status < 300 ? SDP : undefined, contentType: status < 300 ? 'application/sdp' : undefined });
  switch (kind) {
    case 'INVITE server': {
      const tx = new InviteServerTransaction('k', r, channel, clock, T);
      return { tx, channel, clock, final: () => tx.respond(final) };
    }
    case 'non-INVITE server': {
      const tx = new NonInviteServerTransaction('k', r, channel, clock, T);
      return { tx, channel, clock, final: () => tx.respond(final) };
    }
    case 'INVITE client': {
      const tx = new InviteClientTransaction('k', r, channel, clock, T);
      tx.start();
      return { tx, channel, clock, final: () => tx.receiveResponse(final) };
    }
    case 'non-INVITE client': {
      const tx = new NonInviteClientTransaction('k', r, channel, clock, T);
      tx.start();
      return { tx, channel, clock, final: () => tx.receiveResponse(final) };
    }
  }
}

describe('a transaction past its final response keeps only what a retransmission needs', () => {
  it.each([
    ['INVITE server', 200],
    ['INVITE server', 486],
    ['non-INVITE server', 200],
    ['INVITE client', 200],
    ['INVITE client', 486],
    ['non-INVITE client', 200],
  ] as Array<[Kind, number]>)('%s after a %i: the request keeps its head, not its body', (kind, status) => {
    const { tx, final } = machine(kind, status);
    expect(tx.request.body.length).toBeGreaterThan(50);
    final();
    expect(tx.state).not.toBe('terminated');
    expect(tx.request.body.length).toBe(0);
    expect(tx.request.headers.get('Call-ID')).toBe('retention@192.0.2.9');
    expect(tx.request.method).toBe(kind.startsWith('INVITE') ? 'INVITE' : 'MESSAGE');
  });

  it('INVITE server in Accepted lets go of the 2xx (the TU resends it) but still knows a final was sent', () => {
    const { tx, final, channel } = machine('INVITE server', 200);
    const server = tx as InviteServerTransaction;
    final();
    expect(server.state).toBe('accepted');
    expect(server.lastResponse).toBeUndefined();
    expect(server.finalSent).toBe(true);
    server.receiveRetransmission(); // absorbed (RFC 6026 §7.1)
    expect(channel.labels()).toEqual(['200']);
  });

  it('INVITE server in Completed keeps the non-2xx for Timer G and retransmitted INVITEs', () => {
    const { tx, final, channel, clock } = machine('INVITE server', 486);
    const server = tx as InviteServerTransaction;
    final();
    expect(server.lastResponse?.status).toBe(486);
    server.receiveRetransmission();
    clock.advance(T.t1);
    expect(channel.labels()).toEqual(['486', '486', '486']);
  });

  it('INVITE client after a non-2xx still ACKs a retransmitted final from the head it kept', () => {
    const { tx, final, channel } = machine('INVITE client', 486);
    final();
    final();
    expect(channel.labels()).toEqual(['INVITE', 'ACK', 'ACK']);
    const ack = channel.sent[1].msg;
    expect(ack.headers.get('Call-ID')).toBe('retention@192.0.2.9');
    expect(ack.headers.get('CSeq')).toBe('10 ACK');
  });
});
