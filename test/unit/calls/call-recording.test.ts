// A bot call's recording policy: what `always`, `on-demand` and `off` let the bot (record command) and the API do,
// how the bot is answered, and the consent prompt played before caller and bot are joined.
import { EventEmitter } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/logger.js';
import { RecordingError } from '../../../src/core/errors.js';
import { BridgedCall, type CallMedia } from '../../../src/calls/bridged-call.js';
import type { DialogSignal } from '../../../src/calls/signaling.js';
import type { BotControl, CallMediaGroup, CallRecordingPolicy, RecordingStatus } from '../../../src/calls/media-engine.js';

class FakeMedia extends EventEmitter {
  readonly id = 'leg1';
  canSendDtmf = true;
  start = vi.fn();
  close = vi.fn();
  finalFigures = vi.fn(async () => {});
  stats = { packetsReceived: 0, packetsSent: 0 };
}

class FakeBot extends EventEmitter {
  sendStart = vi.fn();
  sendEvent = vi.fn();
  stop = vi.fn();
}

/** An engine group whose recording follows the real state rules closely enough: one start, pause/resume. */
function fakeGroup() {
  let state: RecordingStatus = 'idle';
  let finishPlay: () => void = () => {};
  const journal: string[] = [];
  const group = {
    allocate: vi.fn(),
    connectBot: vi.fn(),
    close: vi.fn(),
    route: vi.fn(() => journal.push('route')),
    play: vi.fn(() => {
      journal.push('play');
      return new Promise<void>((r) => (finishPlay = r));
    }),
    record: vi.fn(async (action: string): Promise<RecordingStatus> => {
      journal.push(`record ${action}`);
      const next: Record<string, [RecordingStatus, RecordingStatus]> = { start: ['idle', 'recording'], pause: ['recording', 'paused'], resume: ['paused', 'recording'], stop: ['recording', 'stopped'] };
      const [from, to] = next[action];
      if (state !== from) throw new RecordingError('recording-state', `cannot ${action}: the recording is ${state}`);
      state = to;
      return state;
    }),
  };
  return { group, journal, finishPlay: () => finishPlay() };
}

function setup(recording: CallRecordingPolicy) {
  const recordingStarted = vi.fn();
  const media = new FakeMedia();
  const bot = new FakeBot();
  const g = fakeGroup();
  const call = new BridgedCall({
    id: 'call-1',
    sipCallId: 'sip-1',
    dialog: Object.assign(new EventEmitter(), { terminated: false, hangup: vi.fn(async () => {}) }) as unknown as DialogSignal,
    media: media as unknown as CallMedia,
    group: g.group as unknown as CallMediaGroup,
    bot: bot as unknown as BotControl,
    clock: new ManualClock(),
    log: silentLogger(),
    observer: { botProtocolError: vi.fn(), recordingStarted },
    recording,
  });
  call.start();
  const command = async (action: string): Promise<void> => {
    bot.emit('command', { type: 'record', action });
    await new Promise((r) => setImmediate(r));
  };
  return { call, bot, ...g, command, recordingStarted };
}

describe('call recording policy', () => {
  it('always: starts once caller and bot are joined; the bot may pause and resume, not start or stop', async () => {
    const { bot, journal, command } = setup({ mode: 'always' });
    await new Promise((r) => setImmediate(r));
    expect(journal).toEqual(['route', 'record start']);
    await command('pause');
    await command('resume');
    await command('stop');
    await command('start');
    expect(bot.sendEvent.mock.calls.map((c) => c[0])).toEqual([
      { type: 'recording', state: 'paused' },
      { type: 'recording', state: 'recording' },
      { type: 'error', code: 'recording-off', message: 'recording is always on for this call: stop is not allowed (pause and resume are)' },
      { type: 'error', code: 'recording-off', message: 'recording is always on for this call: start is not allowed (pause and resume are)' },
    ]);
    expect(journal).toEqual(['route', 'record start', 'record pause', 'record resume']);
  });

  it('on-demand: nothing until the bot starts it; a control the state refuses is answered recording-state', async () => {
    const { bot, journal, command, call } = setup({ mode: 'on-demand' });
    await new Promise((r) => setImmediate(r));
    expect(journal).toEqual(['route']);
    await command('pause');
    await command('start');
    expect(await call.record('pause')).toBe('paused'); // the API, as a Twilio bot would use it
    await command('stop');
    expect(bot.sendEvent.mock.calls.map((c) => c[0])).toEqual([
      { type: 'error', code: 'recording-state', message: 'cannot pause: the recording is idle' },
      { type: 'recording', state: 'recording' },
      { type: 'error', code: 'recording-state', message: 'cannot stop: the recording is paused' },
    ]);
  });

  it('the call records hear of a recording once it started (always at the join; on-demand at an accepted start)', async () => {
    const always = setup({ mode: 'always' });
    await new Promise((r) => setImmediate(r));
    expect(always.recordingStarted.mock.calls).toEqual([['call-1']]);
    const demand = setup({ mode: 'on-demand' });
    await demand.command('pause');
    expect(demand.recordingStarted).not.toHaveBeenCalled();
    await demand.command('start');
    await demand.command('start'); // refused: still one
    await demand.command('pause');
    expect(demand.recordingStarted.mock.calls).toEqual([['call-1']]);
  });

  it('off: the bot and the API are refused with recording-off; the engine is never asked', async () => {
    const { bot, group, command, call } = setup({ mode: 'off', consentFile: '/srv/consent.wav' });
    await command('start');
    await expect(call.record('start')).rejects.toMatchObject({ reason: 'recording-off' });
    expect(bot.sendEvent.mock.calls.map((c) => c[0])).toEqual([{ type: 'error', code: 'recording-off', message: 'recording is off for this call' }]);
    expect(group.record).not.toHaveBeenCalled();
    expect(group.play).not.toHaveBeenCalled(); // no consent prompt on a call that is never recorded
  });

  it('consent: the prompt plays to the caller first; caller and bot are joined, and the recording starts, after it', async () => {
    const { call, journal, finishPlay } = setup({ mode: 'always', consentFile: '/srv/consent.wav' });
    let joined = false;
    void call.joined.then(() => (joined = true));
    await new Promise((r) => setImmediate(r));
    expect(journal).toEqual(['play']);
    expect(joined).toBe(false);
    finishPlay();
    await new Promise((r) => setImmediate(r));
    expect(journal).toEqual(['play', 'route', 'record start']);
    expect(joined).toBe(true);
  });

  it('a call that ended during the consent prompt is never joined or recorded', async () => {
    const { call, journal, finishPlay } = setup({ mode: 'always', consentFile: '/srv/consent.wav' });
    call.end('caller-hangup');
    finishPlay();
    await call.joined;
    expect(journal).toEqual(['play']);
  });
});
