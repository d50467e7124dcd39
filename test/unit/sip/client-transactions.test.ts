import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { buildResponse } from '../../../src/sip/message/build.js';
import type { SipResponse } from '../../../src/sip/message/types.js';
import { sipTimers } from '../../../src/sip/transaction/common.js';
import { InviteClientTransaction } from '../../../src/sip/transaction/invite-client.js';
import { NonInviteClientTransaction } from '../../../src/sip/transaction/non-invite-client.js';
import { FakeChannel, inviteRequest } from './helpers/fake-channel.js';

const T = sipTimers();

function tick() {
  return new Promise((r) => setTimeout(r, 0));
}

function setup(kind: 'invite' | 'non-invite', reliable = false) {
  const clock = new ManualClock();
  const channel = new FakeChannel(clock, reliable);
  const request = inviteRequest('z9hG4bKc1', kind === 'invite' ? 'INVITE' : 'BYE');
  const tx =
    kind === 'invite'
      ? new InviteClientTransaction('k', request, channel, clock, T)
      : new NonInviteClientTransaction('k', request, channel, clock, T);
  const events: string[] = [];
  const responses: SipResponse[] = [];
  tx.on('response', (r: SipResponse) => {
    responses.push(r);
    events.push(`response:${r.status}`);
  });
  tx.on('timeout', () => events.push('timeout'));
  tx.on('transportError', () => events.push('transportError'));
  tx.on('terminated', () => events.push('terminated'));
  const respond = (status: number) => tx.receiveResponse(buildResponse(request, status, { toTag: 'b1' }));
  return { clock, channel, request, tx, events, responses, respond };
}

describe('INVITE client transaction (RFC 3261 §17.1.1)', () => {
  it('Timer A doubles without cap while Calling; Timer B times out at 64*T1', () => {
    const { clock, channel, tx, events } = setup('invite');
    tx.start();
    clock.advance(64 * T.t1 - 1);
    // Sent at 0, then A at 500, 1500, 3500, 7500, 15500, 31500 (intervals 500,1000,2000,4000,8000,16000).
    expect(channel.times()).toEqual([0, 500, 1500, 3500, 7500, 15500, 31500]);
    expect(tx.state).toBe('calling');
    clock.advance(1);
    expect(events).toEqual(['timeout', 'terminated']);
    expect(tx.state).toBe('terminated');
    expect(clock.pending()).toBe(0);
  });

  it('1xx stops retransmission and moves to Proceeding; Timer B no longer applies', () => {
    const { clock, channel, tx, events, respond } = setup('invite');
    tx.start();
    respond(180);
    expect(tx.state).toBe('proceeding');
    clock.advance(100_000);
    expect(channel.sent).toHaveLength(1);
    expect(events).toEqual(['response:180']);
  });

  it('non-2xx final: ACK built per §17.1.1.3, re-sent on retransmitted finals, Timer D terminates', () => {
    const { clock, channel, tx, events, respond } = setup('invite');
    tx.start();
    respond(486);
    expect(tx.state).toBe('completed');
    expect(channel.labels()).toEqual(['INVITE', 'ACK']);
    const ack = channel.sent[1].msg;
    if (ack.kind !== 'request') throw new Error('expected ACK');
    expect(ack.uri).toBe('sip:bob@192.0.2.1');
    expect(ack.headers.getAll('Via')).toEqual(['SIP/2.0/UDP 192.0.2.9:5060;branch=z9hG4bKc1']);
    expect(ack.headers.get('To')).toBe('<sip:bob@example.com>;tag=b1');
    expect(ack.headers.get('CSeq')).toBe('10 ACK');
    expect(ack.headers.get('Route')).toBe('<sip:proxy.example.com;lr>');
    respond(486);
    expect(channel.labels()).toEqual(['INVITE', 'ACK', 'ACK']);
    expect(events).toEqual(['response:486']);
    clock.advance(T.timerD - 1);
    expect(tx.state).toBe('completed');
    clock.advance(1);
    expect(events).toEqual(['response:486', 'terminated']);
  });

  it('2xx goes to the TU, also its retransmissions while Accepted (RFC 6026), Timer M terminates', () => {
    const { clock, tx, events, respond, channel } = setup('invite');
    tx.start();
    respond(200);
    respond(200);
    expect(tx.state).toBe('accepted');
    expect(channel.labels()).toEqual(['INVITE']); // the ACK for 2xx is the TU's job
    clock.advance(64 * T.t1);
    expect(events).toEqual(['response:200', 'response:200', 'terminated']);
  });

  it('reliable transport: no Timer A, Timer D is zero', () => {
    const { clock, channel, tx, respond } = setup('invite', true);
    tx.start();
    clock.advance(10_000);
    expect(channel.sent).toHaveLength(1);
    respond(503);
    clock.advance(0);
    expect(tx.state).toBe('terminated');
  });

  it('transport error terminates and informs the TU', async () => {
    const { channel, tx, events } = setup('invite');
    channel.failNext = true;
    tx.start();
    await tick();
    expect(events).toEqual(['transportError', 'terminated']);
  });
});

describe('non-INVITE client transaction (RFC 3261 §17.1.2)', () => {
  it('Timer E doubles up to T2 while Trying; Timer F times out at 64*T1', () => {
    const { clock, channel, tx, events } = setup('non-invite');
    tx.start();
    clock.advance(64 * T.t1 - 1);
    // Intervals 500, 1000, 2000, 4000, 4000, ... capped at T2.
    expect(channel.times()).toEqual([0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]);
    clock.advance(1);
    expect(events).toEqual(['timeout', 'terminated']);
    expect(clock.pending()).toBe(0);
  });

  it('in Proceeding Timer E fires every T2', () => {
    const { clock, channel, tx, respond } = setup('non-invite');
    tx.start();
    respond(100);
    expect(tx.state).toBe('proceeding');
    clock.advance(500); // pending E from Trying fires at 500, then every T2
    clock.advance(8000);
    expect(channel.times()).toEqual([0, 500, 4500, 8500]);
  });

  it('final response → Completed; retransmitted finals absorbed; Timer K = T4 terminates', () => {
    const { clock, channel, tx, events, respond } = setup('non-invite');
    tx.start();
    respond(200);
    respond(200);
    expect(tx.state).toBe('completed');
    expect(events).toEqual(['response:200']);
    clock.advance(T.t4 - 1);
    expect(tx.state).toBe('completed');
    expect(channel.sent).toHaveLength(1);
    clock.advance(1);
    expect(events).toEqual(['response:200', 'terminated']);
  });

  it('reliable transport: no Timer E and Timer K is zero', () => {
    const { clock, channel, tx, respond } = setup('non-invite', true);
    tx.start();
    clock.advance(20_000);
    expect(channel.sent).toHaveLength(1);
    respond(481);
    clock.advance(0);
    expect(tx.state).toBe('terminated');
  });
});
