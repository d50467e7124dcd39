// How a bot's reconnects cross the worker boundary: the socket and its reconnects live in the worker; call control's
// side (WorkerCallGroup / WorkerBotControl) sees only 'link' bot events and the final close, and asks for prompts
// by file name. Checked on the main-thread side with a recording link; every message survives structured clone.
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/core/logger.js';
import { DEFAULT_LINK, type BotCloseInfo, type BotLinkEvent, type BotTarget } from '../../../src/bot/index.js';
import { WorkerCallGroup, type WorkerLink } from '../../../src/engine/worker/worker-call-group.js';
import type { FromWorker, ToWorker } from '../../../src/engine/worker/protocol.js';

/** A worker that answers every request ok and records what call control sent (after a structured clone). */
class RecordingLink implements WorkerLink {
  readonly sent: ToWorker[] = [];
  private req = 0;
  send(msg: ToWorker): void {
    this.sent.push(structuredClone(msg));
  }
  request(msg: ToWorker & { req: number }): Promise<Extract<FromWorker, { op: 'reply' }>> {
    this.send(msg);
    return Promise.resolve({ op: 'reply', req: msg.req, ok: true });
  }
  nextRequestId(): number {
    return ++this.req;
  }
}

const TARGET: BotTarget = {
  name: 'support', url: 'wss://bots.example/s', sampleRate: 16000, connectTimeoutMs: 3000, secret: 'x'.repeat(16),
  link: { ...DEFAULT_LINK, holdFile: '/srv/hold.wav' },
};

describe('bot link across the worker boundary', () => {
  it('the target (link settings and secret) crosses as plain data; link events and a dropped close come back as bot events', async () => {
    const link = new RecordingLink();
    const group = new WorkerCallGroup(7, link, silentLogger(), () => {});
    const bot = await group.connectBot(TARGET);
    expect(link.sent[0]).toEqual({ op: 'connectBot', g: 7, req: 1, target: TARGET });

    const links: BotLinkEvent[] = [];
    const closes: BotCloseInfo[] = [];
    bot.on('link', (e) => links.push(e));
    bot.on('close', (i) => closes.push(i));
    const events: Array<Extract<FromWorker, { op: 'botEvent' }>> = [
      { op: 'botEvent', g: 7, e: 'link', link: { state: 'reconnecting', code: 1006, reason: '' } },
      { op: 'botEvent', g: 7, e: 'link', link: { state: 'resumed', downMs: 412, attempts: 2 } },
      { op: 'botEvent', g: 7, e: 'link', link: { state: 'reconnecting', code: 1001, reason: 'going away' } },
      { op: 'botEvent', g: 7, e: 'link', link: { state: 'lost', downMs: 2000, attempts: 8 } },
      { op: 'botEvent', g: 7, e: 'close', info: { code: 1001, reason: 'going away', initiatedByBot: true, dropped: true } },
    ];
    for (const e of events) group.deliver(structuredClone(e));
    expect(links.map((l) => l.state)).toEqual(['reconnecting', 'resumed', 'reconnecting', 'lost']);
    expect(links[1]).toEqual({ state: 'resumed', downMs: 412, attempts: 2 });
    expect(closes).toEqual([{ code: 1001, reason: 'going away', initiatedByBot: true, dropped: true }]);
  });

  it('a prompt is asked for by file name and leg; the reply settles it', async () => {
    const link = new RecordingLink();
    const group = new WorkerCallGroup(3, link, silentLogger(), () => {});
    await group.play('leg1', '/srv/sorry.wav');
    expect(link.sent).toEqual([{ op: 'play', g: 3, req: 1, leg: 'leg1', file: '/srv/sorry.wav' }]);
    group.close();
    await group.play('leg1', '/srv/sorry.wav'); // closed: nothing is sent
    expect(link.sent.map((m) => m.op)).toEqual(['play', 'close']);
  });
});
