import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { buildResponse } from '../../../src/sip/message/build.js';
import { sipTimers } from '../../../src/sip/transaction/common.js';
import { InviteClientTransaction } from '../../../src/sip/transaction/invite-client.js';
import { FakeChannel, inviteRequest } from './helpers/fake-channel.js';

const T = sipTimers();

describe('transaction machines and throwing TU listeners (safe emit)', () => {
  it('a throwing response listener is reported; the machine still completes its transition and later listeners run', () => {
    const clock = new ManualClock();
    const channel = new FakeChannel(clock);
    const request = inviteRequest('z9hG4bKle1');
    const errors: string[] = [];
    const tx = new InviteClientTransaction('k', request, channel, clock, T, {
      onListenerError: (err, event) => errors.push(`${event}:${(err as Error).message}`),
    });
    const seen: number[] = [];
    tx.on('response', () => {
      throw new Error('TU bug');
    });
    tx.on('response', (r) => seen.push(r.status));
    tx.start();
    tx.receiveResponse(buildResponse(request, 486, { toTag: 'b1' }));
    expect(errors).toEqual(['response:TU bug']);
    expect(seen).toEqual([486]);
    // §17.1.1.2: the ACK went out and Timer D runs despite the listener.
    expect(tx.state).toBe('completed');
    expect(channel.labels()).toEqual(['INVITE', 'ACK']);
    clock.advance(T.timerD);
    expect(tx.state).toBe('terminated');
  });
});
