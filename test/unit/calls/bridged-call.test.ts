// BridgedCall: control of an answered call (DTMF, hang-ups, timeouts, the end, once). The audio between caller
// and bot flows in the media engine: here only the routes the call sets are checked (moving frames, clear and
// mark: test/unit/engine/audio-router.test.ts).
import { EventEmitter } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/logger.js';
import { BridgedCall, type CallMedia } from '../../../src/calls/bridged-call.js';
import type { DialogSignal } from '../../../src/calls/signaling.js';
import type { BotControl, CallMediaGroup } from '../../../src/calls/media-engine.js';
import { runFallback, type BotFallback, type FallbackHost } from '../../../src/calls/bot-fallback.js';
import type { TransferController } from '../../../src/calls/transfer.js';
import type { TransferEvent } from '../../../src/bot/index.js';
import { flush } from './fake-util.js';

class FakeDialog extends EventEmitter {
  callId = 'sip-call-1';
  terminated = false;
  hangup = vi.fn(async () => {
    this.terminated = true;
  });
}

class FakeMedia extends EventEmitter {
  readonly id = 'leg1';
  canSendDtmf = true;
  start = vi.fn();
  close = vi.fn();
  finalFigures = vi.fn(async () => {});
  sendDtmf = vi.fn((digits: string) => {
    if (digits === '9') throw new RangeError('the far end did not negotiate telephone-event');
  });
  stats = { packetsReceived: 0, packetsSent: 0, bytesReceived: 0, bytesSent: 0, packetsLost: 0, packetsIgnored: 0 };
}

class FakeBot extends EventEmitter {
  sendStart = vi.fn();
  sendEvent = vi.fn();
  stop = vi.fn();
}

function fakeGroup() {
  let finishPlay: () => void = () => {};
  const played = new Promise<void>((r) => (finishPlay = r));
  return { allocate: vi.fn(), connectBot: vi.fn(), route: vi.fn(), close: vi.fn(), play: vi.fn(() => played), finishPlay: () => finishPlay() };
}

function setup(o: { fallback?: BotFallback; noBot?: boolean } = {}) {
  const dialog = new FakeDialog();
  const media = new FakeMedia();
  const bot = new FakeBot();
  const group = fakeGroup();
  const clock = new ManualClock();
  const observer = { botProtocolError: vi.fn(), mediaQuality: vi.fn(), rtpTotals: vi.fn(), botLink: vi.fn() };
  const call = new BridgedCall({
    id: 'call-1',
    sipCallId: 'sip-call-1',
    dialog: dialog as unknown as DialogSignal,
    media: media as unknown as CallMedia,
    group: group as unknown as CallMediaGroup,
    ...(o.noBot ? {} : { bot: bot as unknown as BotControl }),
    clock,
    log: silentLogger(),
    observer,
    ...(o.fallback ? { fallback: o.fallback } : {}),
    summary: { bot: 'support', from: '+15551230001', to: '+15550100', direction: 'inbound', trunk: 'carrier-a', codec: 'PCMA' },
  });
  const ended = vi.fn();
  call.onEnded(ended);
  call.start();
  return { call, dialog, media, bot, group, clock, ended, observer };
}

describe('BridgedCall', () => {
  it('starts media and routes caller and bot to each other, once', () => {
    const { media, group } = setup();
    expect(media.start).toHaveBeenCalledOnce();
    expect(group.route.mock.calls).toEqual([[{ leg1: ['bot'], bot: ['leg1'] }]]);
    expect(group.route.mock.invocationCallOrder[0]).toBeLessThan(media.start.mock.invocationCallOrder[0]);
    expect(group.allocate).not.toHaveBeenCalled();
    expect(group.connectBot).not.toHaveBeenCalled();
    expect(group.close).not.toHaveBeenCalled();
  });

  it('ends by closing media, stopping the bot, then closing the call media group, once', async () => {
    const { call, media, bot, group, observer } = setup();
    call.end('api-hangup');
    call.end('bot-hangup');
    await call.hangupDone;
    expect(media.close).toHaveBeenCalledOnce();
    expect(bot.stop).toHaveBeenCalledExactlyOnceWith('api-hangup');
    expect(group.close).toHaveBeenCalledOnce();
    expect(media.close.mock.invocationCallOrder[0]).toBeLessThan(group.close.mock.invocationCallOrder[0]);
    expect(bot.stop.mock.invocationCallOrder[0]).toBeLessThan(group.close.mock.invocationCallOrder[0]);
    // No reroute at the end: the group's close stops everything.
    expect(group.route).toHaveBeenCalledOnce();
    expect(observer.rtpTotals).toHaveBeenCalledExactlyOnceWith(0, 0, { received: 0, sent: 0 });
  });

  it('bot hangup sends BYE, stops the bot and frees media, once', () => {
    const { call, dialog, media, bot, group, clock, ended } = setup();
    clock.advance(2500);
    bot.emit('command', { type: 'hangup' });
    bot.emit('command', { type: 'hangup' });
    expect(dialog.hangup).toHaveBeenCalledOnce();
    expect(bot.stop).toHaveBeenCalledWith('bot-hangup');
    expect(media.close).toHaveBeenCalledOnce();
    expect(group.close).toHaveBeenCalledOnce();
    expect(ended).toHaveBeenCalledExactlyOnceWith('bot-hangup', 2.5);
    expect(call.ended).toBe(true);
  });

  it('caller BYE stops the bot with caller-hangup and sends no BYE back', () => {
    const { dialog, bot, media, ended } = setup();
    dialog.terminated = true;
    dialog.emit('bye');
    dialog.emit('terminated', 'bye');
    expect(bot.stop).toHaveBeenCalledExactlyOnceWith('caller-hangup');
    expect(dialog.hangup).not.toHaveBeenCalled();
    expect(media.close).toHaveBeenCalledOnce();
    expect(ended).toHaveBeenCalledOnce();
  });

  it('session timer expired (RFC 4028): ends at once as session-expired, its BYE (already on its way) not sent twice', () => {
    const { dialog, bot, media, ended } = setup();
    dialog.emit('expired');
    expect(bot.stop).toHaveBeenCalledExactlyOnceWith('session-expired');
    expect(media.close).toHaveBeenCalledOnce();
    expect(ended).toHaveBeenCalledOnce();
    // The dialog's own BYE is the one in flight: hangup() returns it (DialogSession.hangup is idempotent).
    expect(dialog.hangup).toHaveBeenCalledOnce();
    dialog.emit('terminated', 'session-expired'); // 32 s later, the BYE timed out
    expect(ended).toHaveBeenCalledOnce();
  });

  it('sends the call quality with stop and reports it to the observer', async () => {
    const { call, media, bot, observer } = setup();
    const quality = { packetsReceived: 500, packetsLost: 2, jitterMs: 1.5, rttMs: 12.3 };
    (media as unknown as { quality: typeof quality }).quality = quality;
    call.end('bot-hangup');
    expect(bot.stop).toHaveBeenCalledExactlyOnceWith('bot-hangup', { quality });
    await call.hangupDone;
    // With the MOS estimate: 2 lost of 502 (0.4 %), 1.5 ms jitter, 12.3 ms RTT.
    expect(observer.mediaQuality).toHaveBeenCalledExactlyOnceWith({ ...quality, mos: 4.38 });
  });

  it("reports the end with the media's last figures, which a worker engine sends after the close", async () => {
    const { call, media, observer } = setup();
    const record = vi.fn();
    Object.assign(observer, { record });
    let arrive: () => void = () => {};
    media.finalFigures.mockReturnValueOnce(new Promise<void>((resolve) => (arrive = resolve)));
    media.stats = { ...media.stats, packetsReceived: 100, packetsSent: 90 };
    call.end('caller-hangup');
    await flush();
    expect(observer.rtpTotals).not.toHaveBeenCalled();
    // The worker's answer to the close: the last second of the call too.
    media.stats = { ...media.stats, packetsReceived: 150, packetsSent: 140, bytesReceived: 24_000, bytesSent: 22_400 };
    arrive();
    await call.hangupDone;
    expect(observer.rtpTotals).toHaveBeenCalledExactlyOnceWith(150, 140, { received: 24_000, sent: 22_400 });
    expect(record).toHaveBeenCalledWith(expect.objectContaining({ type: 'ended', rtp: { packetsReceived: 150, packetsSent: 140 } }));
  });

  it("reports the end with the figures it has when the media's last ones do not come within 2 s", async () => {
    const { call, media, observer, clock } = setup();
    media.finalFigures.mockReturnValueOnce(new Promise<void>(() => {}));
    media.stats = { ...media.stats, packetsReceived: 100, packetsSent: 90 };
    call.end('caller-hangup');
    await flush();
    clock.advance(1999);
    await flush();
    expect(observer.rtpTotals).not.toHaveBeenCalled();
    clock.advance(1);
    await call.hangupDone;
    expect(observer.rtpTotals).toHaveBeenCalledExactlyOnceWith(100, 90, { received: 0, sent: 0 });
    expect(clock.pending()).toBe(0);
  });

  it('live(): who, trunk, codec, duration and the RTP figures so far with a MOS estimate', () => {
    const { call, media, clock } = setup();
    Object.assign(media.stats, { packetsReceived: 990, packetsSent: 1000, bytesReceived: 170_280, bytesSent: 172_000, packetsLost: 10 });
    (media as unknown as { quality: object }).quality = { packetsReceived: 990, packetsLost: 10, jitterMs: 4.25, rttMs: 40 };
    clock.advance(12_340);
    expect(call.live()).toEqual({
      callId: call.id, sipCallId: call.sipCallId, state: 'answered', direction: 'inbound', trunk: 'carrier-a', bot: 'support',
      from: '+15551230001', to: '+15550100', codec: 'PCMA', answeredAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), durationSec: 12.3,
      media: { packetsReceived: 990, packetsSent: 1000, bytesReceived: 170_280, bytesSent: 172_000, packetsLost: 10, lossPercent: 1, jitterMs: 4.25, rttMs: 40, mos: 4.33 },
    });
  });

  it('live(): the caller leg\'s levels as callerToBot (what it receives) and botToCaller (what it is sent), when the engine meters', () => {
    const { call, media } = setup();
    expect(call.live()).not.toHaveProperty('levels');
    (media as unknown as { levels: object }).levels = { received: -23.5, sent: -96 };
    expect(call.live().levels).toEqual({ callerToBot: -23.5, botToCaller: -96 });
  });

  it.each([1000, 1005, 4000])('a bot closing its socket (code %i) has hung up: BYE, reason bot-closed, no fallback', (code) => {
    const { dialog, bot, ended, group } = setup({ fallback: { action: 'play', file: '/srv/sorry.wav' } });
    bot.emit('close', { code, reason: '', initiatedByBot: true });
    expect(dialog.hangup).toHaveBeenCalledOnce();
    expect(ended.mock.calls[0][0]).toBe('bot-closed');
    expect(group.play).not.toHaveBeenCalled();
  });

  it.each([
    ['a lost connection (1006)', { code: 1006, reason: '', initiatedByBot: true }],
    ['a server going away (1001)', { code: 1001, reason: 'restart', initiatedByBot: true }],
    ['a reconnect window that passed', { code: 1006, reason: '', initiatedByBot: true, dropped: true }],
  ])('%s without a fallback (reject): BYE with reason bot-lost', (_what, info) => {
    const { dialog, bot, ended } = setup();
    bot.emit('close', info);
    expect(dialog.hangup).toHaveBeenCalledOnce();
    expect(ended.mock.calls[0][0]).toBe('bot-lost');
  });

  it('a lost bot with a play fallback: nobody hears the bot, the prompt plays, then BYE with bot-lost', async () => {
    const { dialog, bot, ended, group } = setup({ fallback: { action: 'play', file: '/srv/sorry.wav' } });
    bot.emit('close', { code: 1006, reason: '', initiatedByBot: true, dropped: true });
    expect(group.route.mock.calls.at(-1)).toEqual([{}]);
    expect(group.play).toHaveBeenCalledExactlyOnceWith('leg1', '/srv/sorry.wav');
    await Promise.resolve();
    expect(dialog.hangup).not.toHaveBeenCalled(); // still playing
    group.finishPlay();
    await vi.waitFor(() => expect(ended).toHaveBeenCalledOnce());
    expect(ended.mock.calls[0][0]).toBe('bot-lost');
    expect(dialog.hangup).toHaveBeenCalledOnce();
  });

  it('answered without a bot (it could not be reached): the fallback prompt plays at once, then bot-unavailable', async () => {
    const { dialog, ended, group, media } = setup({ noBot: true, fallback: { action: 'play', file: '/srv/sorry.wav' } });
    expect(media.start).toHaveBeenCalledOnce();
    expect(group.route.mock.calls).toEqual([[{}]]); // never routed to a bot
    expect(group.play).toHaveBeenCalledExactlyOnceWith('leg1', '/srv/sorry.wav');
    group.finishPlay();
    await vi.waitFor(() => expect(ended).toHaveBeenCalledOnce());
    expect(ended.mock.calls[0][0]).toBe('bot-unavailable');
    expect(dialog.hangup).toHaveBeenCalledOnce();
  });

  it('the caller leaving during the fallback prompt ends the call once, as caller-hangup', async () => {
    const { dialog, ended, group } = setup({ noBot: true, fallback: { action: 'play', file: '/srv/sorry.wav' } });
    dialog.terminated = true;
    dialog.emit('bye');
    group.finishPlay();
    await new Promise((r) => setTimeout(r, 0));
    expect(ended).toHaveBeenCalledExactlyOnceWith('caller-hangup', 0);
    expect(dialog.hangup).not.toHaveBeenCalled();
  });

  it('link events from the engine are counted; only the final close acts', () => {
    const { call, bot, observer } = setup();
    bot.emit('link', { state: 'reconnecting', code: 1006, reason: '' });
    bot.emit('link', { state: 'resumed', downMs: 420, attempts: 2 });
    expect(observer.botLink.mock.calls).toEqual([['reconnecting'], ['resumed']]);
    expect(call.ended).toBe(false);
  });

  it('counts bot protocol errors and keeps the call', () => {
    const { call, bot, observer } = setup();
    bot.emit('protocol-error', new Error('bad json'));
    expect(observer.botProtocolError).toHaveBeenCalledOnce();
    expect(call.ended).toBe(false);
  });

  it('an ACK timeout ends the call with ack-timeout', () => {
    const { dialog, ended } = setup();
    dialog.terminated = true;
    dialog.emit('terminated', 'ack-timeout');
    expect(ended.mock.calls[0][0]).toBe('ack-timeout');
    expect(dialog.hangup).not.toHaveBeenCalled();
  });

  it('relays received DTMF (RFC 4733 and SIP INFO) to the bot; non-DTMF INFO is ignored', () => {
    const { media, dialog, bot } = setup();
    media.emit('dtmf', { digit: '5', durationMs: 280 });
    dialog.emit('info', 'application/dtmf-relay', 'Signal=#\r\nDuration=160\r\n');
    dialog.emit('info', 'application/xml', '<x/>');
    expect(bot.sendEvent.mock.calls).toEqual([[{ type: 'dtmf', digit: '5', durationMs: 280 }], [{ type: 'dtmf', digit: '#', durationMs: 160 }]]);
  });

  it('plays bot DTMF into the call, and answers error when it cannot', () => {
    const { media, bot } = setup();
    bot.emit('command', { type: 'dtmf', digits: '12#', durationMs: 100 });
    expect(media.sendDtmf).toHaveBeenCalledWith('12#', 100);
    bot.emit('command', { type: 'dtmf', digits: '9', durationMs: 100 });
    expect(bot.sendEvent).toHaveBeenCalledWith({ type: 'error', message: 'dtmf not sent: the far end did not negotiate telephone-event' });
  });

  it('an RTP timeout ends the call with BYE and stop reason rtp-timeout', () => {
    const { media, dialog, bot, ended } = setup();
    media.emit('rtp-timeout');
    expect(dialog.hangup).toHaveBeenCalledOnce();
    expect(bot.stop).toHaveBeenCalledWith('rtp-timeout');
    expect(ended).toHaveBeenCalledWith('rtp-timeout', expect.any(Number));
  });
});

describe('runFallback: transfer', () => {
  function host(outcome: TransferEvent | Error) {
    const end = vi.fn();
    const run = vi.fn(async () => {
      if (outcome instanceof Error) throw outcome;
      return outcome;
    });
    const group = fakeGroup();
    const h: FallbackHost = {
      log: silentLogger(),
      media: new FakeMedia() as unknown as CallMedia,
      group: group as unknown as CallMediaGroup,
      transfers: { run } as unknown as TransferController,
      end,
    };
    return { h, end, run, group };
  }
  const fallback: BotFallback = { action: 'transfer', to: '+15557654321', trunk: 'carrier-out', method: 'refer' };

  it('runs the transfer through the call\'s transfer rules with the configured target; a REFER that completed ends nothing more', async () => {
    const { h, end, run, group } = host({ type: 'transfer', status: 'completed' });
    await runFallback(fallback, h, 'bot-lost');
    expect(run).toHaveBeenCalledExactlyOnceWith({ to: '+15557654321', trunk: 'carrier-out', method: 'refer' });
    expect(group.route).toHaveBeenCalledExactlyOnceWith({});
    expect(end).not.toHaveBeenCalled();
  });

  it('a bridged destination that answered keeps the call', async () => {
    const { h, end } = host({ type: 'transfer', status: 'answered' });
    await runFallback({ action: 'transfer', to: 'support-desk' }, h, 'bot-unavailable');
    expect(end).not.toHaveBeenCalled();
  });

  it.each([
    ['failed', { type: 'transfer', status: 'failed', reason: 'not-allowed' } as TransferEvent],
    ['threw', new Error('boom')],
  ])('a transfer that %s hangs up with the given reason', async (_what, outcome) => {
    const { h, end } = host(outcome);
    await runFallback(fallback, h, 'bot-unavailable');
    expect(end).toHaveBeenCalledExactlyOnceWith('bot-unavailable');
  });

  it('without transfer services the call just ends', async () => {
    const { h, end } = host({ type: 'transfer', status: 'completed' });
    await runFallback(fallback, { ...h, transfers: undefined }, 'bot-lost');
    expect(end).toHaveBeenCalledExactlyOnceWith('bot-lost');
  });
});
