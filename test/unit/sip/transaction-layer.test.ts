import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/logger.js';
import { buildResponse } from '../../../src/sip/message/build.js';
import type { SipMessage, SipRequest, SipResponse } from '../../../src/sip/message/types.js';
import { clientTransactionKey, serverTransactionKey } from '../../../src/sip/transaction/keys.js';
import { TransactionLayer, type ServerTransaction } from '../../../src/sip/transaction/layer.js';
import type { Destination, SipEndpoint, Transport } from '../../../src/sip/transport/transport.js';
import { inviteRequest, req } from './helpers/fake-channel.js';

class MemoryTransport implements Transport {
  readonly name = 'udp' as const;
  readonly reliable = false;
  sent: Array<{ msg: SipMessage; dest: Destination }> = [];
  listen() {
    return Promise.resolve();
  }
  localAddress(): SipEndpoint {
    return { address: '127.0.0.1', port: 5060, transport: 'udp' };
  }
  send(msg: SipMessage, dest: Destination) {
    this.sent.push({ msg, dest });
    return Promise.resolve();
  }
  onMessage() {}
  onMalformed() {}
  close() {
    return Promise.resolve();
  }
}

function setup() {
  const clock = new ManualClock();
  const transport = new MemoryTransport();
  const requests: Array<{ req: SipRequest; tx: ServerTransaction }> = [];
  const acks: SipRequest[] = [];
  const strays: SipResponse[] = [];
  const layer = new TransactionLayer({
    clock,
    logger: silentLogger(),
    user: {
      onRequest: (r, tx) => requests.push({ req: r, tx }),
      onAck: (a) => acks.push(a),
      onStrayResponse: (r) => strays.push(r),
    },
  });
  const ctx = { source: { address: '192.0.2.9', port: 5060, transport: 'udp' as const }, transport };
  return { clock, transport, layer, requests, acks, strays, ctx };
}

describe('transaction matching (§17.2.3, §17.1.3)', () => {
  it('server key: branch + sent-by + method, ACK maps to INVITE, CANCEL distinct', () => {
    const inv = inviteRequest('z9hG4bKm1');
    expect(serverTransactionKey(inv)).toBe('z9hG4bKm1|192.0.2.9:5060|INVITE');
    expect(serverTransactionKey(inviteRequest('z9hG4bKm1', 'ACK'))).toBe(serverTransactionKey(inv));
    expect(serverTransactionKey(inviteRequest('z9hG4bKm1', 'CANCEL'))).not.toBe(serverTransactionKey(inv));
    expect(serverTransactionKey(inviteRequest('z9hG4bKm1', 'CANCEL'), 'INVITE')).toBe(serverTransactionKey(inv));
    expect(serverTransactionKey(inviteRequest('1234legacy'))).toMatch(/^legacy\|/);
  });

  it('client key: branch + CSeq method of the response', () => {
    const bye = inviteRequest('z9hG4bKc9', 'BYE');
    expect(clientTransactionKey(buildResponse(bye, 200))).toBe(clientTransactionKey(bye));
  });
});

describe('TransactionLayer', () => {
  it('creates one server transaction per request; retransmissions absorbed; removed when terminated', () => {
    const { clock, layer, requests, transport, ctx } = setup();
    layer.receive(inviteRequest('z9hG4bKl1', 'OPTIONS'), ctx);
    layer.receive(inviteRequest('z9hG4bKl1', 'OPTIONS'), ctx);
    expect(requests).toHaveLength(1);
    requests[0].tx.respond(buildResponse(requests[0].req, 200, { toTag: 'x' }));
    layer.receive(inviteRequest('z9hG4bKl1', 'OPTIONS'), ctx);
    expect(transport.sent).toHaveLength(2);
    expect(transport.sent[0].dest).toEqual({ address: '192.0.2.9', port: 5060 });
    expect(layer.counts().server).toBe(1);
    clock.advance(64 * 500);
    expect(layer.counts().server).toBe(0);
  });

  it('ACK for a non-2xx is absorbed by the INVITE transaction; ACK for 2xx goes to the TU', () => {
    const { layer, requests, acks, ctx } = setup();
    layer.receive(inviteRequest('z9hG4bKa1'), ctx);
    requests[0].tx.respond(buildResponse(requests[0].req, 486, { toTag: 'x' }));
    layer.receive(inviteRequest('z9hG4bKa1', 'ACK'), ctx);
    expect(acks).toHaveLength(0);
    expect(requests[0].tx.state).toBe('confirmed');

    layer.receive(inviteRequest('z9hG4bKa2'), ctx);
    requests[1].tx.respond(buildResponse(requests[1].req, 200, { toTag: 'y' }));
    layer.receive(inviteRequest('z9hG4bKa2-ack', 'ACK'), ctx);
    expect(acks).toHaveLength(1);
  });

  it('CANCEL finds its INVITE transaction', () => {
    const { layer, ctx } = setup();
    layer.receive(inviteRequest('z9hG4bKcx'), ctx);
    expect(layer.findInviteForCancel(inviteRequest('z9hG4bKcx', 'CANCEL'))?.request.method).toBe('INVITE');
    expect(layer.findInviteForCancel(inviteRequest('z9hG4bKother', 'CANCEL'))).toBeUndefined();
  });

  it('responses go to their client transaction; unmatched ones are strays', () => {
    const { layer, transport, strays, ctx } = setup();
    const bye = inviteRequest('z9hG4bKout1', 'BYE');
    const tx = layer.sendRequest(bye, { address: '192.0.2.9', port: 5060 }, transport);
    const got: number[] = [];
    tx.on('response', (r: SipResponse) => got.push(r.status));
    layer.receive(buildResponse(bye, 200, { toTag: 'q' }), ctx);
    layer.receive(buildResponse(inviteRequest('z9hG4bKunknown', 'BYE'), 200), ctx);
    expect(got).toEqual([200]);
    expect(strays).toHaveLength(1);
    expect(() => layer.sendRequest(inviteRequest('z9hG4bKack', 'ACK'), { address: 'x', port: 1 }, transport)).toThrow();
  });

  it('close() cancels every timer', () => {
    const { clock, layer, transport, ctx } = setup();
    layer.receive(inviteRequest('z9hG4bKz1', 'OPTIONS'), ctx);
    layer.sendRequest(inviteRequest('z9hG4bKz2', 'BYE'), { address: '192.0.2.9', port: 5060 }, transport);
    expect(clock.pending()).toBeGreaterThan(0);
    layer.close();
    expect(clock.pending()).toBe(0);
    expect(layer.counts()).toEqual({ server: 0, client: 0 });
  });

  it('legacy (RFC 2543) requests without magic cookie still match retransmissions', () => {
    const { layer, requests, ctx } = setup();
    const legacy = () =>
      req(`INVITE sip:bob@192.0.2.1 SIP/2.0
Via: SIP/2.0/UDP 192.0.2.9:5060
From: <sip:alice@example.com>;tag=a1
To: <sip:bob@example.com>
Call-ID: legacy@192.0.2.9
CSeq: 1 INVITE
Contact: <sip:alice@192.0.2.9>
Content-Length: 0

`);
    layer.receive(legacy(), ctx);
    layer.receive(legacy(), ctx);
    expect(requests).toHaveLength(1);
  });
});

describe('TransactionLayer traffic counts', () => {
  it('our request resent by Timer E, the peer\'s retransmission, its response resent, and Timer F, by method', () => {
    const clock = new ManualClock();
    const transport = new MemoryTransport();
    const counts: string[] = [];
    const requests: Array<{ req: SipRequest; tx: ServerTransaction }> = [];
    const layer = new TransactionLayer({
      clock,
      logger: silentLogger(),
      user: { onRequest: (r, tx) => requests.push({ req: r, tx }), onAck: () => {} },
      traffic: {
        retransmissionReceived: (m) => counts.push(`received again ${m}`),
        retransmissionSent: (m) => counts.push(`sent again ${m}`),
        transactionTimeout: (m) => counts.push(`timeout ${m}`),
      },
    });
    const ctx = { source: { address: '192.0.2.9', port: 5060, transport: 'udp' as const }, transport };
    // Ours: OPTIONS sent, nobody answers: Timer E resends at 500, 1500, 3500 ms..., Timer F ends it at 32 s.
    layer.sendRequest(inviteRequest('z9hG4bKt1', 'OPTIONS'), { address: '192.0.2.9', port: 5060 }, transport);
    clock.advance(1600);
    expect(counts).toEqual(['sent again OPTIONS', 'sent again OPTIONS']);
    clock.advance(64 * 500);
    expect(counts.at(-1)).toBe('timeout OPTIONS');
    expect(counts.filter((c) => c === 'timeout OPTIONS')).toHaveLength(1);
    // Theirs: a BYE answered 200, then the BYE again: the 200 goes out again.
    counts.length = 0;
    layer.receive(inviteRequest('z9hG4bKt2', 'BYE'), ctx);
    requests[0].tx.respond(buildResponse(requests[0].req, 200, { toTag: 'x' }));
    layer.receive(inviteRequest('z9hG4bKt2', 'BYE'), ctx);
    expect(counts).toEqual(['received again BYE', 'sent again BYE']);
  });
});
