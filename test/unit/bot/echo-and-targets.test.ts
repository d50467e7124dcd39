import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/logger.js';
import { parseConfig } from '../../../src/config/index.js';
import {
  DEFAULT_LINK,
  botTargetFromConfig,
  connectBot,
  EchoBotSession,
  type BotCloseInfo,
  type StartMessage,
} from '../../../src/bot/index.js';

const START: StartMessage = {
  type: 'start',
  callId: 'c1',
  sipCallId: 's1',
  from: 'a',
  to: 'b',
  trunk: 't',
  direction: 'inbound',
  headers: {},
  media: { encoding: 'L16', sampleRate: 8000, channels: 1, frameMs: 20 },
};

describe('EchoBotSession', () => {
  it('echoes each frame back as a copy', () => {
    const echo = new EchoBotSession();
    const out: Buffer[] = [];
    echo.on('audio', (pcm) => out.push(pcm));
    echo.sendStart(START);
    const frame = Buffer.from([1, 2, 3, 4]);
    echo.sendAudio(frame);
    frame.fill(0); // the caller reuses its buffer
    expect(out).toEqual([Buffer.from([1, 2, 3, 4])]);
  });

  it('delays by N frames', () => {
    const echo = new EchoBotSession({ delayFrames: 2 });
    const out: number[] = [];
    echo.on('audio', (pcm) => out.push(pcm[0]));
    echo.sendStart(START);
    for (let i = 1; i <= 5; i++) echo.sendAudio(Buffer.from([i, 0]));
    expect(out).toEqual([1, 2, 3]);
  });

  it('ignores audio before start and after stop; stop closes once', async () => {
    const echo = new EchoBotSession();
    const out: Buffer[] = [];
    const closes: BotCloseInfo[] = [];
    echo.on('audio', (pcm) => out.push(pcm));
    echo.on('close', (info) => closes.push(info));
    echo.sendAudio(Buffer.from([1, 1]));
    echo.sendStart(START);
    echo.sendEvent({ type: 'mark', name: 'm' });
    echo.stop('caller-hangup');
    echo.stop('again');
    echo.sendAudio(Buffer.from([2, 2]));
    expect(out).toEqual([]);
    expect(closes).toEqual([{ code: 1000, reason: 'caller-hangup', initiatedByBot: false }]);
    const late = await new Promise<BotCloseInfo>((r) => echo.on('close', r));
    expect(late.reason).toBe('caller-hangup');
  });

  it('is what connectBot returns for a builtin target, without any socket', async () => {
    const clock = new ManualClock();
    const s = await connectBot(
      { name: 'echo', builtin: 'echo', sampleRate: 8000, connectTimeoutMs: 0 },
      { callId: 'c', clock, logger: silentLogger() },
    );
    expect(s).toBeInstanceOf(EchoBotSession);
    expect(clock.pending()).toBe(0);
  });
});

describe('botTargetFromConfig', () => {
  const cfg = parseConfig(`
bots:
  echo: { builtin: echo, delayFrames: 3 }
  support: { url: "wss://bots.example/stream", sampleRate: 24000, headers: { Authorization: "Bearer x" }, connectTimeoutMs: 500 }
  plain: { url: "ws://127.0.0.1:9000/" }
  tuned: { url: "ws://127.0.0.1:9000/", reconnectMs: 0, pingIntervalMs: 1000, pingTimeoutMs: 500, sendBufferBytes: 8192, maxPlayoutSec: 5, holdFile: /srv/hold.wav, secret: "0123456789abcdef" }
`);
  it.each([
    ['echo', { name: 'echo', builtin: 'echo', sampleRate: 8000, connectTimeoutMs: 0, echoDelayFrames: 3 }],
    [
      'support',
      {
        name: 'support',
        url: 'wss://bots.example/stream',
        sampleRate: 24000,
        headers: { Authorization: 'Bearer x' },
        connectTimeoutMs: 500,
        link: DEFAULT_LINK,
      },
    ],
    ['plain', { name: 'plain', url: 'ws://127.0.0.1:9000/', sampleRate: 16000, headers: {}, connectTimeoutMs: 3000, link: DEFAULT_LINK }],
    [
      'tuned',
      {
        name: 'tuned', url: 'ws://127.0.0.1:9000/', sampleRate: 16000, headers: {}, connectTimeoutMs: 3000, secret: '0123456789abcdef',
        link: { reconnectMs: 0, pingIntervalMs: 1000, pingTimeoutMs: 500, sendBufferBytes: 8192, maxPlayoutSec: 5, holdFile: '/srv/hold.wav' },
      },
    ],
  ])('%s', (name, expected) => {
    expect(botTargetFromConfig(name, cfg.bots[name])).toEqual(expected);
  });
});
