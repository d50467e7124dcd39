// placeOutboundCall: validation, the bot connected while the phone rings, the answer bridged, early media,
// and every failure ending leg and bot together (no port, slot or bot left behind: asserted after each test).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BotConnectError, classifyFailure } from '../../../src/core/errors.js';
import { placeOutboundCall, type PlaceCallRequest } from '../../../src/calls/outbound-call-handler.js';
import { Harness, deferred, flush } from './fakes.js';
import { G729_ANSWER, OUT_TRUNK, farEndAnswer, outboundDeps } from './fixtures.js';

let h: Harness;
beforeEach(() => {
  h = new Harness();
});
afterEach(() => {
  expect(h.leaks()).toEqual([]);
});

const REQ: PlaceCallRequest = { to: '+15557654321', trunk: OUT_TRUNK.name, bot: 'support', headers: { 'X-Campaign': 'spring' } };

async function failureOf(p: Promise<unknown>): Promise<{ reason: string; sipStatus: number }> {
  try {
    await p;
  } catch (err) {
    const f = classifyFailure(err);
    return { reason: f.reason, sipStatus: f.sipStatus };
  }
  throw new Error('expected a rejection');
}

describe('placeOutboundCall: validation', () => {
  const cases = [
    { name: 'unknown trunk', req: { ...REQ, trunk: 'nope' }, reason: 'unknown-trunk', status: 404 },
    { name: 'unknown bot', req: { ...REQ, bot: 'nope' }, reason: 'unknown-bot', status: 404 },
    { name: 'a core SIP header', req: { ...REQ, headers: { 'Call-ID': 'x' } }, reason: 'bad-header', status: 400 },
    { name: 'a number that is not one', req: { ...REQ, to: '555-CALL-NOW' }, reason: 'invalid-number', status: 484 },
  ];
  it.each(cases)('$name: throws $status before taking a port or a bot', (c) => {
    let thrown: unknown;
    try {
      void placeOutboundCall(c.req, outboundDeps(h));
    } catch (err) {
      thrown = err;
    }
    expect(classifyFailure(thrown)).toMatchObject({ reason: c.reason, sipStatus: c.status });
    expect(h.media.requests).toEqual([]);
    expect(h.bots.attempts).toEqual([]);
  });
});

describe('placeOutboundCall: answered', () => {
  it('connects the bot while ringing, then bridges: start (outbound) before media starts, audio both ways', async () => {
    const placed = await placeOutboundCall(REQ, outboundDeps(h));
    expect(placed.sipCallId).toBe('outbound-1@bridge');
    const outgoing = h.sip.placed[0];
    expect(outgoing.request).toMatchObject({
      requestUri: 'sip:+15557654321@sip.carrier.example;user=phone',
      fromUri: 'sip:+15550100@sip.carrier.example;user=phone',
      headers: [['X-Campaign', 'spring']],
      ringTimeoutMs: 45_000,
    });
    // The socket opens while the phone rings, so the callee hears the bot at once.
    expect(h.bots.attempts.map((a) => a.ctx.callId)).toEqual([placed.callId]);
    await flush();
    const bot = h.bots.only;
    expect(bot.starts).toEqual([]);

    const dialog = outgoing.answer(farEndAnswer({ pt: 8 }));
    const call = await placed.answered;
    const media = h.media.legs[0].media;
    expect(h.media.legs[0].opened!.options).toMatchObject({ payloadType: 8, appSampleRate: 16000 });
    expect(bot.starts).toEqual([
      {
        type: 'start',
        callId: placed.callId,
        sipCallId: 'outbound-1@bridge',
        from: '+15550100',
        to: '+15557654321',
        trunk: OUT_TRUNK.name,
        direction: 'outbound',
        headers: { 'X-Campaign': 'spring' },
        media: { encoding: 'L16', sampleRate: 16000, channels: 1, frameMs: 20 },
      },
    ]);
    // The callee's held first words are replayed when media starts: the bot must know the call by then.
    expect(h.before('bot.start', `media.start ${media.port}`)).toBe(true);
    expect(h.observer.answered).toEqual(['outbound']);
    expect(h.observer.botConnects).toEqual([0]);
    // One media group for the call, opened before the port is taken; callee and bot hear each other once answered.
    const group = h.media.onlyGroup;
    expect(group.callId).toBe(placed.callId);
    expect(group.legs).toEqual([h.media.legs[0]]);
    expect(group.bot).toBe(bot);
    expect(group.routes).toEqual([{ leg1: ['bot'], bot: ['leg1'] }]);
    expect(h.before(`group.open ${placed.callId}`, 'media.allocate')).toBe(true);

    call.end('api-hangup');
    expect(dialog.hangupCalls).toBe(1);
    expect(media.closeCalls).toBe(1);
    expect(bot.stops).toEqual([{ reason: 'api-hangup' }]);
    expect(group.closeCalls).toBe(1);
  });

  it('telephone-event in the answer enables RFC 4733 DTMF on the media (bot dtmf command)', async () => {
    const placed = await placeOutboundCall(REQ, outboundDeps(h));
    h.sip.placed[0].answer(farEndAnswer());
    const call = await placed.answered;
    const { options } = h.media.legs[0].opened!;
    call.end('api-hangup');
    expect(options.telephoneEvent).toEqual({ payloadType: 101, clockRate: 8000 });
  });
});

describe('placeOutboundCall: failures', () => {
  const statuses = [
    { status: 486, reason: 'busy-here' },
    { status: 480, reason: 'temporarily-unavailable' },
    { status: 408, reason: 'timeout' },
  ];
  it.each(statuses)('far end $status: rejects with it, bot stopped, port released, counted', async (c) => {
    const placed = await placeOutboundCall(REQ, outboundDeps(h));
    await flush();
    h.sip.placed[0].fail(c.status, c.reason as never);
    expect(await failureOf(placed.answered)).toEqual({ reason: c.reason, sipStatus: c.status });
    expect(h.bots.only.starts).toEqual([]);
    expect(h.bots.only.stops).toEqual([{ reason: 'error' }]);
    expect(h.media.legs.map((l) => [l.opened, l.releaseCalls])).toEqual([[undefined, 1]]);
    expect(h.observer.rejected).toEqual([['outbound', c.status]]);
    expect(h.observer.answered).toEqual([]);
    expect(h.media.onlyGroup.routes).toEqual([]);
    expect(h.before('bot.stop error', `group.close ${h.media.onlyGroup.callId}`)).toBe(true);
  });

  it('bot unreachable while ringing: the leg is cancelled, 503', async () => {
    h.bots.mode = 'manual';
    const placed = await placeOutboundCall(REQ, outboundDeps(h));
    h.bots.attempts[0].fail(new BotConnectError('refused'));
    expect(await failureOf(placed.answered)).toEqual({ reason: 'bot-unavailable', sipStatus: 503 });
    expect(h.sip.placed[0].cancelCalls).toBe(1);
    expect(h.media.legs[0].releaseCalls).toBe(1);
    expect(h.observer.botConnectFailures).toBe(1);
    expect(h.observer.rejected).toEqual([['outbound', 503]]);
  });

  it('bot fails after the callee answered: the answered leg is hung up (BYE, media closed)', async () => {
    h.bots.mode = 'manual';
    const placed = await placeOutboundCall(REQ, outboundDeps(h));
    const dialog = h.sip.placed[0].answer(farEndAnswer());
    await flush();
    h.bots.attempts[0].fail(new BotConnectError('timed out'));
    expect(await failureOf(placed.answered)).toEqual({ reason: 'bot-unavailable', sipStatus: 503 });
    await flush();
    expect(dialog.hangupCalls).toBe(1);
    expect(h.media.legs[0].media.closeCalls).toBe(1);
    expect(h.observer.answered).toEqual([]);
  });

  it("an answer with none of our codecs: bad-answer 488, the callee hung up, bot stopped", async () => {
    const placed = await placeOutboundCall(REQ, outboundDeps(h));
    const dialog = h.sip.placed[0].answer(G729_ANSWER);
    expect(await failureOf(placed.answered)).toEqual({ reason: 'bad-answer', sipStatus: 488 });
    expect(dialog.hangupCalls).toBe(1);
    expect(h.bots.only.stops).toEqual([{ reason: 'error' }]);
    expect(h.observer.rejected).toEqual([['outbound', 488]]);
  });
});

describe('placeOutboundCall: cancelled before the answer (the calls API, shutdown)', () => {
  it('while ringing: CANCEL, the bot stopped with the reason, port released, counted 487; shown as ringing until then', async () => {
    const placed = await placeOutboundCall({ ...REQ, earlyMedia: true }, outboundDeps(h));
    await flush();
    expect(placed.ringing()).toMatchObject({
      callId: placed.callId, sipCallId: 'outbound-1@bridge', state: 'ringing', direction: 'outbound', trunk: OUT_TRUNK.name, bot: 'support', from: '+15550100', to: '+15557654321', ringingSec: 0,
    });
    expect(placed.ringing().earlyMedia).toBeUndefined();
    h.sip.placed[0].progress(183, farEndAnswer());
    await flush();
    h.clock.advance(2500);
    expect(placed.ringing()).toMatchObject({ ringingSec: 2.5, earlyMedia: true });
    expect(placed.cancel('api-hangup')).toBe(true);
    expect(placed.cancel('api-hangup')).toBe(true); // a second request (a retried hangup) sends no second CANCEL
    expect(await failureOf(placed.answered)).toEqual({ reason: 'cancelled', sipStatus: 487 });
    expect(h.sip.placed[0].cancelCalls).toBe(1);
    expect(h.bots.only.stops).toEqual([{ reason: 'api-hangup' }]);
    expect(h.media.legs[0].releaseCalls + h.media.legs[0].media.closeCalls).toBeGreaterThan(0);
    expect(h.observer.rejected).toEqual([['outbound', 487]]);
    expect(h.observer.answered).toEqual([]);
    // Failed already: another cancel sends nothing more and still says the call is going.
    expect(placed.cancel('api-hangup')).toBe(true);
    expect(h.sip.placed[0].cancelCalls).toBe(1);
  });

  it('the callee answered while the bot was still connecting: that answer is hung up (BYE), never bridged', async () => {
    h.bots.mode = 'manual';
    const placed = await placeOutboundCall(REQ, outboundDeps(h));
    const dialog = h.sip.placed[0].answer(farEndAnswer());
    await flush();
    expect(placed.cancel('shutdown')).toBe(true);
    h.bots.attempts[0].open();
    expect(await failureOf(placed.answered)).toEqual({ reason: 'cancelled', sipStatus: 487 });
    await flush();
    expect(dialog.hangupCalls).toBe(1);
    expect(h.bots.only.starts).toEqual([]);
    expect(h.bots.only.stops).toEqual([{ reason: 'shutdown' }]);
    expect(h.observer.answered).toEqual([]);
  });

  it('once answered and bridged it is not cancelled: false, and the live call goes on', async () => {
    const placed = await placeOutboundCall(REQ, outboundDeps(h));
    h.sip.placed[0].answer(farEndAnswer());
    const call = await placed.answered;
    expect(placed.cancel('api-hangup')).toBe(false);
    expect(h.sip.placed[0].cancelCalls).toBe(0);
    expect(call.ended).toBe(false);
    call.end('api-hangup');
  });
});

describe('placeOutboundCall: the trunk\'s fallback', () => {
  it('bot unreachable with a play fallback: the call rings on, the callee answers and hears the prompt, then BYE (bot-unavailable)', async () => {
    h.bots.mode = 'manual';
    h.media.playGate = deferred<void>();
    const asked: string[] = [];
    const placed = await placeOutboundCall(REQ, outboundDeps(h, {
      outboundFallback: (trunk) => {
        asked.push(trunk);
        return { action: 'play', file: '/srv/sorry.wav' };
      },
    }));
    h.bots.attempts[0].fail(new BotConnectError('refused'));
    await flush();
    expect(asked).toEqual([OUT_TRUNK.name]);
    expect(h.sip.placed[0].cancelCalls).toBe(0);
    const dialog = h.sip.placed[0].answer(farEndAnswer());
    const call = await placed.answered;
    const reasons: string[] = [];
    call.onEnded((reason) => reasons.push(reason));
    expect(h.observer.botConnectFailures).toBe(1);
    expect(h.observer.answered).toEqual(['outbound']);
    await flush();
    const group = h.media.onlyGroup;
    expect(group.routes).toEqual([{}]); // nothing routed to a bot
    expect(group.plays).toEqual([{ leg: 'leg1', file: '/srv/sorry.wav' }]);
    expect(call.ended).toBe(false);
    h.media.playGate.resolve();
    await flush();
    expect(reasons).toEqual(['bot-unavailable']);
    expect(dialog.hangupCalls).toBe(1);
  });

  it('bot unreachable with the reject fallback (or none): cancelled while ringing, 503, as before', async () => {
    h.bots.mode = 'manual';
    const placed = await placeOutboundCall(REQ, outboundDeps(h, { outboundFallback: () => ({ action: 'reject' }) }));
    h.bots.attempts[0].fail(new BotConnectError('refused'));
    expect(await failureOf(placed.answered)).toEqual({ reason: 'bot-unavailable', sipStatus: 503 });
    expect(h.sip.placed[0].cancelCalls).toBe(1);
  });

  it('the bot drops mid-call and does not come back: the play fallback runs for the callee, then BYE (bot-lost)', async () => {
    h.media.playGate = deferred<void>();
    const placed = await placeOutboundCall(REQ, outboundDeps(h, { outboundFallback: () => ({ action: 'play', file: '/srv/sorry.wav' }) }));
    const dialog = h.sip.placed[0].answer(farEndAnswer());
    const call = await placed.answered;
    const reasons: string[] = [];
    call.onEnded((reason) => reasons.push(reason));
    h.bots.only.close({ code: 1006, reason: '', initiatedByBot: true, dropped: true });
    await flush();
    expect(h.media.onlyGroup.routes.at(-1)).toEqual({});
    expect(h.media.onlyGroup.plays).toEqual([{ leg: 'leg1', file: '/srv/sorry.wav' }]);
    expect(call.ended).toBe(false);
    h.media.playGate.resolve();
    await flush();
    expect(reasons).toEqual(['bot-lost']);
    expect(dialog.hangupCalls).toBe(1);
  });
});

describe('placeOutboundCall: early media', () => {
  it('183 with SDP: bot starts early (early:true) hearing the far end; the 200 sends answered, not a second start', async () => {
    const placed = await placeOutboundCall({ ...REQ, earlyMedia: true }, outboundDeps(h));
    const outgoing = h.sip.placed[0];
    outgoing.progress(183, farEndAnswer({ pt: 0 }));
    await flush();
    const bot = h.bots.only;
    const media = h.media.legs[0].media;
    expect(bot.starts).toHaveLength(1);
    expect(bot.starts[0]).toMatchObject({ direction: 'outbound', early: true });
    expect(media.startCalls).toBeGreaterThan(0);
    // The bot hears the far end (ringback, announcement) and the far end hears nothing yet; routed before the
    // media starts, so the replayed first packets reach the bot.
    const group = h.media.onlyGroup;
    expect(group.routes).toEqual([{ bot: ['leg1'] }]);
    expect(h.before('group.route {"bot":["leg1"]}', `media.start ${media.port}`)).toBe(true);

    outgoing.answer(farEndAnswer({ pt: 0, port: 30002 }));
    const call = await placed.answered;
    expect(bot.starts).toHaveLength(1);
    expect(bot.events).toEqual([{ type: 'answered' }]);
    expect(h.observer.answered).toEqual(['outbound']);
    // One table after the answer, replacing the early one: callee and bot hear each other.
    expect(group.routes).toEqual([{ bot: ['leg1'] }, { leg1: ['bot'], bot: ['leg1'] }]);
    call.end('bot-hangup');
  });

  it('early media then not answered: bot stopped not-answered, early media closed', async () => {
    const placed = await placeOutboundCall({ ...REQ, earlyMedia: true }, outboundDeps(h));
    h.sip.placed[0].progress(183, farEndAnswer());
    await flush();
    h.sip.placed[0].fail(486);
    expect(await failureOf(placed.answered)).toEqual({ reason: 'busy-here', sipStatus: 486 });
    expect(h.bots.only.stops).toEqual([{ reason: 'not-answered' }]);
    expect(h.media.legs[0].media.closeCalls).toBe(1);
    expect(h.media.onlyGroup.routes).toEqual([{ bot: ['leg1'] }]);
  });

  it('without earlyMedia a 183 starts nothing: the bot waits for the answer', async () => {
    const placed = await placeOutboundCall(REQ, outboundDeps(h));
    h.sip.placed[0].progress(183, farEndAnswer());
    await flush();
    expect(h.bots.only.starts).toEqual([]);
    expect(h.media.legs[0].opened).toBeUndefined();
    expect(h.media.onlyGroup.routes).toEqual([]);
    h.sip.placed[0].answer(farEndAnswer());
    const call = await placed.answered;
    expect(h.bots.only.starts.map((s) => s.early)).toEqual([undefined]);
    call.end('api-hangup');
  });
});
