// CallManager: live calls tracked from answer to 'ended', 503 while draining, and shutdown ending every call and
// waiting (at most maxWaitMs of the manual clock) for the BYEs. Metrics must balance: every answered call ends.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BotConnectError, classifyFailure } from '../../../src/core/errors.js';
import { silentLogger } from '../../../src/core/logger.js';
import { CallManager } from '../../../src/calls/call-manager.js';
import type { InboundCallDeps } from '../../../src/calls/inbound-call-handler.js';
import { Harness, flush, type FakeIncomingCall } from './fakes.js';
import { CARRIER_OFFER, DECISION, OUT_TRUNK, farEndAnswer, inboundDeps, outboundDeps } from './fixtures.js';

let h: Harness;
beforeEach(() => {
  h = new Harness();
});
afterEach(() => {
  expect(h.leaks()).toEqual([]);
});

function manager(over: Partial<InboundCallDeps> = {}): CallManager {
  const m = new CallManager(h.sip, inboundDeps(h, over), silentLogger());
  m.attach();
  m.enableOutbound(outboundDeps(h));
  return m;
}

/** Offers an INVITE and lets its setup finish (bot opens at once unless the test set otherwise). */
async function ring(n: number): Promise<FakeIncomingCall> {
  const signal = h.incoming({ sdp: CARRIER_OFFER, callId: `inbound-${n}@carrier` });
  h.sip.offer(signal);
  await flush();
  return signal;
}

/** Watches a promise without awaiting it. */
function watch(p: Promise<unknown>): { done: boolean } {
  const state = { done: false };
  void p.then(() => {
    state.done = true;
  });
  return state;
}

const REQ = { to: '+15557654321', trunk: OUT_TRUNK.name, bot: 'support' };

describe('CallManager: tracking', () => {
  it('counts a call as setting up, then active until it ends; the end is reported with its duration', async () => {
    const m = manager();
    h.bots.mode = 'manual';
    const signal = await ring(1);
    expect([m.settingUpCount, m.activeCount]).toEqual([1, 0]);
    h.bots.attempts[0].open();
    await flush();
    expect([m.settingUpCount, m.activeCount]).toEqual([0, 1]);
    const id = h.bots.only.starts[0].callId;
    expect(m.get(id)?.id).toBe(id);

    h.clock.advance(12_000);
    signal.dialog!.farEndBye();
    expect(m.activeCount).toBe(0);
    expect(m.get(id)).toBeUndefined();
    expect(h.observer.ended).toEqual([['inbound', 'caller-hangup', 12]]);
    // The end carries the labels the answer did, so per-trunk active calls come back down.
    expect(h.observer.endedLabels).toEqual([{ trunk: 'carrier', bot: 'support' }]);
    expect(h.observer.answeredInfo).toEqual([expect.objectContaining({ trunk: 'carrier', bot: 'support' })]);
  });

  it('a rejected setup is never tracked', async () => {
    const m = manager();
    h.bots.mode = new BotConnectError('down');
    const signal = await ring(1);
    expect(signal.final?.status).toBe(503);
    expect([m.settingUpCount, m.activeCount]).toEqual([0, 0]);
    expect(h.observer.ended).toEqual([]);
  });

  it('tracks outbound calls once answered', async () => {
    const m = manager();
    const placed = await m.placeCall(REQ);
    expect(m.settingUpCount).toBe(1);
    h.sip.placed[0].answer(farEndAnswer());
    const call = await placed.answered;
    expect([m.settingUpCount, m.activeCount]).toEqual([0, 1]);
    h.bots.only.emit('command', { type: 'hangup' });
    expect(m.activeCount).toBe(0);
    expect(h.observer.ended).toEqual([['outbound', 'bot-hangup', 0]]);
    expect(call.ended).toBe(true);
  });
});

describe('CallManager: outbound calls while they ring (GET and hangup of /v1/calls/{id})', () => {
  it('shows a placed call as ringing and cancels it; once failed it is neither ringing nor setting up', async () => {
    const m = manager();
    const placed = await m.placeCall(REQ);
    expect(m.ringingCall(placed.callId)).toMatchObject({ callId: placed.callId, state: 'ringing', direction: 'outbound', to: '+15557654321' });
    expect(m.cancelRinging('no-such-call')).toBe(false);
    expect(m.cancelRinging(placed.callId)).toBe(true);
    await expect(placed.answered.catch((e: unknown) => classifyFailure(e))).resolves.toMatchObject({ reason: 'cancelled', sipStatus: 487 });
    await flush();
    expect(h.bots.only.stops).toEqual([{ reason: 'api-hangup' }]);
    expect(m.ringingCall(placed.callId)).toBeUndefined();
    expect(m.cancelRinging(placed.callId)).toBe(false);
    expect([m.settingUpCount, m.activeCount]).toEqual([0, 0]);
  });

  it('tells watchers a call placed, then answered (started) or, cancelled, notAnswered', async () => {
    const m = manager();
    const heard: string[] = [];
    m.watch({ placed: (id) => heard.push(`placed ${id}`), notAnswered: (id) => heard.push(`notAnswered ${id}`), started: (c) => heard.push(`started ${c.callId}`) });
    const first = await m.placeCall(REQ);
    expect(heard).toEqual([`placed ${first.callId}`]);
    m.cancelRinging(first.callId);
    await first.answered.catch(() => undefined);
    const second = await m.placeCall(REQ);
    h.sip.placed[1].answer(farEndAnswer());
    const call = await second.answered;
    expect(heard).toEqual([`placed ${first.callId}`, `notAnswered ${first.callId}`, `placed ${second.callId}`, `started ${second.callId}`]);
    call.end('api-hangup');
  });

  it('a placed call whose answered nobody awaits fails without an unhandled rejection', async () => {
    const m = manager();
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const placed = await m.placeCall(REQ); // its answered is left alone, as the Twilio shim does
      m.cancelRinging(placed.callId);
      await flush();
      await new Promise((r) => setImmediate(r));
      expect(m.ringingCall(placed.callId)).toBeUndefined();
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('an answered call is live, not ringing: cancelRinging is false and get() has it', async () => {
    const m = manager();
    const placed = await m.placeCall(REQ);
    h.sip.placed[0].answer(farEndAnswer());
    const call = await placed.answered;
    expect(m.ringingCall(placed.callId)).toBeUndefined();
    expect(m.cancelRinging(placed.callId)).toBe(false);
    expect(m.get(placed.callId)).toBe(call);
    call.end('api-hangup');
  });
});

describe('CallManager: a call its bot knows before the answer (start goes before the 200 OK)', () => {
  /** Offers an INVITE whose ACK waits for the test; returns it once the bot has its start. */
  async function ringUntilStart(): Promise<{ signal: FakeIncomingCall; id: string }> {
    const signal = h.incoming({ sdp: CARRIER_OFFER, callId: 'inbound-slow-ack@carrier', ack: 'manual' });
    h.sip.offer(signal);
    await flush();
    return { signal, id: h.bots.only.opened[0].callId };
  }

  it('answered(id) waits for the ACK and gives the call; get(id) has nothing before it', async () => {
    const m = manager();
    const { signal, id } = await ringUntilStart();
    expect(m.get(id)).toBeUndefined();
    const answered = m.answered(id);
    const state = watch(answered);
    await flush();
    expect(state.done).toBe(false);
    signal.ack();
    const call = await answered;
    expect(call?.id).toBe(id);
    expect(m.get(id)).toBe(call);
    signal.dialog!.farEndBye();
    expect(await m.answered(id)).toBeUndefined();
  });

  it('a setup that fails after start (no ACK) answers undefined; an unknown id answers undefined at once', async () => {
    const m = manager();
    const { signal, id } = await ringUntilStart();
    const answered = m.answered(id);
    signal.ackTimeout();
    expect(await answered).toBeUndefined();
    expect(m.activeCount).toBe(0);
    expect(await m.answered('00000000-0000-0000-0000-000000000000')).toBeUndefined();
  });
});

describe('CallManager: watchers (the API event stream)', () => {
  it('tells each watcher a call once answered (as live() shows it) and once ended; an unwatched one hears nothing more', async () => {
    const m = manager();
    const heard: string[] = [];
    const stop = m.watch({
      started: (c) => heard.push(`started ${c.callId} ${'state' in c ? c.state : '?'}`),
      ended: (e) => heard.push(`ended ${e.callId} ${e.reason} ${e.durationSec}`),
    });
    const signal = await ring(1);
    const id = h.bots.only.starts[0].callId;
    h.clock.advance(3000);
    signal.dialog!.farEndBye();
    expect(heard).toEqual([`started ${id} answered`, `ended ${id} caller-hangup 3`]);
    stop();
    const second = await ring(2);
    second.dialog!.farEndBye();
    expect(heard).toHaveLength(2);
  });

  it('a watcher that throws is logged; the others and the call go on', async () => {
    const m = manager();
    m.watch({ started: () => { throw new Error('watcher bug'); } });
    const heard: string[] = [];
    m.watch({ started: (c) => heard.push(c.callId) });
    await ring(1);
    expect(heard).toHaveLength(1);
    expect(m.activeCount).toBe(1);
    m.get(heard[0])!.end('api-hangup');
  });

  it('a setup that never answered is neither started nor ended', async () => {
    const m = manager();
    const heard: string[] = [];
    m.watch({ started: (c) => heard.push(c.callId), ended: (e) => heard.push(e.callId) });
    h.bots.mode = new BotConnectError('down');
    await ring(1);
    expect(heard).toEqual([]);
  });
});

describe('CallManager: draining', () => {
  it('refuses INVITEs with 503 Retry-After 30 and takes nothing for them', async () => {
    const m = manager();
    await m.shutdown();
    const signal = await ring(1);
    expect(signal.final).toEqual({ status: 503, headers: { 'Retry-After': '30' }, by: 'us' });
    expect(h.observer.rejected).toEqual([['inbound', 503]]);
    expect(h.media.requests).toEqual([]);
    expect(h.bots.attempts).toEqual([]);
    expect(m.settingUpCount).toBe(0);
  });

  it('refuses outbound calls with shutting-down (503), and without outbound config with outbound-unavailable', async () => {
    const m = manager();
    await m.shutdown();
    await expect(m.placeCall(REQ).catch((e: unknown) => classifyFailure(e))).resolves.toMatchObject({ reason: 'shutting-down', sipStatus: 503 });
    const bare = new CallManager(h.sip, inboundDeps(h), silentLogger());
    await expect(bare.placeCall(REQ).catch((e: unknown) => classifyFailure(e))).resolves.toMatchObject({ reason: 'outbound-unavailable' });
    expect(h.sip.placed).toEqual([]);
  });

  it('shutdown ends every call (bot told shutdown, BYE sent) and resolves once every BYE is answered', async () => {
    const m = manager();
    const a = await ring(1);
    const b = await ring(2);
    expect(m.activeCount).toBe(2);
    a.dialog!.byeMode = 'manual';
    b.dialog!.byeMode = 'manual';
    const done = watch(m.shutdown());
    expect(h.bots.sessions.map((s) => s.stops.map((x) => x.reason))).toEqual([['shutdown'], ['shutdown']]);
    expect([a.dialog!.hangupCalls, b.dialog!.hangupCalls]).toEqual([1, 1]);
    expect(m.activeCount).toBe(0);
    await flush();
    expect(done.done).toBe(false);
    a.dialog!.answerBye();
    await flush();
    expect(done.done).toBe(false);
    b.dialog!.answerBye();
    await flush();
    expect(done.done).toBe(true);
    // The wait timer is not left behind once the BYEs are in.
    expect(h.clock.pending()).toBe(0);
    expect(h.observer.ended.map(([, reason]) => reason)).toEqual(['shutdown', 'shutdown']);
  });

  it('an unanswered BYE holds shutdown only until maxWaitMs on the clock', async () => {
    const m = manager();
    const a = await ring(1);
    a.dialog!.byeMode = 'manual';
    const done = watch(m.shutdown(2000));
    h.clock.advance(1999);
    await flush();
    expect(done.done).toBe(false);
    h.clock.advance(1);
    await flush();
    expect(done.done).toBe(true);
  });

  it('shutdown ends a pstn forward with a BYE on both legs', async () => {
    const m = manager({ route: () => ({ ...DECISION, bot: '', forwardTo: { uri: 'sip:agent@pbx.example', ringTimeoutSec: 30 } }) });
    const signal = await ring(1);
    const dialogB = h.sip.placed[0].answer(farEndAnswer());
    await flush();
    expect(m.activeCount).toBe(1);
    await m.shutdown();
    expect([signal.dialog!.hangupCalls, dialogB.hangupCalls]).toEqual([1, 1]);
    expect(h.observer.ended.map(([dir, reason]) => [dir, reason])).toEqual([['inbound', 'shutdown']]);
    expect(h.observer.answeredInfo).toEqual([expect.objectContaining({ trunk: 'carrier' })]);
    expect(h.observer.endedLabels).toEqual([{ trunk: 'carrier' }]);
  });

  // answered counted, so the end must be counted too, or the active-calls gauge never comes back down.
  it('an inbound call answered after shutdown began is ended with shutdown and its end is reported', async () => {
    const m = manager();
    h.bots.mode = 'manual';
    const signal = await ring(1);
    await m.shutdown();
    h.bots.attempts[0].open();
    await flush();
    expect(h.bots.only.stops).toEqual([{ reason: 'shutdown' }]);
    expect(signal.dialog!.hangupCalls).toBe(1);
    expect(m.activeCount).toBe(0);
    expect(h.observer.answered).toEqual(['inbound']);
    expect(h.observer.ended.map(([dir, reason]) => [dir, reason])).toEqual([['inbound', 'shutdown']]);
  });

  it('shutdown cancels an outbound call that still rings (CANCEL, bot stopped shutdown, counted 487) and waits for it', async () => {
    const m = manager();
    const placed = await m.placeCall(REQ);
    const failure = placed.answered.catch((e: unknown) => classifyFailure(e));
    await m.shutdown();
    expect(h.sip.placed[0].cancelCalls).toBe(1);
    await expect(failure).resolves.toMatchObject({ reason: 'cancelled', sipStatus: 487 });
    expect(h.bots.only.stops).toEqual([{ reason: 'shutdown' }]);
    expect(h.observer.rejected).toEqual([['outbound', 487]]);
    expect([m.settingUpCount, m.activeCount]).toEqual([0, 0]);
  });

  it('a call still being dialled when shutdown began is cancelled once it has its INVITE out', async () => {
    const m = manager();
    const placing = m.placeCall(REQ);
    await m.shutdown();
    const placed = await placing;
    await expect(placed.answered.catch((e: unknown) => classifyFailure(e))).resolves.toMatchObject({ reason: 'cancelled' });
    expect(h.sip.placed[0].cancelCalls).toBe(1);
    expect(h.bots.only.stops).toEqual([{ reason: 'shutdown' }]);
  });
});

describe('CallManager: drain (graceful stop)', () => {
  it('refuses new INVITEs with 503 and the configured Retry-After while calls in progress go on', async () => {
    const m = manager();
    const a = await ring(1);
    const drained = watch(m.drain(60_000, 7));
    const b = await ring(2);
    expect(b.final).toEqual({ status: 503, headers: { 'Retry-After': '7' }, by: 'us' });
    expect(m.activeCount).toBe(1);
    expect(a.dialog!.hangupCalls).toBe(0);
    expect(h.bots.only.stops).toEqual([]);
    await flush();
    expect(drained.done).toBe(false);
    // The caller hangs up: the bridge is idle, drain resolves with nothing left and its timer cancelled.
    a.dialog!.farEndBye();
    await flush();
    expect(drained.done).toBe(true);
    expect(h.clock.pending()).toBe(0);
    expect(m.isDraining).toBe(true);
  });

  it('resolves after timeoutMs on the clock with the calls still live; shutdown then ends them with reason shutdown', async () => {
    const m = manager();
    const a = await ring(1);
    let remaining: number | undefined;
    void m.drain(5000).then((n) => (remaining = n));
    h.clock.advance(4999);
    await flush();
    expect(remaining).toBeUndefined();
    h.clock.advance(1);
    await flush();
    expect(remaining).toBe(1);
    await m.shutdown();
    expect(a.dialog!.hangupCalls).toBe(1);
    expect(h.bots.only.stops).toEqual([{ reason: 'shutdown' }]);
    expect(h.observer.ended.map(([, reason]) => reason)).toEqual(['shutdown']);
  });

  it('a call being set up when drain began is answered and kept; drain waits for it', async () => {
    const m = manager();
    h.bots.mode = 'manual';
    const signal = await ring(1);
    const drained = watch(m.drain(60_000));
    h.bots.attempts[0].open();
    await flush();
    expect(m.activeCount).toBe(1);
    expect(drained.done).toBe(false);
    expect(h.bots.only.stops).toEqual([]);
    signal.dialog!.farEndBye();
    await flush();
    expect(drained.done).toBe(true);
  });

  it('resolves at once with 0 when nothing is live', async () => {
    const m = manager();
    await expect(m.drain(1000)).resolves.toBe(0);
    expect(h.clock.pending()).toBe(0);
  });
});
