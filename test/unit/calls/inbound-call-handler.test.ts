// handleInboundCall with fake media, signaling and bot: the answered path, and every rejection with its SIP
// status, Retry-After and metric. The sdp/ code is real, so the answer and the codec are what production sends.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BotConnectError, CallRejectedError, PortPoolExhaustedError } from '../../../src/core/errors.js';
import { handleInboundCall, type InboundCallDeps } from '../../../src/calls/inbound-call-handler.js';
import { Harness, deferred, flush } from './fakes.js';
import { CARRIER_OFFER, DECISION, G729_OFFER, MEDIA_ADDRESS, ON_HOLD_OFFER, audioOf, inboundDeps } from './fixtures.js';

let h: Harness;
beforeEach(() => {
  h = new Harness();
});
afterEach(() => {
  expect(h.leaks()).toEqual([]);
});

describe('handleInboundCall: answered', () => {
  it('answers 200 with our SDP, opens media on the negotiated codec before the 200, then starts media and bot', async () => {
    const signal = h.incoming({
      sdp: CARRIER_OFFER,
      headers: [['X-Customer-Id', '42'], ['User-Agent', 'CarrierSBC'], ['X-Customer-Id', '43'], ['X-Campaign', 'spring']],
    });
    const call = await handleInboundCall(signal, inboundDeps(h));
    expect(call).toBeDefined();
    const leg = h.media.legs[0];

    // The offer lists PCMU first; our preference (PCMA first) decides, at the offer's payload type.
    expect(audioOf(signal.acceptedSdp!)).toEqual({ port: leg.port, payloads: '8 101', codecs: ['PCMA', 'telephone-event'], direction: 'sendrecv', connection: MEDIA_ADDRESS });
    const { options, media } = leg.opened!;
    expect(options.codec.name).toBe('PCMA');
    expect(options).toMatchObject({
      payloadType: 8,
      remote: { address: '192.0.2.10', port: 12718 },
      ptimeMs: 20,
      appSampleRate: 16000,
      telephoneEvent: { payloadType: 101, clockRate: 8000 },
      jitterBuffer: { mode: 'fixed', delayMs: 0 },
      idleFill: 'silence',
      latching: 'any',
    });
    expect(options.rtpTimeoutMs).toBeUndefined();
    // The caller may still send PCMU (it offered it): decoded rather than dropped.
    expect(options.receivable?.map((r) => r.payloadType)).toContain(0);
    expect(media.startCalls).toBe(1);
    expect(media.directions).toEqual(['sendrecv']);
    // Media exists before the 200 (first packets find it); the bot hears of the call as soon as its socket is
    // open (opening messages, caller audio), before the 200, and what it says is read once the ACK came.
    expect(h.before(`leg.open ${leg.port} PCMA`, 'sip.accept')).toBe(true);
    expect(h.before('bot.open', 'sip.accept')).toBe(true);
    expect(h.before('sip.accept', 'bot.start')).toBe(true);
    expect(h.media.requests).toEqual([{ holdEarlyPackets: true }]) // the caller's RTP may beat its ACK;

    const bot = h.bots.only;
    expect(h.bots.attempts[0].ctx.callId).toBe(call!.id);
    expect(bot.starts).toEqual([
      {
        type: 'start',
        callId: call!.id,
        sipCallId: 'inbound-1@carrier',
        from: '+15557654321',
        to: '+15550100',
        trunk: 'carrier',
        direction: 'inbound',
        // Only X- headers, first value of each.
        headers: { 'X-Customer-Id': '42', 'X-Campaign': 'spring' },
        media: { encoding: 'L16', sampleRate: 16000, channels: 1, frameMs: 20, jitterBufferMs: 0, codec: 'PCMA' },
      },
    ]);
    expect(bot.opened).toEqual(bot.starts); // the same start: its opening messages go once
    expect(h.observer.answered).toEqual(['inbound']);
    expect(h.observer.rejected).toEqual([]);
    expect(h.slots.held.get('carrier')).toBe(1);

    // One media group for the call: its leg, its bot, and caller and bot hearing each other (the engine moves
    // the audio). The route is set before the bot hears of the call.
    const group = h.media.onlyGroup;
    expect(group.callId).toBe(call!.id);
    expect(group.legs).toEqual([leg]);
    expect(group.bot).toBe(bot);
    expect(group.botRequests).toEqual(['support']);
    expect(media.id).toBe('leg1');
    expect(group.routes).toEqual([{ leg1: ['bot'], bot: ['leg1'] }]);
    expect(h.before('group.route {"leg1":["bot"],"bot":["leg1"]}', 'bot.start')).toBe(true);
    expect(h.before('group.open ' + call!.id, 'media.allocate')).toBe(true);

    // The caller hangs up: no BYE back, media closed, bot stopped, trunk slot free again.
    signal.dialog!.farEndBye();
    expect(call!.ended).toBe(true);
    expect(signal.dialog!.hangupCalls).toBe(0);
    expect(media.closeCalls).toBe(1);
    expect(bot.stops).toEqual([{ reason: 'caller-hangup' }]);
    expect(h.slots.total()).toBe(0);
    // The call's media is closed last, after its leg and its bot.
    expect(group.closeCalls).toBe(1);
    expect(h.before(`media.close ${leg.port}`, `group.close ${call!.id}`)).toBe(true);
    expect(h.before('bot.stop caller-hangup', `group.close ${call!.id}`)).toBe(true);
  });

  it('reports how long the bot took to connect', async () => {
    h.bots.mode = 'manual';
    const pending = handleInboundCall(h.incoming({ sdp: CARRIER_OFFER }), inboundDeps(h));
    await flush();
    h.clock.advance(250);
    h.bots.attempts[0].open();
    const call = await pending;
    expect(h.observer.botConnects).toEqual([0.25]);
    call!.end('api-hangup');
  });

  it('our hangup sends BYE and releases the trunk slot', async () => {
    const signal = h.incoming({ sdp: CARRIER_OFFER });
    const call = await handleInboundCall(signal, inboundDeps(h));
    call!.end('api-hangup');
    expect(signal.dialog!.hangupCalls).toBe(1);
    expect(h.bots.only.stops).toEqual([{ reason: 'api-hangup' }]);
    expect(h.slots.total()).toBe(0);
  });

  interface TrunkMediaCase {
    name: string;
    sdp: string;
    trunk: ReturnType<NonNullable<InboundCallDeps['trunkMedia']>>;
    codec: string;
    jitterBufferMs: number;
    rtpTimeoutMs: number | undefined;
    direction: string;
  }
  const trunkCases: TrunkMediaCase[] = [
    { name: 'trunk codec list, jitter buffer and RTP timeout apply', sdp: CARRIER_OFFER, trunk: { codecPreference: ['PCMU'], jitterBufferMs: 60, rtpTimeoutSec: 30 }, codec: 'PCMU', jitterBufferMs: 60, rtpTimeoutMs: 30_000, direction: 'sendrecv' },
    // A caller holding us sends no RTP on purpose: the RTP timeout must not hang it up.
    { name: 'a caller on hold gets no RTP timeout and our answer is recvonly', sdp: ON_HOLD_OFFER, trunk: { rtpTimeoutSec: 30 }, codec: 'PCMA', jitterBufferMs: 0, rtpTimeoutMs: undefined, direction: 'recvonly' },
  ];
  it.each(trunkCases)('$name', async (c) => {
    const signal = h.incoming({ sdp: c.sdp });
    const call = await handleInboundCall(signal, inboundDeps(h, { trunkMedia: (t) => (t === 'carrier' ? c.trunk : {}) }));
    const { options, media } = h.media.legs[0].opened!;
    expect(options.codec.name).toBe(c.codec);
    expect(options.jitterBuffer).toEqual({ mode: 'fixed', delayMs: c.jitterBufferMs });
    expect(options.rtpTimeoutMs).toBe(c.rtpTimeoutMs);
    expect(audioOf(signal.acceptedSdp!).direction).toBe(c.direction);
    expect(media.directions).toEqual([c.direction]);
    expect(h.bots.only.starts[0].media).toMatchObject({ codec: c.codec, jitterBufferMs: c.jitterBufferMs });
    call!.end('api-hangup');
  });
});

describe('handleInboundCall: rejections', () => {
  interface RejectCase {
    name: string;
    arrange(h: Harness): Partial<InboundCallDeps>;
    sdp?: string;
    status: number;
    headers?: Record<string, string | readonly string[]>;
    /** What happened to the RTP port: never taken, or taken and given back unopened. */
    port: 'none' | 'released';
    /** Whether the call's media was opened (it is then closed once). */
    group: boolean;
    botConnectAttempted: boolean;
    botConnectFailures?: number;
  }
  const cases: RejectCase[] = [
    {
      name: 'route refusal: 403 with the router error',
      arrange: () => ({ route: () => { throw new CallRejectedError('source-not-allowed', 'source 203.0.113.10 is allowed by no trunk'); } }),
      status: 403, port: 'none', group: false, botConnectAttempted: false,
    },
    {
      name: 'number not routed: 404',
      arrange: () => ({ route: () => { throw new CallRejectedError('number-not-routed'); } }),
      status: 404, port: 'none', group: false, botConnectAttempted: false,
    },
    {
      name: 'digest challenge: 401 carries the router headers',
      arrange: () => ({ route: () => { throw new CallRejectedError('auth-challenge', 'challenge', { headers: { 'WWW-Authenticate': ['Digest a', 'Digest b'] } }); } }),
      status: 401, headers: { 'WWW-Authenticate': ['Digest a', 'Digest b'] }, port: 'none', group: false, botConnectAttempted: false,
    },
    {
      name: 'trunk busy: 486',
      arrange: (x) => {
        x.slots.busy.add('carrier');
        return {};
      },
      status: 486, port: 'none', group: false, botConnectAttempted: false,
    },
    { name: 'no common codec: 488', arrange: () => ({}), sdp: G729_OFFER, status: 488, port: 'released', group: true, botConnectAttempted: false },
    {
      name: 'bot unreachable: 503 Retry-After 5, port given back unopened',
      arrange: (x) => {
        x.bots.mode = new BotConnectError('bot "support" refused the upgrade');
        return {};
      },
      status: 503, headers: { 'Retry-After': '5' }, port: 'released', group: true, botConnectAttempted: true, botConnectFailures: 1,
    },
    {
      name: 'no RTP port: 503 Retry-After 5',
      arrange: (x) => {
        x.media.failNext = new PortPoolExhaustedError();
        return {};
      },
      status: 503, headers: { 'Retry-After': '5' }, port: 'none', group: true, botConnectAttempted: false,
    },
    {
      name: 'a bug in a dependency: 500 without Retry-After',
      arrange: (x) => {
        x.bots.mode = new TypeError('cannot read properties of undefined');
        return {};
      },
      status: 500, port: 'released', group: true, botConnectAttempted: true, botConnectFailures: 1,
    },
    {
      name: 'pstn-mode number on a bridge that cannot place calls: 503 Retry-After 5',
      arrange: () => ({ route: () => ({ ...DECISION, bot: '', forwardTo: { uri: 'sip:agent@pbx.example', ringTimeoutSec: 30 } }), pstn: undefined }),
      status: 503, headers: { 'Retry-After': '5' }, port: 'none', group: false, botConnectAttempted: false,
    },
  ];

  it.each(cases)('$name', async (c) => {
    const signal = h.incoming({ sdp: c.sdp ?? CARRIER_OFFER });
    const call = await handleInboundCall(signal, inboundDeps(h, c.arrange(h)));
    expect(call).toBeUndefined();
    expect(signal.final).toEqual({ status: c.status, ...(c.headers ? { headers: c.headers } : {}), by: 'us' });
    expect(signal.acceptedSdp).toBeUndefined();
    expect(h.observer.rejected).toEqual([['inbound', c.status]]);
    expect(h.observer.answered).toEqual([]);
    expect(h.observer.botConnectFailures).toBe(c.botConnectFailures ?? 0);
    expect(h.bots.attempts.length > 0).toBe(c.botConnectAttempted);
    expect(h.bots.sessions).toEqual([]);
    if (c.port === 'none') expect(h.media.legs).toEqual([]);
    else expect(h.media.legs.map((l) => ({ opened: l.opened !== undefined, released: l.releaseCalls }))).toEqual([{ opened: false, released: 1 }]);
    // No audio was ever routed; a call's media opened for the setup is closed once (leak check).
    expect(h.media.groups.flatMap((g) => g.routes)).toEqual([]);
    expect(h.media.groups).toHaveLength(c.group ? 1 : 0);
    expect(h.slots.total()).toBe(0);
  });

  it("a slot counted in a cluster's store (a promise): refused 486, store down 503, taken until the call ends", async () => {
    const ids: string[] = [];
    const clustered = {
      acquireTrunkSlot: async (trunk: string, callId: string) => {
        ids.push(callId);
        return h.slots.acquire(trunk);
      },
    };
    h.slots.busy.add('carrier');
    const refused = h.incoming({ sdp: CARRIER_OFFER });
    expect(await handleInboundCall(refused, inboundDeps(h, clustered))).toBeUndefined();
    expect(refused.final).toEqual({ status: 486, by: 'us' });
    const down = h.incoming({ sdp: CARRIER_OFFER, callId: 'inbound-2@carrier' });
    const unreachable = { acquireTrunkSlot: async () => Promise.reject(new CallRejectedError('store-unreachable', 'the store is down')) };
    expect(await handleInboundCall(down, inboundDeps(h, unreachable))).toBeUndefined();
    expect(down.final).toEqual({ status: 503, headers: { 'Retry-After': '5' }, by: 'us' });
    expect(h.media.legs).toEqual([]);
    h.slots.busy.clear();
    const call = await handleInboundCall(h.incoming({ sdp: CARRIER_OFFER, callId: 'inbound-3@carrier' }), inboundDeps(h, clustered));
    expect(h.slots.total()).toBe(1);
    // The slot is claimed under the call's own id (the store's row is the call's).
    expect(ids).toHaveLength(2);
    expect(ids[1]).toBe(call!.id);
    call!.end('api-hangup');
    expect(h.slots.total()).toBe(0);
  });

  it('a trunk slot is taken only while the call lives: a rejected call frees it for the next', async () => {
    h.bots.mode = new BotConnectError('down');
    await handleInboundCall(h.incoming({ sdp: CARRIER_OFFER }), inboundDeps(h));
    expect(h.slots.total()).toBe(0);
    h.bots.mode = 'open';
    const call = await handleInboundCall(h.incoming({ sdp: CARRIER_OFFER, callId: 'inbound-2@carrier' }), inboundDeps(h));
    expect(h.slots.total()).toBe(1);
    call!.end('api-hangup');
  });

  it('a slow port pool still answers once the port comes', async () => {
    h.media.gate = deferred<void>();
    const pending = handleInboundCall(h.incoming({ sdp: CARRIER_OFFER }), inboundDeps(h));
    await flush();
    expect(h.bots.attempts).toEqual([]);
    h.media.gate.resolve();
    const call = await pending;
    expect(h.observer.answered).toEqual(['inbound']);
    call!.end('api-hangup');
  });
});

describe('handleInboundCall: the bot cannot be reached, with a fallback', () => {
  it('play: answered anyway (the bot never connected), the prompt plays on the caller\'s leg, then BYE with bot-unavailable', async () => {
    h.bots.mode = new BotConnectError('bot "support" refused the upgrade');
    h.media.playGate = deferred<void>();
    const signal = h.incoming({ sdp: CARRIER_OFFER });
    const asked: Array<[string, string]> = [];
    const call = await handleInboundCall(signal, inboundDeps(h, {
      botFallback: (trunk, number) => {
        asked.push([trunk, number]);
        return { action: 'play', file: '/srv/sorry.wav' };
      },
    }));
    expect(asked).toEqual([[DECISION.trunk, DECISION.number]]);
    expect(call).toBeDefined();
    const reasons: string[] = [];
    call!.onEnded((reason) => reasons.push(reason));
    expect(signal.acceptedSdp).toBeDefined();
    expect(h.observer.answered).toEqual(['inbound']);
    expect(h.observer.botConnectFailures).toBe(1);
    const group = h.media.groups[0];
    const leg = h.media.legs[0];
    expect(leg.opened!.media.startCalls).toBe(1);
    expect(group.routes).toEqual([{}]); // nothing routed to a bot
    await flush();
    expect(group.plays).toEqual([{ leg: 'leg1', file: '/srv/sorry.wav' }]);
    expect(call!.ended).toBe(false); // the prompt is playing
    h.media.playGate.resolve();
    await flush();
    expect(call!.ended).toBe(true);
    expect(reasons).toEqual(['bot-unavailable']);
    expect(signal.dialog!.hangupCalls).toBe(1); // our BYE
    expect(h.before('sip.accept', 'group.play leg1 /srv/sorry.wav')).toBe(true);
  });

  it('reject (or no fallback configured): 503 as before', async () => {
    for (const botFallback of [() => ({ action: 'reject' as const }), () => undefined]) {
      h.bots.mode = new BotConnectError('down');
      const signal = h.incoming({ sdp: CARRIER_OFFER });
      expect(await handleInboundCall(signal, inboundDeps(h, { botFallback }))).toBeUndefined();
      expect(signal.final?.status).toBe(503);
    }
  });

  it('any other failure is not the bot being down: the fallback does not apply', async () => {
    h.bots.mode = new CallRejectedError('caller-cancelled', 'gone');
    const signal = h.incoming({ sdp: CARRIER_OFFER });
    expect(await handleInboundCall(signal, inboundDeps(h, { botFallback: () => ({ action: 'play', file: '/srv/sorry.wav' }) }))).toBeUndefined();
    expect(signal.final?.status).toBe(487);
    expect(h.media.groups[0].plays).toEqual([]);
  });
});

describe('handleInboundCall: what metrics hear', () => {
  it('an answered call: its trunk, bot and setup time on the clock (INVITE taken up -> 200 OK)', async () => {
    h.bots.mode = 'manual';
    const signal = h.incoming({ sdp: CARRIER_OFFER });
    const pending = handleInboundCall(signal, inboundDeps(h));
    await flush();
    h.clock.advance(250);
    h.bots.attempts[0].open();
    const call = await pending;
    expect(call).toBeDefined();
    expect(h.observer.answeredInfo).toEqual([{ trunk: 'carrier', bot: 'support', setupSeconds: 0.25 }]);
    call!.end('api-hangup');
    await flush();
  });

  it('a refused call: its trunk and bot once routed, the catalogued reason, and why the bot did not open', async () => {
    h.bots.mode = new BotConnectError('bot "support" at ws://127.0.0.1:9/: connect ECONNREFUSED 127.0.0.1:9');
    await handleInboundCall(h.incoming({ sdp: CARRIER_OFFER }), inboundDeps(h));
    expect(h.observer.rejectedInfo).toEqual([{ trunk: 'carrier', bot: 'support', reason: 'bot-unavailable' }]);
    expect(h.observer.botFailures).toEqual([['support', 'refused']]);
  });

  it('refused before routing: no trunk or bot, the reason', async () => {
    await handleInboundCall(h.incoming({ sdp: CARRIER_OFFER }), inboundDeps(h, { route: () => { throw new CallRejectedError('source-not-allowed'); } }));
    expect(h.observer.rejectedInfo).toEqual([{ reason: 'source-not-allowed' }]);
  });
});
