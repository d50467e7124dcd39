/**
 * TransferController through BridgedCall, with a fake dialog and a fake outgoing call but the call's media real:
 * one InProcessCallGroup (real RtpPortPool on loopback) holds the caller's leg, the destination's leg and the bot
 * connection (a fake bot session behind the engine's own BotControlView). So the routes call control sets are
 * checked as tables, and what they do is checked on audio: RTP from UDP sockets standing in for caller and
 * destination, and the frames the bot session is sent.
 */
import { EventEmitter } from 'node:events';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import alawmulaw from 'alawmulaw';
import { ManualClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/logger.js';
import { CallRejectedError } from '../../../src/core/errors.js';
import { BridgedCall } from '../../../src/calls/bridged-call.js';
import type { AnsweredCall, DialogSignal, OutgoingCallRequest, OutgoingCallSignal, ReferOutcome } from '../../../src/calls/signaling.js';
import type { TransferServices } from '../../../src/calls/transfer.js';
import type { BotFallback } from '../../../src/calls/bot-fallback.js';
import { DEFAULT_LINK, type BotSession, type BotTarget } from '../../../src/bot/index.js';
import { codecRegistry, RtpPortPool, writeRtpPacket } from '../../../src/media/index.js';
import { InProcessMediaEngine } from '../../../src/engine/index.js';
import { FarEnd, LOOPBACK } from '../media/helpers/far-end.js';
import { reservePorts } from '../../helpers/ports.js';
import { waitFor } from '../../helpers/wait-for.js';
import { TransferCap } from '../../../src/trunks/index.js';

const PCMA = codecRegistry.get('PCMA')!;
const BOT: BotTarget = { name: 'support', url: 'ws://bot.example/ws', sampleRate: 8000, connectTimeoutMs: 5000 };

class FakeDialog extends EventEmitter {
  callId = 'sip-1';
  terminated = false;
  hangup = vi.fn(async () => {
    this.terminated = true;
    this.emit('terminated', 'local-bye');
  });
  refer = vi.fn(async (): Promise<ReferOutcome> => ({ ok: true, sipStatus: 200 }));
}
/** The bot's socket as the engine sees it: audio in and out, commands, events. */
class FakeBotSession extends EventEmitter {
  sendStart = vi.fn();
  sendAudio = vi.fn();
  sendEvent = vi.fn();
  stop = vi.fn();
}
class FakeOutgoing extends EventEmitter {
  callId = 'leg-1';
  cancel = vi.fn();
  resolve!: (a: AnsweredCall) => void;
  reject!: (e: Error) => void;
  answered = new Promise<AnsweredCall>((res, rej) => {
    this.resolve = res;
    this.reject = rej;
  });
}

let pool: RtpPortPool;
beforeAll(async () => {
  const base = await reservePorts(40);
  pool = new RtpPortPool({ min: base, max: base + 39, host: LOOPBACK });
});

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const f of cleanups.splice(0)) f();
  // Whatever the test did, the call's end released every port it held.
  expect(pool.inUse()).toBe(0);
});
afterAll(() => {
  expect(pool.inUse()).toBe(0);
});

/** A 20 ms PCMA packet of constant `level`. */
function pcmaPacket(level: number, seq: number): Buffer {
  const payload = Buffer.from(alawmulaw.alaw.encode(new Int16Array(160).fill(level)));
  return writeRtpPacket({ payloadType: 8, sequenceNumber: seq, timestamp: seq * 160, ssrc: 0x1234 }, payload);
}
/** What a sample becomes through A-law (both legs speak PCMA, so levels are exact). */
const viaAlaw = (level: number): number => alawmulaw.alaw.decode(alawmulaw.alaw.encode(new Int16Array([level])))[0];

function answerSdp(port: number): string {
  return ['v=0', 'o=a 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0', `m=audio ${port} RTP/AVP 8`, 'a=rtpmap:8 PCMA/8000', ''].join('\r\n');
}

/** `fallback`: the call's; `reconnectMs`: the bot's window (the engine reopens a dropped socket within it). */
async function setup(allow: string[] = ['sip:agent@127.0.0.1:*'], o: { fallback?: BotFallback; reconnectMs?: number } = {}) {
  const fallback = o.fallback;
  const clock = new ManualClock();
  const sessions: FakeBotSession[] = [];
  const engine = new InProcessMediaEngine({
    ports: pool,
    clock,
    connectBot: async () => {
      const s = new FakeBotSession();
      sessions.push(s);
      return s as unknown as BotSession;
    },
  });
  const group = engine.openCall({ callId: 'c1', logger: silentLogger() });
  const routes = vi.spyOn(group, 'route');
  // The caller's leg, as inbound setup builds it: PCMA, sending nothing when idle so every packet is audio.
  const caller = await new FarEnd().bind();
  const callerLeg = await group.allocate();
  const media = callerLeg.open({
    logger: silentLogger(), codec: PCMA, payloadType: 8, remote: { address: LOOPBACK, port: caller.port },
    ptimeMs: 20, appSampleRate: 8000, idleFill: 'none', latching: 'off',
  });
  const bot = await group.connectBot(o.reconnectMs === undefined ? BOT : { ...BOT, link: { ...DEFAULT_LINK, reconnectMs: o.reconnectMs } });
  const session = sessions[0];
  const dialog = new FakeDialog();
  const outgoing = new FakeOutgoing();
  const placed: OutgoingCallRequest[] = [];
  const services: TransferServices = {
    policy: { destinations: {}, outboundTrunk: () => undefined, allow },
    placeCall: (req) => {
      placed.push(req);
      return outgoing as unknown as OutgoingCallSignal;
    },
    mediaAddress: '127.0.0.1',
    codecPreference: ['PCMU', 'PCMA'],
    idleFill: 'none',
    latching: 'off',
    advertisedHost: '127.0.0.1:5060',
    callerNumber: '+15551230001',
    calledNumber: '+15550100',
    appSampleRate: 8000,
    ...servicesExtra,
  };
  const call = new BridgedCall({
    id: 'c1', sipCallId: 'sip-1', dialog: dialog as unknown as DialogSignal, media, group, bot, clock,
    log: silentLogger(), observer: { botProtocolError: vi.fn() }, transfers: services, ...(fallback ? { fallback } : {}),
  });
  const ended = vi.fn();
  call.onEnded(ended);
  call.start();
  const agents: FarEnd[] = [];
  cleanups.push(() => {
    if (!call.ended) call.end('api-hangup');
    caller.socket.close();
    for (const a of agents) a.socket.close();
    expect(engine.openCalls).toBe(0);
  });
  /** The destination's phone: a UDP socket on loopback, answering with its port. */
  const agent = async (): Promise<FarEnd> => {
    const a = await new FarEnd().bind();
    agents.push(a);
    return a;
  };
  const tables = () => routes.mock.calls.map((c) => c[0]);
  return { call, clock, dialog, media, callerPort: callerLeg.port, session, outgoing, placed, ended, caller, agent, tables };
}

const events = (bot: FakeBotSession) => bot.sendEvent.mock.calls.map((c) => c[0] as Record<string, unknown>);
const START_ROUTES = { leg1: ['bot'], bot: ['leg1'] };

/** The destination's leg's local port: our offer's m= port in the leg's INVITE. */
const offeredPort = (req: OutgoingCallRequest): number => Number(req.sdp.match(/m=audio (\d+)/)?.[1]);

/** Extra transfer services for the next setup() (the toll-fraud cap test); reset after each test. */
let servicesExtra: Partial<TransferServices> = {};
afterEach(() => {
  servicesExtra = {};
});

describe('bridged transfer', () => {
  it('listen mode: caller and destination hear each other, the bot hears both mixed sample by sample and no longer reaches the caller', async () => {
    const { session, media, callerPort, clock, outgoing, placed, ended, caller, agent, tables } = await setup();
    // The bot is talking: 200 ms queued on the caller's leg, one packet of it sent (at once: the send clock aligns
    // to the bot's first audio after silence).
    const botTalk = new Int16Array(1600).fill(-2000);
    session.emit('audio', Buffer.from(botTalk.buffer));
    expect(media.stats.packetsSent).toBe(1);

    session.emit('command', { type: 'transfer', to: 'sip:agent@127.0.0.1:5999', method: 'bridge', listen: true });
    await waitFor(() => placed.length === 1, { what: 'the leg INVITE' });
    expect(placed[0]).toMatchObject({ requestUri: 'sip:agent@127.0.0.1:5999', fromUri: 'sip:+15551230001@127.0.0.1:5060', nextHop: { host: '127.0.0.1', port: 5999, transport: 'udp' } });
    outgoing.emit('progress', 180, undefined);
    outgoing.emit('progress', 183, undefined);
    const agentPhone = await agent();
    const agentDialog = new FakeDialog();
    outgoing.resolve({ dialog: agentDialog as unknown as DialogSignal, sdp: answerSdp(agentPhone.port) });
    await waitFor(() => events(session).length === 2, { what: 'transfer answered' });
    expect(events(session)).toEqual([
      { type: 'transfer', status: 'ringing' },
      { type: 'transfer', status: 'answered' },
    ]);
    expect(session.stop).not.toHaveBeenCalled();
    // The destination's leg is the call's second leg; the bot listens to caller (who sets the pace) and destination.
    expect(tables()).toEqual([START_ROUTES, { leg1: ['leg2'], leg2: ['leg1'], bot: ['leg1', 'leg2'] }]);

    // The bot's queued audio was dropped at answer, and what it says now reaches nobody.
    session.emit('audio', Buffer.from(botTalk.buffer));
    clock.advance(200);
    expect(media.stats.packetsSent).toBe(1);

    // The destination speaks: its packet reaches the caller unchanged (both legs PCMA).
    const agentRtp = pcmaPacket(1000, 1);
    await agentPhone.send(agentRtp, offeredPort(placed[0]));
    await waitFor(() => {
      clock.advance(20);
      return caller.packets.length === 2;
    }, { what: "the destination's audio at the caller" });
    expect(caller.packets[1].payload).toEqual(agentRtp.subarray(12));
    expect(session.sendAudio).not.toHaveBeenCalled(); // the destination alone does not set the bot's pace

    // The caller speaks: the destination hears it, the bot gets caller + destination, sample by sample.
    await caller.send(pcmaPacket(500, 1), callerPort);
    await waitFor(() => session.sendAudio.mock.calls.length === 1, { what: 'the mix at the bot' });
    const mixed = session.sendAudio.mock.calls[0][0] as Buffer;
    expect(mixed.length).toBe(320);
    const expected = viaAlaw(500) + viaAlaw(1000);
    for (let i = 0; i < 160; i++) expect(mixed.readInt16LE(i * 2)).toBe(expected);
    await waitFor(() => {
      clock.advance(20);
      return agentPhone.packets.length === 1;
    }, { what: "the caller's audio at the destination" });
    expect(agentPhone.packets[0].payload).toEqual(pcmaPacket(500, 1).subarray(12));

    // The destination hangs up: the call ends (reason transfer), the bot gets stop.
    agentDialog.emit('terminated', 'remote-bye');
    expect(ended).toHaveBeenCalledWith('transfer', expect.any(Number));
    // Call control stops it with the reason (and the call quality); the group's close then repeats stop('error'),
    // which the engine's reconnecting session in front of the socket does not pass on (first stop wins).
    expect(session.stop.mock.calls.map((c) => c[0])).toEqual(['transfer']);
    expect(session.stop.mock.calls[0][1]).toMatchObject({ quality: { packetsReceived: 1 } });
    expect(pool.inUse()).toBe(0);
  });

  it('without listen the bot leaves at answer, hears nothing, and its socket closing does not end the call', async () => {
    const { session, outgoing, placed, ended, dialog, caller, callerPort, clock, agent, tables } = await setup();
    session.emit('command', { type: 'transfer', to: 'sip:agent@127.0.0.1:5999' });
    await waitFor(() => placed.length === 1, { what: 'the leg INVITE' });
    const agentPhone = await agent();
    outgoing.resolve({ dialog: new FakeDialog() as unknown as DialogSignal, sdp: answerSdp(agentPhone.port) });
    await waitFor(() => session.stop.mock.calls.length > 0, { what: 'the bot released' });
    expect(session.stop).toHaveBeenCalledWith('transfer', undefined);
    expect(tables()).toEqual([START_ROUTES, { leg1: ['leg2'], leg2: ['leg1'], bot: [] }]);

    // The caller speaks: the destination hears it, the bot does not.
    await caller.send(pcmaPacket(700, 1), callerPort);
    await waitFor(() => {
      clock.advance(20);
      return agentPhone.packets.length === 1;
    }, { what: "the caller's audio at the destination" });
    expect(session.sendAudio).not.toHaveBeenCalled();

    session.emit('close', { code: 1000, reason: '', initiatedByBot: false });
    expect(ended).not.toHaveBeenCalled();
    dialog.emit('bye');
    expect(ended).toHaveBeenCalledWith('caller-hangup', expect.any(Number));
  });

  it('the bot drops while the destination rings: the transfer goes on, the destination answers, the call ends once', async () => {
    // No reconnect window: the drop reaches call control at once.
    const { session, outgoing, placed, ended, dialog, tables } = await setup(undefined, { reconnectMs: 0 });
    session.emit('command', { type: 'transfer', to: 'sip:agent@127.0.0.1:5999' });
    await waitFor(() => placed.length === 1, { what: 'the leg INVITE' });
    session.emit('close', { code: 1006, reason: '', initiatedByBot: true });
    expect(ended).not.toHaveBeenCalled();
    expect(dialog.hangup).not.toHaveBeenCalled();
    expect(outgoing.cancel).not.toHaveBeenCalled();
    const agentDialog = new FakeDialog();
    outgoing.resolve({ dialog: agentDialog as unknown as DialogSignal, sdp: answerSdp(4000) });
    await waitFor(() => tables().length === 2, { what: 'the bridge' });
    expect(tables()[1]).toEqual({ leg1: ['leg2'], leg2: ['leg1'], bot: [] });
    expect(ended).not.toHaveBeenCalled();
    dialog.terminated = true;
    dialog.emit('bye');
    expect(ended).toHaveBeenCalledExactlyOnceWith('caller-hangup', expect.any(Number));
    expect(dialog.hangup).not.toHaveBeenCalled(); // the caller left: no BYE back
    expect(agentDialog.hangup).toHaveBeenCalledOnce();
  });

  it.each([
    ['hangs up (closes cleanly)', { code: 1000, reason: 'bye', initiatedByBot: true }, undefined, 'bot-closed'],
    ['drops, no fallback', { code: 1006, reason: '', initiatedByBot: true }, undefined, 'bot-lost'],
  ] as const)('the bot %s while the destination rings, then the transfer fails: the call ends then (%s), once', async (_what, info, fallback, reason) => {
    const { session, outgoing, placed, ended, dialog } = await setup(undefined, { fallback, reconnectMs: 0 });
    session.emit('command', { type: 'transfer', to: 'sip:agent@127.0.0.1:5999' });
    await waitFor(() => placed.length === 1, { what: 'the leg INVITE' });
    session.emit('close', info);
    expect(ended).not.toHaveBeenCalled();
    outgoing.reject(new CallRejectedError('busy-here'));
    await waitFor(() => ended.mock.calls.length > 0, { what: 'the end' });
    expect(ended).toHaveBeenCalledExactlyOnceWith(reason, expect.any(Number));
    expect(dialog.hangup).toHaveBeenCalledOnce();
  });

  it('the bot gone, a second transfer (the HTTP API) refused as in-progress does not end the call: the first one still rings', async () => {
    const { call, session, outgoing, placed, ended } = await setup(undefined, { reconnectMs: 0 });
    session.emit('command', { type: 'transfer', to: 'sip:agent@127.0.0.1:5999' });
    await waitFor(() => placed.length === 1, { what: 'the leg INVITE' });
    session.emit('close', { code: 1006, reason: '', initiatedByBot: true });
    expect(await call.transfer({ to: 'sip:agent@127.0.0.1:5999' })).toEqual({ type: 'transfer', status: 'failed', reason: 'in-progress' });
    await new Promise((r) => setTimeout(r, 0));
    expect(ended).not.toHaveBeenCalled();
    outgoing.resolve({ dialog: new FakeDialog() as unknown as DialogSignal, sdp: answerSdp(4002) });
    await waitFor(() => call.ended === false && session.stop.mock.calls.length > 0, { what: 'the bot let go at answer' });
    expect(ended).not.toHaveBeenCalled();
  });

  it('the bot drops while the destination rings and the transfer fails: the play fallback runs', async () => {
    const { session, outgoing, placed, ended, tables } = await setup(undefined, { fallback: { action: 'play', file: '/nonexistent/sorry.wav' }, reconnectMs: 0 });
    session.emit('command', { type: 'transfer', to: 'sip:agent@127.0.0.1:5999' });
    await waitFor(() => placed.length === 1, { what: 'the leg INVITE' });
    session.emit('close', { code: 1006, reason: '', initiatedByBot: true });
    outgoing.reject(new CallRejectedError('busy-here'));
    // The fallback takes the caller from the (gone) bot first, then plays; an unreadable file ends the call.
    await waitFor(() => ended.mock.calls.length > 0, { what: 'the end' });
    expect(tables().at(-1)).toEqual({});
    expect(ended).toHaveBeenCalledExactlyOnceWith('bot-lost', expect.any(Number));
  });

  it('a failed leg leaves the caller with the bot (routes untouched, port given back); a second transfer while one runs is refused', async () => {
    const { session, outgoing, ended, media, clock, caller, placed, tables } = await setup();
    session.emit('command', { type: 'transfer', to: 'sip:agent@127.0.0.1:5999' });
    session.emit('command', { type: 'transfer', to: 'sip:agent@127.0.0.1:5999' });
    await waitFor(() => placed.length === 1, { what: 'the leg INVITE' });
    expect(pool.inUse()).toBe(2);
    outgoing.reject(new CallRejectedError('decline'));
    await waitFor(() => events(session).length === 2, { what: 'transfer failed' });
    expect(events(session)).toEqual([
      { type: 'transfer', status: 'failed', reason: 'in-progress' },
      { type: 'transfer', status: 'failed', sipStatus: 603, reason: 'decline' },
    ]);
    expect(pool.inUse()).toBe(1);
    expect(tables()).toEqual([START_ROUTES]);
    // The bot still talks to the caller.
    session.emit('audio', Buffer.alloc(320));
    await waitFor(() => {
      clock.advance(20);
      return caller.packets.length === 1;
    }, { what: "the bot's audio at the caller" });
    expect(media.stats.packetsSent).toBe(1);
    expect(ended).not.toHaveBeenCalled();
  });

  it('toll-fraud cap: a transfer over the trunk cap fails with transfer-limit before dialling; an answered one holds its slot until the call ends', async () => {
    const cap = new TransferCap(1);
    servicesExtra = { acquireTransferSlot: () => cap.acquire('carrier-a') };
    const { call, session, outgoing, placed, agent } = await setup();
    const otherCall = cap.acquire('carrier-a');
    session.emit('command', { type: 'transfer', to: 'sip:agent@127.0.0.1:5999' });
    await waitFor(() => events(session).length === 1, { what: 'transfer refused' });
    expect(events(session)).toEqual([{ type: 'transfer', status: 'failed', reason: 'transfer-limit' }]);
    expect(placed).toHaveLength(0);
    otherCall();
    session.emit('command', { type: 'transfer', to: 'sip:agent@127.0.0.1:5999' });
    await waitFor(() => placed.length === 1, { what: 'the leg INVITE' });
    outgoing.resolve({ dialog: new FakeDialog() as unknown as DialogSignal, sdp: answerSdp((await agent()).port) });
    await waitFor(() => session.stop.mock.calls.length > 0, { what: 'the bot released' });
    expect(cap.runningOn('carrier-a')).toBe(1);
    call.end('api-hangup');
    expect(cap.runningOn('carrier-a')).toBe(0);
  });

  it('refer: completed ends the call with reason transfer; refused targets never reach SIP; no leg, no reroute', async () => {
    const { session, dialog, ended, tables } = await setup([]);
    session.emit('command', { type: 'transfer', to: 'sip:evil@198.51.100.9', method: 'refer' });
    await waitFor(() => events(session).length === 1, { what: 'the refusal' });
    expect(dialog.refer).not.toHaveBeenCalled();
    expect(events(session)).toEqual([{ type: 'transfer', status: 'failed', reason: 'not-allowed' }]);
    const { session: bot2, dialog: dialog2, ended: ended2, tables: tables2 } = await setup();
    bot2.emit('command', { type: 'transfer', to: 'sip:agent@127.0.0.1:5999', method: 'refer' });
    await waitFor(() => events(bot2).length === 1, { what: 'the REFER outcome' });
    expect(dialog2.refer).toHaveBeenCalledWith('sip:agent@127.0.0.1:5999', { referredBy: 'sip:+15550100@127.0.0.1:5060', timeoutMs: 32_000 });
    expect(events(bot2)).toEqual([{ type: 'transfer', status: 'completed' }]);
    expect(ended2).toHaveBeenCalledWith('transfer', expect.any(Number));
    expect(ended).not.toHaveBeenCalled();
    expect(tables()).toEqual([START_ROUTES]);
    expect(tables2()).toEqual([START_ROUTES]);
  });

  it('refer: the bot drops while the REFER waits for its outcome; the REFER completes and ends the call once, as transfer', async () => {
    const { session, dialog, ended } = await setup(undefined, { reconnectMs: 0 });
    let finish!: (o: ReferOutcome) => void;
    dialog.refer.mockImplementationOnce(() => new Promise<ReferOutcome>((r) => (finish = r)));
    session.emit('command', { type: 'transfer', to: 'sip:agent@127.0.0.1:5999', method: 'refer' });
    await waitFor(() => dialog.refer.mock.calls.length === 1, { what: 'the REFER' });
    session.emit('close', { code: 1006, reason: '', initiatedByBot: true });
    expect(ended).not.toHaveBeenCalled();
    expect(dialog.hangup).not.toHaveBeenCalled();
    finish({ ok: true, sipStatus: 200 });
    await waitFor(() => ended.mock.calls.length > 0, { what: 'the end' });
    expect(ended).toHaveBeenCalledExactlyOnceWith('transfer', expect.any(Number));
    expect(dialog.hangup).toHaveBeenCalledOnce();
  });
});
