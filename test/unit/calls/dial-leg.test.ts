// dialLeg: one leg from RTP port to answered media, with one cleanup path. Every way out must leave the port
// either opened-and-closed or released (asserted after each test). The leg is placed on its call's media group,
// which its owner (not dialLeg) closes: here the test, after each test.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CallRejectedError, PortPoolExhaustedError, classifyFailure } from '../../../src/core/errors.js';
import { silentLogger } from '../../../src/core/logger.js';
import { dialLeg, type DialLegOptions } from '../../../src/calls/dial-leg.js';
import { Harness, flush, type FakeCallGroup } from './fakes.js';
import { CARRIER_OFFER, G729_ANSWER, MEDIA_ADDRESS, audioOf, farEndAnswer } from './fixtures.js';

let h: Harness;
let group: FakeCallGroup;
beforeEach(() => {
  h = new Harness();
  group = h.media.openCall({ callId: 'call-1', logger: silentLogger() });
});
afterEach(() => {
  // dialLeg never closes the call's media, sets no routes and connects no bot: that is its owner's business.
  expect(group.closeCalls).toBe(0);
  expect(group.routes).toEqual([]);
  expect(group.botRequests).toEqual([]);
  group.close();
  expect(h.leaks()).toEqual([]);
});

const deps = () => ({ media: group, placeCall: h.sip.placeCall, mediaAddress: MEDIA_ADDRESS, codecPreference: ['PCMU', 'PCMA'] });

function options(over: Partial<DialLegOptions> = {}): DialLegOptions {
  return {
    request: (sdp) => ({ requestUri: 'sip:+15557654321@sip.carrier.example;user=phone', fromUri: 'sip:+15550100@sip.carrier.example', nextHop: { host: 'sip.carrier.example', port: 5060, transport: 'udp' }, sdp, ringTimeoutMs: 30_000 }),
    media: (a) => ({ logger: silentLogger(), codec: a.codec, payloadType: a.payloadType, remote: a.remote, ptimeMs: a.ptimeMs, appSampleRate: 8000 }),
    log: silentLogger(),
    ...over,
  };
}

/** What the rejection of `answered` says: the catalogued reason and status. */
async function failureOf(p: Promise<unknown>): Promise<{ reason: string; sipStatus: number }> {
  try {
    await p;
  } catch (err) {
    const f = classifyFailure(err);
    return { reason: f.reason, sipStatus: f.sipStatus };
  }
  throw new Error('expected a rejection');
}

describe('dialLeg: before the INVITE', () => {
  const cases = [
    { name: 'pool exhausted', error: new PortPoolExhaustedError() },
    { name: 'any other allocate failure', error: new Error('EADDRINUSE') },
  ];
  it.each(cases)('no RTP port ($name): rejects no-media-port 503, no INVITE sent', async (c) => {
    h.media.failNext = c.error;
    expect(await failureOf(dialLeg(deps(), options()))).toEqual({ reason: 'no-media-port', sipStatus: 503 });
    expect(h.sip.placed).toEqual([]);
    expect(h.media.legs).toEqual([]);
  });

  const builders = [
    { name: 'the request builder throws (bad number)', arrange: () => options({ request: () => { throw new CallRejectedError('invalid-number', 'not E.164'); } }), reason: 'invalid-number', status: 484 },
    { name: 'the engine refuses the request', arrange: () => { h.sip.failNext = new CallRejectedError('no-transport'); return options(); }, reason: 'no-transport', status: 503 },
  ];
  it.each(builders)('$name: rejects with it and gives the port back', async (c) => {
    expect(await failureOf(dialLeg(deps(), c.arrange()))).toEqual({ reason: c.reason, sipStatus: c.status });
    expect(h.sip.placed).toEqual([]);
    expect(h.media.legs.map((l) => [l.opened, l.releaseCalls])).toEqual([[undefined, 1]]);
  });

  it('offers our codecs on the allocated port, holding early packets', async () => {
    const dial = await dialLeg(deps(), options());
    expect(h.media.requests).toEqual([{ holdEarlyPackets: true }]);
    const offer = audioOf(h.sip.placed[0].request.sdp);
    expect(offer).toEqual({ port: h.media.legs[0].port, payloads: '0 8 101', codecs: ['PCMU', 'PCMA', 'telephone-event'], direction: 'sendrecv', connection: MEDIA_ADDRESS });
    // The leg is the call's own: allocated on its group.
    expect(group.legs).toEqual([h.media.legs[0]]);
    expect(dial.sipCallId).toBe('outbound-1@bridge');
    dial.cancel();
    await failureOf(dial.answered);
  });
});

describe('dialLeg: the far end', () => {
  it('answers: media opened on its codec and address after answered(); hangUp closes media and sends BYE', async () => {
    const dial = await dialLeg(deps(), options());
    const dialog = h.sip.placed[0].answer(farEndAnswer({ pt: 8, address: '198.51.100.20', port: 30000 }));
    const leg = await dial.answered;
    const fake = h.media.legs[0];
    expect(fake.answeredCalls).toBe(1);
    expect(leg.early).toBe(false);
    expect(leg.answer.codec.name).toBe('PCMA');
    expect(fake.opened!.options).toMatchObject({ payloadType: 8, remote: { address: '198.51.100.20', port: 30000 } });
    expect(leg.media).toBe(fake.media);
    expect(leg.media.id).toBe('leg1');
    // Cancelling an answered leg is a no-op: the owner hangs it up instead.
    dial.cancel();
    expect(h.sip.placed[0].cancelCalls).toBe(0);
    leg.hangUp();
    expect(fake.media.closeCalls).toBe(1);
    expect(dialog.hangupCalls).toBe(1);
  });

  it('hangUp after the far end left sends no BYE', async () => {
    const dial = await dialLeg(deps(), options());
    const dialog = h.sip.placed[0].answer(farEndAnswer());
    const leg = await dial.answered;
    dialog.farEndBye();
    leg.hangUp();
    expect(dialog.hangupCalls).toBe(0);
  });

  const statuses = [
    { status: 486, reason: 'busy-here' },
    { status: 603, reason: 'decline' },
    { status: 408, reason: 'timeout' },
  ];
  it.each(statuses)('final status $status: rejects $reason, port released unopened', async (c) => {
    const dial = await dialLeg(deps(), options());
    h.sip.placed[0].fail(c.status, c.reason as never);
    expect(await failureOf(dial.answered)).toEqual({ reason: c.reason, sipStatus: c.status });
    expect(h.media.legs.map((l) => [l.opened, l.releaseCalls])).toEqual([[undefined, 1]]);
  });

  it('cancel before the answer: CANCEL sent, rejects cancelled 487, port released', async () => {
    const dial = await dialLeg(deps(), options());
    dial.cancel();
    expect(h.sip.placed[0].cancelCalls).toBe(1);
    expect(await failureOf(dial.answered)).toEqual({ reason: 'cancelled', sipStatus: 487 });
    expect(h.media.legs[0].releaseCalls).toBe(1);
  });

  it('an answer with none of our codecs: bad-answer 488, BYE to the far end, port released', async () => {
    const dial = await dialLeg(deps(), options());
    const dialog = h.sip.placed[0].answer(G729_ANSWER);
    expect(await failureOf(dial.answered)).toEqual({ reason: 'bad-answer', sipStatus: 488 });
    expect(dialog.hangupCalls).toBe(1);
    expect(h.media.legs.map((l) => [l.opened, l.releaseCalls])).toEqual([[undefined, 1]]);
  });
});

describe('dialLeg: early media', () => {
  it('openEarly on a 183 opens media once; the answer only moves its remote address', async () => {
    const dial = await dialLeg(deps(), options());
    const media = dial.openEarly(farEndAnswer({ pt: 0, port: 30000 }));
    expect(media).toBe(h.media.legs[0].media);
    expect(dial.openEarly(farEndAnswer())).toBeUndefined();
    h.sip.placed[0].answer(farEndAnswer({ pt: 8, port: 30002 }));
    const leg = await dial.answered;
    expect(leg.early).toBe(true);
    expect(leg.media).toBe(media);
    // The early codec stays: switching codecs mid-stream is a re-INVITE's business.
    expect(h.media.legs[0].opened!.options.codec.name).toBe('PCMU');
    expect(h.media.legs[0].media.remotes).toEqual([{ address: '198.51.100.20', port: 30002 }]);
    leg.hangUp();
  });

  it('unusable early SDP leaves the media to the answer', async () => {
    const dial = await dialLeg(deps(), options());
    expect(dial.openEarly(G729_ANSWER)).toBeUndefined();
    expect(h.media.legs[0].opened).toBeUndefined();
    h.sip.placed[0].answer(farEndAnswer());
    const leg = await dial.answered;
    expect(leg.early).toBe(false);
    leg.hangUp();
  });

  it('early media then a failure: the opened media is closed (not merely released)', async () => {
    const dial = await dialLeg(deps(), options());
    dial.openEarly(farEndAnswer());
    h.sip.placed[0].fail(486);
    await failureOf(dial.answered);
    expect(h.media.legs[0].media.closeCalls).toBe(1);
    expect(dial.openEarly(farEndAnswer())).toBeUndefined();
  });

  it('relays progress to listeners', async () => {
    const dial = await dialLeg(deps(), options());
    const seen: Array<[number, boolean]> = [];
    dial.onProgress((status, sdp) => seen.push([status, sdp !== undefined]));
    h.sip.placed[0].progress(180);
    h.sip.placed[0].progress(183, CARRIER_OFFER);
    await flush();
    expect(seen).toEqual([[180, false], [183, true]]);
    dial.cancel();
    await failureOf(dial.answered);
  });
});
