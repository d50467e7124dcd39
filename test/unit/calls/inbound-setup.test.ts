// The timing-dependent parts of inbound setup: CANCEL at each await, ACK timeout, a BYE overtaking the ACK, and
// the delayed offer (INVITE without SDP). Each must end with nothing held (asserted after every test).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BotConnectError, TransactionTimeoutError } from '../../../src/core/errors.js';
import { handleInboundCall } from '../../../src/calls/inbound-call-handler.js';
import { Harness, deferred, flush } from './fakes.js';
import { CARRIER_OFFER, G729_ANSWER, MEDIA_ADDRESS, audioOf, farEndAnswer, inboundDeps } from './fixtures.js';

let h: Harness;
beforeEach(() => {
  h = new Harness();
});
afterEach(() => {
  expect(h.leaks()).toEqual([]);
});

describe('inbound setup: CANCEL', () => {
  const cases = [
    // The connector honours the abort signal and gives up.
    { name: 'the connector aborts', bot: 'aborted' as const, stops: [] as string[], connects: 0 },
    // The socket opened just as the CANCEL came: that bot must be told to stop.
    { name: 'the bot opens anyway', bot: 'opened' as const, stops: ['caller-cancelled'], connects: 1 },
  ];
  it.each(cases)('CANCEL while the bot connects ($name): 487 from the stack, port back, no media, bot stopped', async (c) => {
    h.bots.mode = 'manual';
    const signal = h.incoming({ sdp: CARRIER_OFFER });
    const pending = handleInboundCall(signal, inboundDeps(h));
    await flush();
    const attempt = h.bots.attempts[0];
    expect(attempt.ctx.abort?.aborted).toBe(false);
    signal.cancel();
    expect(attempt.ctx.abort?.aborted).toBe(true);
    if (c.bot === 'aborted') attempt.fail(new BotConnectError('aborted'));
    else attempt.open();
    expect(await pending).toBeUndefined();

    expect(signal.final).toEqual({ status: 487, by: 'stack' });
    expect(signal.ignoredRejects).toEqual([]);
    expect(signal.acceptedSdp).toBeUndefined();
    expect(h.observer.rejected).toEqual([['inbound', 487]]);
    // A caller giving up is not a bot failure.
    expect(h.observer.botConnectFailures).toBe(0);
    expect(h.observer.botConnects).toHaveLength(c.connects);
    expect(h.bots.sessions.flatMap((b) => b.stops.map((s) => s.reason))).toEqual(c.stops);
    expect(h.media.legs.map((l) => [l.opened, l.releaseCalls])).toEqual([[undefined, 1]]);
  });

  it('CANCEL while the RTP port is being allocated: no bot socket is opened for a call already gone', async () => {
    h.media.gate = deferred<void>();
    const signal = h.incoming({ sdp: CARRIER_OFFER });
    const pending = handleInboundCall(signal, inboundDeps(h));
    await flush();
    signal.cancel();
    h.media.gate.resolve();
    expect(await pending).toBeUndefined();
    expect(h.observer.rejected).toEqual([['inbound', 487]]);
    // The bot would see a socket open and close for a call it never gets: wasted work on its side.
    expect(h.bots.attempts.map((a) => a.target.name)).toEqual([]);
  });
});

describe('inbound setup: after the 200 OK', () => {
  it('ACK timeout: media opened for the 200 is closed, the bot stopped with error, the slot freed', async () => {
    const signal = h.incoming({ sdp: CARRIER_OFFER, ack: new TransactionTimeoutError('no ACK received for 200 OK') });
    expect(await handleInboundCall(signal, inboundDeps(h))).toBeUndefined();
    const media = h.media.legs[0].media;
    expect(media.closeCalls).toBe(1);
    expect(media.startCalls).toBe(0);
    expect(h.bots.only.stops).toEqual([{ reason: 'error' }]);
    // The bot heard of the call when its socket opened (never read): it gets stop for a call never answered.
    expect(h.bots.only.opened).toHaveLength(1);
    expect(h.bots.only.starts).toEqual([]);
    // The 200 was the final response; the stack itself sends the BYE after Timer H.
    expect(signal.final?.status).toBe(200);
    expect(h.observer.rejected).toEqual([['inbound', 408]]);
    expect(h.observer.answered).toEqual([]);
    expect(h.slots.total()).toBe(0);
  });

  it('a BYE overtaking the ACK ends the call at once: no start to the bot, no answered metric', async () => {
    const signal = h.incoming({ sdp: CARRIER_OFFER, ack: 'manual' });
    const pending = handleInboundCall(signal, inboundDeps(h));
    await flush();
    signal.dialog!.farEndBye();
    signal.ack();
    const call = await pending;
    expect(call?.ended).toBe(true);
    expect(h.bots.only.opened).toHaveLength(1); // opening messages at socket open; never read
    expect(h.bots.only.starts).toEqual([]);
    expect(h.bots.only.stops).toEqual([{ reason: 'caller-hangup' }]);
    expect(signal.dialog!.hangupCalls).toBe(0);
    expect(h.observer.answered).toEqual([]);
    expect(h.slots.total()).toBe(0);
  });
});

describe('inbound setup: delayed offer (INVITE without SDP)', () => {
  it('offers in the 200 OK and opens media on the answer from the ACK', async () => {
    const signal = h.incoming({ sdp: undefined, ackSdp: farEndAnswer({ pt: 0, address: '192.0.2.77', port: 18000 }) });
    const call = await handleInboundCall(signal, inboundDeps(h));
    const leg = h.media.legs[0];
    // Our offer: every codec we take, in our order, plus telephone-event.
    expect(audioOf(signal.acceptedSdp!)).toEqual({ port: leg.port, payloads: '8 0 101', codecs: ['PCMA', 'PCMU', 'telephone-event'], direction: 'sendrecv', connection: MEDIA_ADDRESS });
    // Nothing to build media from until the ACK's answer.
    expect(h.before('sip.accept', `leg.open ${leg.port} PCMU`)).toBe(true);
    const { options, media } = leg.opened!;
    expect(options).toMatchObject({ payloadType: 0, remote: { address: '192.0.2.77', port: 18000 }, receivable: [] });
    expect(media.startCalls).toBe(1);
    const bot = h.bots.only;
    expect(bot.starts[0]).toMatchObject({ direction: 'inbound', media: { codec: 'PCMU' } });
    expect(h.observer.answered).toEqual(['inbound']);
    bot.emit('command', { type: 'hangup', reason: 'done' });
    expect(call!.ended).toBe(true);
    expect(signal.dialog!.hangupCalls).toBe(1);
  });

  it('telephone-event in the ACK answer enables RFC 4733 DTMF on the media', async () => {
    const signal = h.incoming({ sdp: undefined, ackSdp: farEndAnswer({ pt: 0 }) });
    const call = await handleInboundCall(signal, inboundDeps(h));
    const { options } = h.media.legs[0].opened!;
    call!.end('api-hangup');
    expect(options.telephoneEvent).toEqual({ payloadType: 101, clockRate: 8000 });
  });

  const failures = [
    { name: 'no SDP in the ACK', ackSdp: undefined },
    { name: 'an ACK answer with none of our codecs', ackSdp: G729_ANSWER },
  ];
  it.each(failures)('$name: BYE, port released unopened, bot stopped, counted as 488', async (c) => {
    const signal = h.incoming({ sdp: undefined, ...(c.ackSdp ? { ackSdp: c.ackSdp } : {}) });
    expect(await handleInboundCall(signal, inboundDeps(h))).toBeUndefined();
    expect(signal.dialog!.hangupCalls).toBe(1);
    expect(h.media.legs.map((l) => [l.opened, l.releaseCalls])).toEqual([[undefined, 1]]);
    expect(h.bots.only.stops).toEqual([{ reason: 'error' }]);
    expect(h.bots.only.starts).toEqual([]);
    expect(h.bots.only.opened).toEqual([]); // a delayed offer: the codec comes with the ACK, so does start
    expect(h.observer.rejected).toEqual([['inbound', 488]]);
    expect(h.observer.answered).toEqual([]);
  });
});
