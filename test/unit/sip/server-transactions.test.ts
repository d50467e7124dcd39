import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { buildResponse } from '../../../src/sip/message/build.js';
import { sipTimers } from '../../../src/sip/transaction/common.js';
import { InviteServerTransaction } from '../../../src/sip/transaction/invite-server.js';
import { NonInviteServerTransaction } from '../../../src/sip/transaction/non-invite-server.js';
import { FakeChannel, inviteRequest } from './helpers/fake-channel.js';

const T = sipTimers();

function invite(reliable = false) {
  const clock = new ManualClock();
  const channel = new FakeChannel(clock, reliable);
  const request = inviteRequest();
  const tx = new InviteServerTransaction('k', request, channel, clock, T);
  const events: string[] = [];
  tx.on('timeout', () => events.push('timeout'));
  tx.on('terminated', () => events.push('terminated'));
  tx.on('transportError', () => events.push('transportError'));
  const respond = (status: number) => tx.respond(buildResponse(request, status, { toTag: 'b1' }));
  return { clock, channel, request, tx, events, respond };
}

function nonInvite(reliable = false) {
  const clock = new ManualClock();
  const channel = new FakeChannel(clock, reliable);
  const request = inviteRequest('z9hG4bKbye', 'BYE');
  const tx = new NonInviteServerTransaction('k', request, channel, clock, T);
  const events: string[] = [];
  tx.on('terminated', () => events.push('terminated'));
  const respond = (status: number) => tx.respond(buildResponse(request, status, { toTag: 'b1' }));
  return { clock, channel, tx, events, respond };
}

describe('INVITE server transaction (RFC 3261 §17.2.1)', () => {
  it('retransmitted INVITE in Proceeding resends the last provisional', () => {
    const { channel, tx, respond } = invite();
    tx.receiveRetransmission(); // nothing sent yet: nothing to resend
    respond(100);
    respond(180);
    tx.receiveRetransmission();
    expect(channel.labels()).toEqual(['100', '180', '180']);
    expect(tx.state).toBe('proceeding');
  });

  it('non-2xx final: Timer G doubles to T2 until Timer H fires at 64*T1 (no ACK)', () => {
    const { clock, channel, tx, events, respond } = invite();
    respond(486);
    expect(tx.state).toBe('completed');
    clock.advance(64 * T.t1 - 1);
    expect(channel.times()).toEqual([0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]);
    expect(events).toEqual([]);
    clock.advance(1);
    expect(events).toEqual(['timeout', 'terminated']);
    expect(clock.pending()).toBe(0);
  });

  it('INVITE retransmission in Completed resends the final response', () => {
    const { channel, tx, respond } = invite();
    respond(603);
    tx.receiveRetransmission();
    expect(channel.labels()).toEqual(['603', '603']);
  });

  it('ACK → Confirmed: G and H stop, further ACKs absorbed, Timer I = T4 terminates', () => {
    const { clock, channel, tx, events, respond } = invite();
    respond(486);
    clock.advance(500);
    tx.receiveAck(inviteRequest('z9hG4bKinv1', 'ACK'));
    expect(tx.state).toBe('confirmed');
    tx.receiveAck(inviteRequest('z9hG4bKinv1', 'ACK'));
    tx.receiveRetransmission();
    clock.advance(T.t4 - 1);
    expect(tx.state).toBe('confirmed');
    expect(channel.sent).toHaveLength(2);
    clock.advance(1);
    expect(events).toEqual(['terminated']);
  });

  it('2xx → Accepted (RFC 6026): INVITE retransmissions absorbed, TU 2xx retransmissions sent, Timer L ends', () => {
    const { clock, channel, tx, events, respond } = invite();
    respond(200);
    expect(tx.state).toBe('accepted');
    tx.receiveRetransmission();
    expect(channel.sent).toHaveLength(1);
    respond(200);
    respond(486); // a non-2xx after a 2xx is discarded
    expect(channel.labels()).toEqual(['200', '200']);
    clock.advance(64 * T.t1);
    expect(events).toEqual(['terminated']);
  });

  it('reliable transport: no Timer G, Timer I is zero', () => {
    const { clock, channel, tx, respond } = invite(true);
    respond(404);
    clock.advance(10_000);
    expect(channel.sent).toHaveLength(1);
    tx.receiveAck(inviteRequest('z9hG4bKinv1', 'ACK'));
    clock.advance(0);
    expect(tx.state).toBe('terminated');
  });

  it('transport error in Proceeding terminates', async () => {
    const { channel, events, respond } = invite();
    channel.failNext = true;
    respond(180);
    await new Promise((r) => setTimeout(r, 0));
    expect(events).toEqual(['transportError', 'terminated']);
  });
});

describe('non-INVITE server transaction (RFC 3261 §17.2.2)', () => {
  it('retransmissions discarded while Trying, last provisional resent in Proceeding', () => {
    const { channel, tx, respond } = nonInvite();
    tx.receiveRetransmission();
    expect(channel.sent).toHaveLength(0);
    respond(100);
    expect(tx.state).toBe('proceeding');
    tx.receiveRetransmission();
    expect(channel.labels()).toEqual(['100', '100']);
  });

  it('final → Completed: retransmissions get the final again, later finals discarded, Timer J = 64*T1', () => {
    const { clock, channel, tx, events, respond } = nonInvite();
    respond(200);
    tx.receiveRetransmission();
    respond(500);
    expect(channel.labels()).toEqual(['200', '200']);
    clock.advance(64 * T.t1 - 1);
    expect(tx.state).toBe('completed');
    clock.advance(1);
    expect(events).toEqual(['terminated']);
    expect(clock.pending()).toBe(0);
  });

  it('reliable transport: Timer J is zero', () => {
    const { clock, tx, respond } = nonInvite(true);
    respond(200);
    clock.advance(0);
    expect(tx.state).toBe('terminated');
  });
});
