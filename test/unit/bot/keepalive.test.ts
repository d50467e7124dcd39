// Keepalive pings on the manual clock (pure), then on a real socket: a bot that answers pings stays, a bot that
// stops reading is cut after interval + timeout and reported as a drop (1006, "ping timeout", dropped: true).
// And the signed upgrade: the three headers, checked against an HMAC computed here.
import { createHmac } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { ManualClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/logger.js';
import { connectBot, Keepalive, SIGNATURE_HEADERS, signedStartHeaders, type BotCloseInfo, type BotTarget, type StartMessage } from '../../../src/bot/index.js';
import { waitFor } from '../../helpers/wait-for.js';

const START: StartMessage = {
  type: 'start', callId: 'c1', sipCallId: 's1', from: '1', to: '2', trunk: 't', direction: 'inbound', headers: {},
  media: { encoding: 'L16', sampleRate: 16000, channels: 1, frameMs: 20 },
};

describe('Keepalive (manual clock)', () => {
  function setup(intervalMs = 1000, timeoutMs = 500) {
    const clock = new ManualClock();
    const seen = { pings: 0, dead: 0 };
    const k = new Keepalive({ clock, intervalMs, timeoutMs, ping: () => seen.pings++, onDead: () => seen.dead++ });
    return { clock, k, seen };
  }

  it('pings once per interval; a bot that answers each ping within the timeout stays alive', () => {
    const { clock, k, seen } = setup();
    k.start();
    clock.advance(999);
    expect(seen.pings).toBe(0);
    for (let i = 1; i <= 5; i++) {
      clock.advance(i === 1 ? 1 : 600); // on the ping
      expect(seen.pings).toBe(i);
      clock.advance(400); // answered 400 ms later, inside the 500 ms timeout
      k.alive();
    }
    clock.advance(600);
    expect(seen).toEqual({ pings: 6, dead: 0 });
  });

  it('an unanswered ping is dead exactly timeoutMs after it was sent; nothing runs afterwards', () => {
    const { clock, k, seen } = setup();
    k.start();
    clock.advance(1000);
    expect(seen.pings).toBe(1);
    clock.advance(499);
    expect(seen.dead).toBe(0);
    clock.advance(1);
    expect(seen.dead).toBe(1);
    clock.advance(10_000);
    expect(seen).toEqual({ pings: 1, dead: 1 });
    expect(clock.pending()).toBe(0);
  });

  it('a timeout longer than the interval: no second ping while one is outstanding, and the first one still decides', () => {
    const { clock, k, seen } = setup(1000, 2500);
    k.start();
    clock.advance(3000);
    expect(seen.pings).toBe(1);
    clock.advance(499);
    expect(seen.dead).toBe(0);
    clock.advance(1);
    expect(seen.dead).toBe(1);
  });

  it('interval 0 pings never; stop cancels everything', () => {
    const off = setup(0);
    off.k.start();
    off.clock.advance(60_000);
    expect(off.seen.pings).toBe(0);
    const on = setup();
    on.k.start();
    on.clock.advance(1000);
    on.k.stop();
    on.clock.advance(60_000);
    expect(on.seen).toEqual({ pings: 1, dead: 0 });
  });
});

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A bot server on loopback; `frozen` connections never read (so never pong). */
async function botServer(frozen: boolean): Promise<{ url: string; headers: Promise<Record<string, string | string[] | undefined>> }> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  await new Promise<void>((r) => wss.once('listening', () => r()));
  const headers = new Promise<Record<string, string | string[] | undefined>>((resolve) =>
    wss.on('connection', (ws, req) => {
      if (frozen) (ws as unknown as { _socket: { pause(): void } })._socket.pause();
      resolve(req.headers);
    }),
  );
  cleanups.push(() => new Promise<void>((r) => {
    for (const c of wss.clients) c.terminate();
    wss.close(() => r());
  }));
  return { url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/bot?k=1`, headers };
}

function target(url: string, extra: Partial<BotTarget> = {}): BotTarget {
  return {
    name: 'b', url, sampleRate: 16000, connectTimeoutMs: 2000,
    link: { reconnectMs: 0, pingIntervalMs: 1000, pingTimeoutMs: 500, sendBufferBytes: 65536, maxPlayoutSec: 60 },
    ...extra,
  };
}

describe('keepalive on a real socket', () => {
  it('a bot that answers pings stays connected; one that stops reading is cut after interval + timeout, as a drop', async () => {
    for (const frozen of [false, true]) {
      const bot = await botServer(frozen);
      const clock = new ManualClock();
      const session = await connectBot(target(bot.url), { callId: 'c1', clock, logger: silentLogger() });
      cleanups.push(() => session.stop('test-cleanup'));
      const closes: BotCloseInfo[] = [];
      session.on('close', (i) => closes.push(i));
      session.sendStart(START);
      clock.advance(1000); // ping
      // The pong (if any) is real I/O: give it time to arrive before the timeout is due.
      await new Promise((r) => setTimeout(r, 100));
      clock.advance(500);
      if (frozen) {
        await waitFor(() => closes.length === 1, { what: 'the ping timeout close' });
        expect(closes).toEqual([{ code: 1006, reason: 'ping timeout', initiatedByBot: true, dropped: true }]);
      } else {
        await new Promise((r) => setTimeout(r, 50));
        expect(closes).toEqual([]);
      }
    }
  });
});

describe('signed start', () => {
  it('the upgrade carries call id, timestamp and v1=HMAC-SHA256(secret, "ts.callId.url")', async () => {
    const bot = await botServer(false);
    const secret = 'a-bot-secret-0123456789';
    const now = Date.UTC(2025, 0, 2, 3, 4, 5);
    const session = await connectBot(target(bot.url, { secret }), { callId: 'call-42', clock: new ManualClock(), logger: silentLogger(), wallClock: () => now });
    cleanups.push(() => session.stop('test-cleanup'));
    const h = await bot.headers;
    const ts = String(now / 1000);
    expect(h[SIGNATURE_HEADERS.callId]).toBe('call-42');
    expect(h[SIGNATURE_HEADERS.timestamp]).toBe(ts);
    const mac = createHmac('sha256', secret).update(`${ts}.call-42.${bot.url}`).digest('hex');
    expect(h[SIGNATURE_HEADERS.signature]).toBe(`v1=${mac}`);
    expect(signedStartHeaders(secret, 'call-42', bot.url, now)).toEqual({
      'x-trunkbridge-call-id': 'call-42', 'x-trunkbridge-timestamp': ts, 'x-trunkbridge-signature': `v1=${mac}`,
    });
  });

  it('without a secret no signature header is sent', async () => {
    const bot = await botServer(false);
    const session = await connectBot(target(bot.url), { callId: 'call-43', clock: new ManualClock(), logger: silentLogger() });
    cleanups.push(() => session.stop('test-cleanup'));
    const h = await bot.headers;
    expect(h[SIGNATURE_HEADERS.signature]).toBeUndefined();
    expect(h[SIGNATURE_HEADERS.callId]).toBeUndefined();
  });
});

