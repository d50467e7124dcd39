import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { Dialog, uriDestination } from '../../../src/sip/dialog/dialog.js';
import { Uas2xxRetransmitter } from '../../../src/sip/dialog/uas-2xx-retransmitter.js';
import { topViaOf } from '../../../src/sip/message/accessors.js';
import { parseUri } from '../../../src/sip/message/uri.js';
import { parseVia } from '../../../src/sip/message/via.js';
import { sipTimers } from '../../../src/sip/transaction/common.js';
import { responseDestination, stampReceived } from '../../../src/sip/transport/response-routing.js';
import { req } from './helpers/fake-channel.js';

const src = { address: '203.0.113.5', port: 40000, transport: 'udp' as const };

function withVia(via: string) {
  return req(`OPTIONS sip:x@example.com SIP/2.0
Via: ${via}
From: <sip:a@example.com>;tag=1
To: <sip:x@example.com>
Call-ID: v1
CSeq: 1 OPTIONS
Content-Length: 0

`);
}

describe('server transport Via stamping (§18.2.1, RFC 3581) and response routing (§18.2.2)', () => {
  it('fills rport and received', () => {
    const r = withVia('SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1;rport');
    stampReceived(r, src);
    const via = topViaOf(r);
    expect(via.params.get('rport')).toBe('40000');
    expect(via.params.get('received')).toBe('203.0.113.5');
    expect(responseDestination(via)).toEqual({ address: '203.0.113.5', port: 40000 });
  });

  it('adds received when sent-by differs; responses go to sent-by port', () => {
    const r = withVia('SIP/2.0/UDP 10.0.0.1:5070;branch=z9hG4bK1');
    stampReceived(r, src);
    expect(responseDestination(topViaOf(r))).toEqual({ address: '203.0.113.5', port: 5070 });
  });

  it('adds received for a host name; leaves a matching IP alone', () => {
    const named = withVia('SIP/2.0/UDP sbc.example.com;branch=z9hG4bK1');
    stampReceived(named, src);
    expect(topViaOf(named).params.get('received')).toBe('203.0.113.5');
    const same = withVia('SIP/2.0/UDP 203.0.113.5:5060;branch=z9hG4bK1');
    stampReceived(same, src);
    expect(same.headers.get('Via')).toBe('SIP/2.0/UDP 203.0.113.5:5060;branch=z9hG4bK1');
  });

  it('keeps other Via elements of the same line', () => {
    const r = withVia('SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1;rport, SIP/2.0/UDP 10.0.0.2;branch=z9hG4bK0');
    stampReceived(r, src);
    expect(r.headers.getList('Via')).toHaveLength(2);
    expect(r.headers.getList('Via')[1]).toBe('SIP/2.0/UDP 10.0.0.2;branch=z9hG4bK0');
  });

  it('never follows maddr (no reflection); default port 5060', () => {
    expect(responseDestination(parseVia('SIP/2.0/UDP h.example.com;maddr=239.1.1.1;branch=z9hG4bK1'))).toEqual({ address: 'h.example.com', port: 5060 });
    expect(responseDestination(parseVia('SIP/2.0/UDP h.example.com;branch=z9hG4bK1'))).toEqual({ address: 'h.example.com', port: 5060 });
  });

  it('answers go back to the source, whatever maddr or a forged received say (reflection)', () => {
    for (const via of [
      'SIP/2.0/UDP 203.0.113.5:5060;received=198.51.100.99;branch=z9hG4bK1',
      'SIP/2.0/UDP 203.0.113.5:5060;maddr=198.51.100.99;branch=z9hG4bK1',
      'SIP/2.0/UDP 198.51.100.99:5060;maddr=198.51.100.99;received=198.51.100.99;branch=z9hG4bK1',
      'SIP/2.0/UDP 203.0.113.5:5060;rport;received=198.51.100.99;branch=z9hG4bK1',
    ]) {
      const r = withVia(via);
      stampReceived(r, src);
      expect(responseDestination(topViaOf(r)).address, via).toBe('203.0.113.5');
    }
  });
});

const inviteWithRR = (rr: string[]) =>
  req(`INVITE sip:bot@198.51.100.7 SIP/2.0
Via: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bK1
${rr.map((r) => `Record-Route: ${r}\n`).join('')}From: "Alice" <sip:alice@example.com>;tag=rem
To: <sip:bot@198.51.100.7>
Call-ID: d1
CSeq: 42 INVITE
Contact: <sip:alice@192.0.2.10:5062;transport=udp>
Content-Length: 0

`);

describe('Dialog (§12)', () => {
  it('UAS state from the INVITE and loose-routed in-dialog requests', () => {
    const d = Dialog.asUas(inviteWithRR(['<sip:p1.example.com;lr>, <sip:p2.example.com;lr>']), 'loc');
    expect(d.key).toBe('d1|loc|rem');
    expect(d.remoteTarget).toBe('sip:alice@192.0.2.10:5062;transport=udp');
    expect(d.routeSet).toEqual(['<sip:p1.example.com;lr>', '<sip:p2.example.com;lr>']);
    const startSeq = d.localSeq;
    const bye = d.createRequest('BYE');
    expect(bye.uri).toBe('sip:alice@192.0.2.10:5062;transport=udp');
    expect(bye.headers.getAll('Route')).toEqual(['<sip:p1.example.com;lr>', '<sip:p2.example.com;lr>']);
    expect(bye.headers.get('From')).toBe('<sip:bot@198.51.100.7>;tag=loc');
    expect(bye.headers.get('To')).toBe('"Alice" <sip:alice@example.com>;tag=rem');
    expect(bye.headers.get('CSeq')).toBe(`${startSeq + 1} BYE`);
    expect(uriDestination(d.nextHopUri())).toEqual({ address: 'p1.example.com', port: 5060 });
  });

  it('strict routing when the first route lacks lr', () => {
    const d = Dialog.asUas(inviteWithRR(['<sip:strict.example.com:5080>', '<sip:p2.example.com;lr>']), 'loc');
    const bye = d.createRequest('BYE');
    expect(bye.uri).toBe('sip:strict.example.com:5080');
    expect(bye.headers.getAll('Route')).toEqual(['<sip:p2.example.com;lr>', '<sip:alice@192.0.2.10:5062;transport=udp>']);
  });

  it('no route set: next hop is the remote target; remote CSeq must not go backwards', () => {
    const d = Dialog.asUas(inviteWithRR([]), 'loc');
    expect(uriDestination(d.nextHopUri())).toEqual({ address: '192.0.2.10', port: 5062 });
    expect(d.createRequest('BYE').headers.has('Route')).toBe(false);
    expect(d.acceptRemoteCSeq(inviteWithRR([]))).toBe(true);
    const older = inviteWithRR([]);
    older.headers.set('CSeq', '41 INVITE');
    expect(d.acceptRemoteCSeq(older)).toBe(false);
  });

  it('uriDestination honours maddr and sips default port', () => {
    expect(uriDestination(parseUri('sip:a@h.example.com;maddr=192.0.2.99'))).toEqual({ address: '192.0.2.99', port: 5060 });
    expect(uriDestination(parseUri('sips:a@h.example.com'))).toEqual({ address: 'h.example.com', port: 5061 });
  });
});

describe('UAS 2xx retransmission (§13.3.1.4)', () => {
  it('T1 doubling to T2 until 64*T1, then gives up', () => {
    const clock = new ManualClock();
    const at: number[] = [];
    let gaveUp = 0;
    const r = new Uas2xxRetransmitter(clock, sipTimers(), false, () => at.push(clock.now()), () => gaveUp++);
    r.start();
    clock.advance(64 * 500);
    expect(at).toEqual([500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]);
    expect(gaveUp).toBe(1);
    expect(r.running).toBe(false);
    expect(clock.pending()).toBe(0);
  });

  it('stops on ACK; reliable transports only wait', () => {
    const clock = new ManualClock();
    let sent = 0;
    let gaveUp = 0;
    const r = new Uas2xxRetransmitter(clock, sipTimers(), false, () => sent++, () => gaveUp++);
    r.start();
    clock.advance(1600);
    r.stop();
    clock.advance(60_000);
    expect([sent, gaveUp]).toEqual([2, 0]);
    const reliable = new Uas2xxRetransmitter(clock, sipTimers(), true, () => sent++, () => gaveUp++);
    reliable.start();
    clock.advance(64 * 500);
    expect([sent, gaveUp]).toEqual([2, 1]);
  });
});
