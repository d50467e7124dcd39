/**
 * TransferController through BridgedCall, with fake dialog/bot/caller media and a fake outgoing call; the
 * destination leg's media session is real (RTP on loopback) so relaying and the listen mix are checked on audio.
 */
import { EventEmitter } from 'node:events';
import { createSocket } from 'node:dgram';
import { afterEach, describe, expect, it, vi } from 'vitest';
import alawmulaw from 'alawmulaw';
import { ManualClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/logger.js';
import { CallRejectedError } from '../../../src/core/errors.js';
import { BridgedCall, type CallMedia } from '../../../src/calls/bridged-call.js';
import type { AnsweredCall, DialogSignal, OutgoingCallRequest, OutgoingCallSignal, ReferOutcome } from '../../../src/calls/signaling.js';
import type { TransferServices } from '../../../src/calls/transfer.js';
import type { BotSession } from '../../../src/bot/index.js';
import { InProcessMediaEngine, RtpPortPool } from '../../../src/media/index.js';

class FakeDialog extends EventEmitter {
  callId = 'sip-1';
  terminated = false;
  hangup = vi.fn(async () => {
    this.terminated = true;
    this.emit('terminated', 'local-bye');
  });
  refer = vi.fn(async (): Promise<ReferOutcome> => ({ ok: true, sipStatus: 200 }));
}
class FakeMedia extends EventEmitter {
  start = vi.fn();
  playAudio = vi.fn();
  mark = vi.fn();
  clear = vi.fn(() => ({ playedMs: 0 }));
  close = vi.fn();
  sendDtmf = vi.fn();
  stats = {};
}
class FakeBot extends EventEmitter {
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

const pool = new RtpPortPool({ min: 42000, max: 42100, host: '127.0.0.1' });
const sockets: Array<{ close(): void }> = [];
afterEach(() => {
  for (const s of sockets.splice(0)) s.close();
});

function setup(allow: string[] = ['sip:agent@127.0.0.1:*']) {
  const dialog = new FakeDialog();
  const media = new FakeMedia();
  const bot = new FakeBot();
  const clock = new ManualClock();
  const outgoing = new FakeOutgoing();
  const placed: OutgoingCallRequest[] = [];
  const services: TransferServices = {
    policy: { destinations: {}, outboundTrunk: () => undefined, allow },
    placeCall: (req) => {
      placed.push(req);
      return outgoing as unknown as OutgoingCallSignal;
    },
    media: new InProcessMediaEngine({ ports: pool, clock }),
    mediaAddress: '127.0.0.1',
    codecPreference: ['PCMU', 'PCMA'],
    idleFill: 'none',
    latching: 'off',
    advertisedHost: '127.0.0.1:5060',
    callerNumber: '+15551230001',
    calledNumber: '+15550100',
    appSampleRate: 8000,
  };
  const call = new BridgedCall('c1', 'sip-1', dialog as unknown as DialogSignal, media as unknown as CallMedia, bot as unknown as BotSession, clock, silentLogger(), { botProtocolError: vi.fn() }, services);
  const ended = vi.fn();
  call.onEnded(ended);
  call.start();
  return { call, dialog, media, bot, outgoing, placed, ended };
}

const flush = () => new Promise((r) => setTimeout(r, 20));
const events = (bot: FakeBot) => bot.sendEvent.mock.calls.map((c) => c[0] as Record<string, unknown>);

function answerSdp(port: number): string {
  return ['v=0', 'o=a 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0', `m=audio ${port} RTP/AVP 8`, 'a=rtpmap:8 PCMA/8000', ''].join('\r\n');
}

describe('bridged transfer', () => {
  it('listen mode: destination audio reaches the caller, the bot hears caller + destination mixed, bot audio is muted', async () => {
    const { bot, media, outgoing, placed, ended } = setup();
    bot.emit('command', { type: 'transfer', to: 'sip:agent@127.0.0.1:5999', method: 'bridge', listen: true });
    await flush();
    expect(placed[0]).toMatchObject({ requestUri: 'sip:agent@127.0.0.1:5999', fromUri: 'sip:+15551230001@127.0.0.1:5060', nextHop: { host: '127.0.0.1', port: 5999, transport: 'udp' } });
    outgoing.emit('progress', 180, undefined);
    outgoing.emit('progress', 183, undefined);
    const agentSock = createSocket('udp4');
    sockets.push(agentSock);
    await new Promise<void>((r) => agentSock.bind(0, '127.0.0.1', () => r()));
    const agentDialog = new FakeDialog();
    outgoing.resolve({ dialog: agentDialog as unknown as DialogSignal, sdp: answerSdp(agentSock.address().port) });
    await flush();
    expect(events(bot)).toEqual([
      { type: 'transfer', status: 'ringing' },
      { type: 'transfer', status: 'answered' },
    ]);
    expect(bot.stop).not.toHaveBeenCalled();
    expect(media.clear).toHaveBeenCalled();

    // Bot audio no longer reaches the caller.
    bot.emit('audio', Buffer.alloc(320));
    expect(media.playAudio).not.toHaveBeenCalled();

    // The destination speaks: one 20 ms PCMA packet of constant 1000 to the leg's port (where the leg sends from).
    const legPort = placed[0].sdp.match(/m=audio (\d+)/)?.[1];
    const agentPcm = new Int16Array(160).fill(1000);
    const rtp = Buffer.concat([Buffer.from([0x80, 8, 0, 1, 0, 0, 0, 160, 1, 2, 3, 4]), Buffer.from(alawmulaw.alaw.encode(agentPcm))]);
    agentSock.send(rtp, Number(legPort), '127.0.0.1');
    await flush();
    expect(media.playAudio).toHaveBeenCalledTimes(1);
    const toCaller = media.playAudio.mock.calls[0][0] as Buffer;
    const agentLevel = toCaller.readInt16LE(100);
    expect(Math.abs(agentLevel - 1000)).toBeLessThan(40); // A-law step near 1000

    // The caller speaks: the bot gets caller + destination, sample by sample.
    const callerFrame = Buffer.alloc(320);
    for (let i = 0; i < 160; i++) callerFrame.writeInt16LE(500, i * 2);
    const before = bot.sendAudio.mock.calls.length;
    media.emit('frame', callerFrame);
    const mixed = bot.sendAudio.mock.calls[before][0] as Buffer;
    expect(mixed.readInt16LE(100)).toBe(500 + agentLevel);

    // The destination hangs up: the call ends (reason transfer), the bot gets stop.
    agentDialog.emit('terminated', 'remote-bye');
    expect(ended).toHaveBeenCalledWith('transfer', expect.any(Number));
    expect(bot.stop).toHaveBeenCalledWith('transfer');
  });

  it('without listen the bot leaves at answer and its socket closing does not end the call', async () => {
    const { bot, outgoing, ended, dialog } = setup();
    bot.emit('command', { type: 'transfer', to: 'sip:agent@127.0.0.1:5999' });
    await flush();
    outgoing.resolve({ dialog: new FakeDialog() as unknown as DialogSignal, sdp: answerSdp(9) });
    await flush();
    expect(bot.stop).toHaveBeenCalledWith('transfer');
    bot.emit('close', { code: 1000, reason: '', initiatedByBot: false });
    expect(ended).not.toHaveBeenCalled();
    dialog.emit('bye');
    expect(ended).toHaveBeenCalledWith('caller-hangup', expect.any(Number));
  });

  it('a failed leg leaves the caller with the bot; a second transfer while one runs is refused', async () => {
    const { bot, outgoing, ended, media } = setup();
    bot.emit('command', { type: 'transfer', to: 'sip:agent@127.0.0.1:5999' });
    bot.emit('command', { type: 'transfer', to: 'sip:agent@127.0.0.1:5999' });
    await flush();
    outgoing.reject(new CallRejectedError('decline'));
    await flush();
    expect(events(bot)).toEqual([
      { type: 'transfer', status: 'failed', reason: 'in-progress' },
      { type: 'transfer', status: 'failed', sipStatus: 603, reason: 'decline' },
    ]);
    bot.emit('audio', Buffer.alloc(320));
    expect(media.playAudio).toHaveBeenCalled();
    expect(ended).not.toHaveBeenCalled();
  });

  it('refer: completed ends the call with reason transfer; refused targets never reach SIP', async () => {
    const { bot, dialog, ended } = setup([]);
    bot.emit('command', { type: 'transfer', to: 'sip:evil@198.51.100.9', method: 'refer' });
    await flush();
    expect(dialog.refer).not.toHaveBeenCalled();
    expect(events(bot)).toEqual([{ type: 'transfer', status: 'failed', reason: 'not-allowed' }]);
    const { bot: bot2, dialog: dialog2, ended: ended2 } = setup();
    bot2.emit('command', { type: 'transfer', to: 'sip:agent@127.0.0.1:5999', method: 'refer' });
    await flush();
    expect(dialog2.refer).toHaveBeenCalledWith('sip:agent@127.0.0.1:5999', { referredBy: 'sip:+15550100@127.0.0.1:5060', timeoutMs: 32_000 });
    expect(events(bot2)).toEqual([{ type: 'transfer', status: 'completed' }]);
    expect(ended2).toHaveBeenCalledWith('transfer', expect.any(Number));
    expect(ended).not.toHaveBeenCalled();
  });
});
