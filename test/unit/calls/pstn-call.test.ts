// pstn mode: the caller (leg A) is answered only when the forward target (leg B) answers; B's failure is the
// caller's answer; a CANCEL from the caller must reach B. Both legs' ports are checked after every test.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TransactionTimeoutError } from '../../../src/core/errors.js';
import { handleInboundCall } from '../../../src/calls/inbound-call-handler.js';
import { handlePstnCall } from '../../../src/calls/pstn-call.js';
import type { ForwardToConfig, RouteDecision } from '../../../src/trunks/index.js';
import { Harness, deferred, flush, type FakeIncomingCall } from './fakes.js';
import { CARRIER_OFFER, DECISION, G729_OFFER, MEDIA_ADDRESS, OUT_TRUNK, audioOf, farEndAnswer, inboundDeps, pstnDeps } from './fixtures.js';

let h: Harness;
beforeEach(() => {
  h = new Harness();
});
afterEach(() => {
  expect(h.leaks()).toEqual([]);
});

const TO_PBX: ForwardToConfig = { uri: 'sip:agent@pbx.example:5070', ringTimeoutSec: 30 };
const decision = (forwardTo: ForwardToConfig = TO_PBX): RouteDecision & { forwardTo: ForwardToConfig } => ({ ...DECISION, bot: '', forwardTo });

/** Starts the forward and lets it reach "leg B ringing"; wrapped so awaiting this does not await the call. */
async function forward(signal: FakeIncomingCall, forwardTo?: ForwardToConfig) {
  const pending = handlePstnCall(signal, decision(forwardTo), pstnDeps(h));
  await flush();
  return { pending };
}

describe('handlePstnCall: bridged', () => {
  const targets = [
    {
      name: 'a SIP URI',
      forwardTo: TO_PBX,
      request: { requestUri: 'sip:agent@pbx.example:5070', fromUri: 'sip:+15557654321@bridge.example:5060', nextHop: { host: 'pbx.example', port: 5070, transport: 'udp', explicitPort: true }, ringTimeoutMs: 30_000 },
    },
    {
      name: 'a number through an outbound trunk (caller ID passed on)',
      forwardTo: { number: '+15551230000', trunk: OUT_TRUNK.name, ringTimeoutSec: 20 },
      request: { requestUri: 'sip:+15551230000@sip.carrier.example;user=phone', fromUri: 'sip:+15557654321@sip.carrier.example;user=phone', ringTimeoutMs: 20_000 },
    },
  ];
  it.each(targets)('to $name: ringing relayed, caller answered after B, audio relayed leg to leg', async (c) => {
    const signal = h.incoming({ sdp: CARRIER_OFFER });
    const { pending } = await forward(signal, c.forwardTo);
    const b = h.sip.placed[0];
    expect(b.request).toMatchObject(c.request);
    b.progress(180);
    b.progress(183, farEndAnswer());
    expect(signal.provisional).toEqual([180, 180]);
    expect(signal.final).toBeUndefined();
    h.clock.advance(4000); // B rings 4 s: the setup time metrics hear

    const dialogB = b.answer(farEndAnswer({ pt: 8 }));
    const call = (await pending)!;
    const [legA, legB] = h.media.legs;
    // Only B holds early packets (the callee may speak before we handle its 200).
    expect(h.media.requests).toEqual([{ holdEarlyPackets: true }, { holdEarlyPackets: true }]);
    expect(legA.opened!.options.codec.name).toBe('PCMU');
    expect(legB.opened!.options.codec.name).toBe('PCMA');
    expect(legA.opened!.options.appSampleRate).toBe(8000);
    expect(audioOf(signal.acceptedSdp!)).toMatchObject({ port: legA.port, payloads: '0 101', connection: MEDIA_ADDRESS });
    expect(h.before(`uac.invite ${b.callId}`, 'sip.accept')).toBe(true);
    expect([legA.media.startCalls, legB.media.startCalls]).toEqual([1, 1]);
    // Both legs live in the call's one media group and hear each other; no bot in a forward.
    const group = h.media.onlyGroup;
    expect(group.callId).toBe(call.id);
    expect(group.legs).toEqual([legA, legB]);
    expect(group.routes).toEqual([{ leg1: ['leg2'], leg2: ['leg1'] }]);
    expect(group.botRequests).toEqual([]);
    expect(h.observer.answered).toEqual(['inbound']);
    expect(h.observer.answeredInfo).toEqual([{ trunk: 'carrier', setupSeconds: 4 }]);
    expect(call.live()).toMatchObject({
      callId: call.id, sipCallId: 'inbound-1@carrier', state: 'bridged', direction: 'inbound', trunk: 'carrier', to: '+15550100', codec: 'PCMU',
      durationSec: 0, media: { packetsReceived: 0, packetsLost: 0, lossPercent: 0 },
    });

    // The caller hangs up: both media closed, BYE only to B, then the call's media closed.
    signal.dialog!.farEndBye();
    expect(call.ended).toBe(true);
    expect(signal.dialog!.hangupCalls).toBe(0);
    expect(dialogB.hangupCalls).toBe(1);
    expect(group.closeCalls).toBe(1);
    expect(h.before(`media.close ${legB.port}`, `group.close ${call.id}`)).toBe(true);
  });

  it("reports both legs' RTP totals when it ends (each is one of our ports), after their last figures", async () => {
    const signal = h.incoming({ sdp: CARRIER_OFFER });
    const { pending } = await forward(signal);
    h.sip.placed[0].answer(farEndAnswer());
    await pending;
    const [legA, legB] = h.media.onlyGroup.legs;
    Object.assign(legA.opened!.media.stats, { packetsReceived: 300, packetsSent: 290, bytesReceived: 51_600, bytesSent: 49_880 });
    Object.assign(legB.opened!.media.stats, { packetsReceived: 290, packetsSent: 300, bytesReceived: 49_880, bytesSent: 51_600 });
    signal.dialog!.farEndBye();
    await flush();
    expect(h.observer.rtpTotalsReports).toEqual([
      [300, 290, { received: 51_600, sent: 49_880 }],
      [290, 300, { received: 49_880, sent: 51_600 }],
    ]);
  });

  it('B hanging up ends the call and BYEs the caller', async () => {
    const signal = h.incoming({ sdp: CARRIER_OFFER });
    const { pending } = await forward(signal);
    const dialogB = h.sip.placed[0].answer(farEndAnswer());
    const call = (await pending)!;
    dialogB.farEndBye();
    expect(call.ended).toBe(true);
    expect(signal.dialog!.hangupCalls).toBe(1);
  });

  it("a leg's session timer expiring (RFC 4028) ends the call at once, both legs BYEd", async () => {
    const signal = h.incoming({ sdp: CARRIER_OFFER });
    const { pending } = await forward(signal);
    const dialogB = h.sip.placed[0].answer(farEndAnswer());
    const call = (await pending)!;
    dialogB.byeMode = 'manual'; // the vanished far end never answers its BYE
    signal.dialog!.emit('expired');
    expect(call.ended).toBe(true);
    expect([signal.dialog!.hangupCalls, dialogB.hangupCalls]).toEqual([1, 1]);
  });
});

describe('handlePstnCall: failures', () => {
  const statuses = [
    { status: 486, reason: 'busy-here' },
    { status: 603, reason: 'decline' },
    { status: 408, reason: 'timeout' },
  ];
  it.each(statuses)("B's $status is the caller's answer; both ports released", async (c) => {
    const signal = h.incoming({ sdp: CARRIER_OFFER });
    const { pending } = await forward(signal);
    h.sip.placed[0].fail(c.status, c.reason as never);
    expect(await pending).toBeUndefined();
    expect(signal.final).toEqual({ status: c.status, by: 'us' });
    expect(h.observer.rejected).toEqual([['inbound', c.status]]);
    expect(h.media.legs.map((l) => [l.opened, l.releaseCalls])).toEqual([[undefined, 1], [undefined, 1]]);
    expect(h.media.onlyGroup.routes).toEqual([]);
  });

  const setupFailures = [
    { name: 'INVITE without SDP', sdp: undefined, forwardTo: TO_PBX, status: 488, ports: 0 },
    { name: 'no common codec with the caller', sdp: G729_OFFER, forwardTo: TO_PBX, status: 488, ports: 1 },
    { name: 'forward trunk not configured', sdp: CARRIER_OFFER, forwardTo: { number: '+15551230000', trunk: 'missing', ringTimeoutSec: 20 }, status: 500, ports: 2 },
  ];
  it.each(setupFailures)('$name: $status, B never dialled, ports released', async (c) => {
    const signal = h.incoming({ sdp: c.sdp });
    expect(await handlePstnCall(signal, decision(c.forwardTo), pstnDeps(h))).toBeUndefined();
    expect(signal.final?.status).toBe(c.status);
    expect(h.sip.placed).toEqual([]);
    expect(h.media.legs).toHaveLength(c.ports);
    expect(h.media.legs.every((l) => l.releaseCalls === 1)).toBe(true);
    // The call's media is opened before any check and closed once on every way out (leak check).
    expect(h.media.groups).toHaveLength(1);
  });

  it('caller CANCEL while B rings: B cancelled, 487 from the stack only', async () => {
    const signal = h.incoming({ sdp: CARRIER_OFFER });
    const { pending } = await forward(signal);
    signal.cancel();
    expect(h.sip.placed[0].cancelCalls).toBe(1);
    expect(await pending).toBeUndefined();
    expect(signal.final).toEqual({ status: 487, by: 'stack' });
    expect(signal.ignoredRejects).toEqual([]);
    expect(h.observer.rejected).toEqual([['inbound', 487]]);
  });

  it("a CANCEL crossing B's 200: B is hung up (BYE, media closed), the caller never answered", async () => {
    const signal = h.incoming({ sdp: CARRIER_OFFER });
    const { pending } = await forward(signal);
    const dialogB = h.sip.placed[0].answer(farEndAnswer());
    signal.cancel();
    expect(await pending).toBeUndefined();
    expect(dialogB.hangupCalls).toBe(1);
    expect(h.media.legs[1].media.closeCalls).toBe(1);
    expect(signal.acceptedSdp).toBeUndefined();
    expect(h.observer.rejected).toEqual([['inbound', 487]]);
  });

  it('caller CANCEL while leg A takes its port: B is never left ringing', async () => {
    h.media.gate = deferred<void>();
    const signal = h.incoming({ sdp: CARRIER_OFFER });
    const { pending } = await forward(signal);
    signal.cancel();
    h.media.gate.resolve();
    await flush();
    const ringing = h.sip.placed.filter((c) => !c.settled).map((c) => c.callId);
    // Let a still-ringing B fail so the handler finishes and the leak check sees the true end state.
    for (const c of h.sip.placed) if (!c.settled) c.fail(480);
    expect(await pending).toBeUndefined();
    expect(ringing).toEqual([]);
  });

  it('no ACK from the caller: B hung up, both media closed, counted 408', async () => {
    const signal = h.incoming({ sdp: CARRIER_OFFER, ack: new TransactionTimeoutError('no ACK received for 200 OK') });
    const { pending } = await forward(signal);
    const dialogB = h.sip.placed[0].answer(farEndAnswer());
    expect(await pending).toBeUndefined();
    expect(dialogB.hangupCalls).toBe(1);
    expect(h.media.legs.map((l) => l.media.closeCalls)).toEqual([1, 1]);
    expect(h.observer.rejected).toEqual([['inbound', 408]]);
  });
});

describe('pstn mode through handleInboundCall', () => {
  const route = () => decision();
  it('holds the trunk slot while the forward lives and frees it at the end', async () => {
    const signal = h.incoming({ sdp: CARRIER_OFFER });
    const pending = handleInboundCall(signal, inboundDeps(h, { route }));
    await flush();
    expect(h.bots.attempts).toEqual([]);
    h.sip.placed[0].answer(farEndAnswer());
    const call = (await pending)!;
    expect(h.slots.held.get('carrier')).toBe(1);
    call.end('api-hangup');
    expect(h.slots.total()).toBe(0);
  });

  it('frees the trunk slot when the forward fails', async () => {
    const signal = h.incoming({ sdp: CARRIER_OFFER });
    const pending = handleInboundCall(signal, inboundDeps(h, { route }));
    await flush();
    h.sip.placed[0].fail(486);
    expect(await pending).toBeUndefined();
    expect(signal.final?.status).toBe(486);
    expect(h.slots.total()).toBe(0);
  });
});
