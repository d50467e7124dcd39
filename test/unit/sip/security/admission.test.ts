import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../../src/core/clock.js';
import { silentLogger } from '../../../../src/core/logger.js';
import { buildResponse } from '../../../../src/sip/message/build.js';
import type { SipMessage } from '../../../../src/sip/message/types.js';
import { TransactionLayer } from '../../../../src/sip/transaction/layer.js';
import type { Destination, SipEndpoint, Transport } from '../../../../src/sip/transport/transport.js';
import { inviteRequest } from '../helpers/fake-channel.js';

class MemoryTransport implements Transport {
  readonly name = 'udp' as const;
  readonly reliable = false;
  sent: Array<{ msg: SipMessage; dest: Destination }> = [];
  listen = () => Promise.resolve();
  localAddress = (): SipEndpoint => ({ address: '127.0.0.1', port: 5060, transport: 'udp' });
  send(msg: SipMessage, dest: Destination) {
    this.sent.push({ msg, dest });
    return Promise.resolve();
  }
  onMessage() {}
  onMalformed() {}
  close = () => Promise.resolve();
}

describe('admission before a transaction (hideFromScanners, lockout)', () => {
  it('a retransmission of an answered request gets the same answer even once the source is refused; a dropped request stays unanswered', () => {
    const clock = new ManualClock();
    const transport = new MemoryTransport();
    let admitting = true;
    const offered: string[] = [];
    const layer = new TransactionLayer({
      clock,
      logger: silentLogger(),
      admit: () => admitting,
      user: {
        onRequest: (r, tx) => {
          offered.push(r.headers.get('Via')!);
          tx.respond(buildResponse(r, 401, { toTag: 'chal', headers: [['WWW-Authenticate', `Digest realm="r", nonce="n${offered.length}", qop="auth"`]] }));
        },
        onAck: () => undefined,
      },
    });
    const ctx = { source: { address: '192.0.2.9', port: 5060, transport: 'udp' as const }, transport };
    layer.receive(inviteRequest('z9hG4bKfirst'), ctx);
    expect(transport.sent.map((s) => s.msg.kind === 'response' && s.msg.status)).toEqual([401]);
    // The source is locked out now: its retransmission of the first INVITE still gets that same 401 (same nonce).
    admitting = false;
    layer.receive(inviteRequest('z9hG4bKfirst'), ctx);
    expect(transport.sent).toHaveLength(2);
    expect(transport.sent[1].msg.headers.get('WWW-Authenticate')).toBe(transport.sent[0].msg.headers.get('WWW-Authenticate'));
    // A new INVITE is dropped without a transaction: no answer, and none for its retransmissions either.
    layer.receive(inviteRequest('z9hG4bKsecond'), ctx);
    clock.advance(500);
    layer.receive(inviteRequest('z9hG4bKsecond'), ctx);
    expect(transport.sent.filter((s) => s.msg.headers.get('Via')!.includes('second'))).toEqual([]);
    expect(offered).toHaveLength(1);
    expect(layer.counts().server).toBe(1);
  });
});

describe('peers we call', () => {
  it('the transaction layer reports where each request goes before sending it', () => {
    const sent: string[] = [];
    const transport = new MemoryTransport();
    const layer = new TransactionLayer({
      clock: new ManualClock(),
      logger: silentLogger(),
      onRequestSent: (dest) => sent.push(`${dest.address}:${dest.port}`),
      user: { onRequest: () => undefined, onAck: () => undefined },
    });
    layer.sendRequest(inviteRequest('z9hG4bKout1'), { address: '203.0.113.30', port: 5060 }, transport);
    expect(sent).toEqual(['203.0.113.30:5060']);
    expect(transport.sent).toHaveLength(1);
    layer.close();
  });
});
