import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { ManualClock, SystemClock } from '../../../src/core/clock.js';
import { BotConnectError } from '../../../src/core/errors.js';
import { silentLogger } from '../../../src/core/logger.js';
import {
  connectBot,
  type BotCloseInfo,
  type BotCommand,
  type BotSession,
  type BotTarget,
  type StartMessage,
} from '../../../src/bot/index.js';
import { reservePort } from '../../helpers/ports.js';

const logger = silentLogger();
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A bot server on loopback that records everything it receives. */
interface FakeBot {
  url: string;
  wss: WebSocketServer;
  /** Resolves with the server side of the next connection and its upgrade headers. */
  nextConnection(): Promise<{ socket: WebSocket; headers: Record<string, string | string[] | undefined> }>;
}

async function startFakeBot(): Promise<FakeBot> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  await new Promise<void>((r) => wss.once('listening', () => r()));
  const pending: Array<(c: { socket: WebSocket; headers: Record<string, string | string[] | undefined> }) => void> = [];
  const ready: Array<{ socket: WebSocket; headers: Record<string, string | string[] | undefined> }> = [];
  wss.on('connection', (socket, req) => {
    const c = { socket, headers: req.headers };
    const waiter = pending.shift();
    if (waiter) waiter(c);
    else ready.push(c);
  });
  cleanups.push(
    () =>
      new Promise<void>((r) => {
        for (const c of wss.clients) c.terminate();
        wss.close(() => r());
      }),
  );
  const port = (wss.address() as AddressInfo).port;
  return {
    url: `ws://127.0.0.1:${port}/stream?token=abc`,
    wss,
    nextConnection: () => {
      const c = ready.shift();
      return c ? Promise.resolve(c) : new Promise((r) => pending.push(r));
    },
  };
}

/** Collects messages the fake bot's socket receives, text parsed as JSON. */
function recorder(socket: WebSocket) {
  const messages: Array<{ text?: unknown; binary?: Buffer }> = [];
  const waiters: Array<() => void> = [];
  socket.on('message', (data, isBinary) => {
    const buf = data as Buffer;
    messages.push(isBinary ? { binary: Buffer.from(buf) } : { text: JSON.parse(buf.toString('utf8')) });
    for (const w of waiters.splice(0)) w();
  });
  return {
    messages,
    /** Waits until at least `n` messages have arrived. */
    async waitFor(n: number): Promise<void> {
      while (messages.length < n) await new Promise<void>((r) => waiters.push(r));
    },
  };
}

function target(url: string, extra: Partial<BotTarget> = {}): BotTarget {
  return { name: 'test-bot', url, sampleRate: 16000, connectTimeoutMs: 2000, ...extra };
}

async function connect(url: string, extra: Partial<BotTarget> = {}): Promise<BotSession> {
  const session = await connectBot(target(url, extra), { callId: 'c1', clock: new SystemClock(), logger });
  cleanups.push(() => session.stop('test-cleanup'));
  return session;
}

const START: StartMessage = {
  type: 'start',
  callId: 'c1',
  sipCallId: 'abc@127.0.0.1',
  from: '+15551234',
  to: '+15550100',
  trunk: 'local',
  direction: 'inbound',
  headers: { 'X-Agent-ID': '42' },
  media: { encoding: 'L16', sampleRate: 16000, channels: 1, frameMs: 20 },
};

function nextEvent<T>(session: BotSession, event: 'audio' | 'command' | 'close' | 'protocol-error'): Promise<T> {
  return new Promise((resolve) => session.on(event as 'close', resolve as (info: BotCloseInfo) => void));
}

describe('connectBot over WebSocket', () => {
  it('connects with the configured headers and sends the start message with its exact shape', async () => {
    const bot = await startFakeBot();
    const conn = bot.nextConnection();
    const session = await connect(bot.url, { headers: { Authorization: 'Bearer t0k' } });
    const { socket, headers } = await conn;
    expect(headers.authorization).toBe('Bearer t0k');
    expect(headers['sec-websocket-extensions']).toBeUndefined(); // perMessageDeflate off
    const rec = recorder(socket);
    session.sendStart(START);
    await rec.waitFor(1);
    expect(rec.messages[0].text).toEqual({
      type: 'start',
      callId: 'c1',
      sipCallId: 'abc@127.0.0.1',
      from: '+15551234',
      to: '+15550100',
      trunk: 'local',
      direction: 'inbound',
      headers: { 'X-Agent-ID': '42' },
      media: { encoding: 'L16', sampleRate: 16000, channels: 1, frameMs: 20 },
    });
  });

  it('carries audio both ways, events out and commands in', async () => {
    const bot = await startFakeBot();
    const conn = bot.nextConnection();
    const session = await connect(bot.url);
    const { socket } = await conn;
    const rec = recorder(socket);
    const audio: Buffer[] = [];
    const commands: BotCommand[] = [];
    session.on('audio', (pcm) => audio.push(pcm));
    session.on('command', (cmd) => commands.push(cmd));
    session.sendStart(START);

    const frame = Buffer.alloc(640, 7);
    session.sendAudio(frame);
    session.sendEvent({ type: 'mark', name: 'm1' });
    await rec.waitFor(3);
    expect(rec.messages[1].binary).toEqual(frame);
    expect(rec.messages[2].text).toEqual({ type: 'mark', name: 'm1' });

    const gotAudio = nextEvent<Buffer>(session, 'audio');
    socket.send(Buffer.from([1, 2, 3, 4]), { binary: true });
    expect(await gotAudio).toEqual(Buffer.from([1, 2, 3, 4]));

    const gotCommand = nextEvent<BotCommand>(session, 'command');
    socket.send(JSON.stringify({ type: 'hangup', reason: 'done' }));
    expect(await gotCommand).toEqual({ type: 'hangup', reason: 'done' });
    expect(commands).toHaveLength(1);
    expect(audio).toHaveLength(1);
  });

  it('keeps an odd trailing byte for the next binary message', async () => {
    const bot = await startFakeBot();
    const conn = bot.nextConnection();
    const session = await connect(bot.url);
    const { socket } = await conn;
    const audio: Buffer[] = [];
    session.on('audio', (pcm) => audio.push(pcm));
    session.sendStart(START);
    const closed = nextEvent<BotCloseInfo>(session, 'close');
    socket.send(Buffer.from([1, 2, 3]), { binary: true });
    socket.send(Buffer.from([4]), { binary: true });
    socket.send(Buffer.from([5, 6, 7, 8, 9]), { binary: true });
    socket.close(1000, 'done');
    await closed;
    expect(audio).toEqual([Buffer.from([1, 2]), Buffer.from([3, 4]), Buffer.from([5, 6, 7, 8])]);
  });

  it('holds bot messages back until sendStart, so early audio is not lost', async () => {
    const bot = await startFakeBot();
    const conn = bot.nextConnection();
    const session = await connect(bot.url);
    const { socket } = await conn;
    const rec = recorder(socket);
    const early: Buffer[] = [];
    session.on('audio', (pcm) => early.push(pcm));
    socket.send(Buffer.from([9, 9]), { binary: true });
    // Wait (bounded, no timers) until the frame sits unread in our paused TCP socket.
    const tcp = (session as unknown as { ws: { _socket: { readableLength: number } } }).ws._socket;
    for (let i = 0; i < 10_000 && tcp.readableLength === 0; i++) await new Promise((r) => setImmediate(r));
    expect(tcp.readableLength).toBeGreaterThan(0);
    expect(early).toEqual([]);
    const gotAudio = nextEvent<Buffer>(session, 'audio');
    session.sendStart(START);
    expect(await gotAudio).toEqual(Buffer.from([9, 9]));
    await rec.waitFor(1);
    expect((rec.messages[0].text as { type: string }).type).toBe('start');
  });

  it('before the answer: start goes at once, what the bot says stays unread until sendStart without beforeAnswer; start goes once', async () => {
    const bot = await startFakeBot();
    const conn = bot.nextConnection();
    const session = await connect(bot.url);
    const { socket } = await conn;
    const rec = recorder(socket);
    const heard: Buffer[] = [];
    session.on('audio', (pcm) => heard.push(pcm));
    session.sendStart(START, { beforeAnswer: true });
    await rec.waitFor(1);
    expect(rec.messages[0].text).toEqual(START);
    socket.send(Buffer.from([7, 7]), { binary: true });
    const tcp = (session as unknown as { ws: { _socket: { readableLength: number } } }).ws._socket;
    for (let i = 0; i < 10_000 && tcp.readableLength === 0; i++) await new Promise((r) => setImmediate(r));
    expect(tcp.readableLength).toBeGreaterThan(0);
    expect(heard).toEqual([]);
    // Caller audio flows already (native streams only what the caller sends).
    session.sendAudio(Buffer.alloc(640, 1));
    await rec.waitFor(2);
    expect(rec.messages[1].binary).toEqual(Buffer.alloc(640, 1));
    const gotAudio = nextEvent<Buffer>(session, 'audio');
    session.sendStart(START);
    expect(await gotAudio).toEqual(Buffer.from([7, 7]));
    session.stop('caller-hangup');
    await new Promise<void>((r) => socket.once('close', () => r()));
    expect(rec.messages.filter((m) => (m.text as { type?: string } | undefined)?.type === 'start')).toHaveLength(1);
  });

  it('answers garbage with a protocol-error and {type:"error"} and keeps the socket open', async () => {
    const bot = await startFakeBot();
    const conn = bot.nextConnection();
    const session = await connect(bot.url);
    const { socket } = await conn;
    const rec = recorder(socket);
    session.sendStart(START);
    const protoErr = nextEvent<Error>(session, 'protocol-error');
    socket.send('{not json');
    const err = await protoErr;
    expect(err.message).toMatch(/invalid JSON/);
    await rec.waitFor(2);
    expect(rec.messages[1].text).toMatchObject({ type: 'error', message: expect.stringMatching(/invalid JSON/) });

    const unknownType = nextEvent<Error>(session, 'protocol-error');
    socket.send('{"type":"dance"}');
    expect((await unknownType).message).toMatch(/unknown message type/);

    // Still usable afterwards.
    const gotCommand = nextEvent<BotCommand>(session, 'command');
    socket.send('{"type":"clear"}');
    expect(await gotCommand).toEqual({ type: 'clear' });
    expect(socket.readyState).toBe(WebSocket.OPEN);
  });

  it('reports a close started by the bot', async () => {
    const bot = await startFakeBot();
    const conn = bot.nextConnection();
    const session = await connect(bot.url);
    const { socket } = await conn;
    session.sendStart(START);
    const closed = nextEvent<BotCloseInfo>(session, 'close');
    socket.close(4000, 'bot done');
    expect(await closed).toEqual({ code: 4000, reason: 'bot done', initiatedByBot: true });
    // A listener added after the close still hears about it.
    expect(await nextEvent<BotCloseInfo>(session, 'close')).toMatchObject({ code: 4000 });
  });

  it('reports a bot dropping the connection as closed by the bot', async () => {
    const bot = await startFakeBot();
    const conn = bot.nextConnection();
    const session = await connect(bot.url);
    const { socket } = await conn;
    session.sendStart(START);
    const closed = nextEvent<BotCloseInfo>(session, 'close');
    socket.terminate();
    expect(await closed).toMatchObject({ code: 1006, initiatedByBot: true });
  });

  it('stop() sends stop then closes with 1000; a second stop() does nothing', async () => {
    const bot = await startFakeBot();
    const conn = bot.nextConnection();
    const session = await connect(bot.url);
    const { socket } = await conn;
    const rec = recorder(socket);
    const serverClosed = new Promise<{ code: number; reason: string }>((r) =>
      socket.on('close', (code, reason) => r({ code, reason: reason.toString() })),
    );
    const closed = nextEvent<BotCloseInfo>(session, 'close');
    session.sendStart(START);
    session.stop('caller-hangup');
    session.stop('again');
    expect(await serverClosed).toEqual({ code: 1000, reason: 'caller-hangup' });
    expect(rec.messages.map((m) => m.text)).toEqual([START, { type: 'stop', reason: 'caller-hangup' }]);
    expect(await closed).toEqual({ code: 1000, reason: 'caller-hangup', initiatedByBot: false });
  });

  it('stop() carries the call quality when given', async () => {
    const bot = await startFakeBot();
    const conn = bot.nextConnection();
    const session = await connect(bot.url);
    const { socket } = await conn;
    const rec = recorder(socket);
    const serverClosed = new Promise<void>((r) => socket.on('close', () => r()));
    session.sendStart(START);
    const quality = { packetsReceived: 250, packetsLost: 0, jitterMs: 0.4, rttMs: 0.2 };
    session.stop('bot-hangup', { quality });
    await serverClosed;
    expect(rec.messages.map((m) => m.text)).toEqual([START, { type: 'stop', reason: 'bot-hangup', quality }]);
  });

  it('stop() before start still closes cleanly', async () => {
    const bot = await startFakeBot();
    const conn = bot.nextConnection();
    const session = await connect(bot.url);
    const { socket } = await conn;
    const rec = recorder(socket);
    const closed = nextEvent<BotCloseInfo>(session, 'close');
    session.stop('error');
    expect(await closed).toEqual({ code: 1000, reason: 'error', initiatedByBot: false });
    expect(rec.messages.map((m) => m.text)).toEqual([{ type: 'stop', reason: 'error' }]);
  });

  it('while the socket is backed up, caller frames wait in a bounded queue that drops (and counts) the oldest', async () => {
    const bot = await startFakeBot();
    const conn = bot.nextConnection();
    let dropped = 0;
    const clock = new ManualClock();
    const session = await connectBot(target(bot.url), {
      callId: 'c1',
      clock,
      logger,
      maxBufferedBytes: 1300, // two 640-byte frames wait; a third pushes the oldest out
      onFrameDropped: () => dropped++,
    });
    cleanups.push(() => session.stop('test-cleanup'));
    const { socket } = await conn;
    const rec = recorder(socket);
    session.sendStart(START);
    // The fake bot's socket is not stalled for real (loopback drains too fast to be deterministic);
    // the session only consults ws.bufferedAmount, so pin it high and then release it.
    const client = (session as unknown as { ws: WebSocket }).ws;
    let backlog = 5000;
    Object.defineProperty(client, 'bufferedAmount', { get: () => backlog });
    for (let i = 0; i < 10; i++) session.sendAudio(Buffer.alloc(640, i));
    expect(dropped).toBe(8);
    expect(session.framesDropped).toBe(8);
    clock.advance(100); // still backed up: nothing is written, nothing more is lost
    expect(dropped).toBe(8);
    backlog = 0;
    clock.advance(20); // the drain poll finds room: the two newest frames go, oldest first
    await rec.waitFor(3);
    expect(rec.messages.slice(1).map((m) => m.binary?.[0])).toEqual([8, 9]);
    session.sendAudio(Buffer.alloc(640, 42)); // caught up: straight through again
    await rec.waitFor(4);
    expect(rec.messages[3].binary).toEqual(Buffer.alloc(640, 42));
    expect(dropped).toBe(8);
  });
});

describe('connectBot failures', () => {
  async function expectConnectError(p: Promise<unknown>, pattern: RegExp): Promise<void> {
    const err = await p.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(BotConnectError);
    expect((err as BotConnectError).sipStatus).toBe(503);
    expect((err as BotConnectError).message).toMatch(pattern);
    expect((err as BotConnectError).message).not.toContain('token=abc');
  }

  it('refused: nothing listening', async () => {
    // A reserved port (test/helpers/ports.ts): nothing listens there, and nothing else can start to.
    const port = await reservePort();
    await expectConnectError(
      connectBot(target(`ws://127.0.0.1:${port}/x?token=abc`), { callId: 'c', clock: new SystemClock(), logger }),
      /ECONNREFUSED/,
    );
  });

  it('upgrade answered 401', async () => {
    const srv: Server = createServer((_req, res) => res.end());
    srv.on('upgrade', (_req, sock) => {
      sock.end('HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
    cleanups.push(() => new Promise<void>((r) => srv.close(() => r())));
    const port = (srv.address() as AddressInfo).port;
    await expectConnectError(
      connectBot(target(`ws://127.0.0.1:${port}/x?token=abc`), { callId: 'c', clock: new SystemClock(), logger }),
      /HTTP 401/,
    );
  });

  it('upgrade never answered: times out on the clock', async () => {
    const srv: Server = createServer();
    const sockets: Array<{ destroy(): void }> = [];
    srv.on('upgrade', (_req, sock) => sockets.push(sock)); // accept TCP, never answer
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
    cleanups.push(
      () =>
        new Promise<void>((r) => {
          for (const s of sockets) s.destroy();
          srv.close(() => r());
        }),
    );
    const port = (srv.address() as AddressInfo).port;
    await expectConnectError(
      connectBot(target(`ws://127.0.0.1:${port}/x?token=abc`, { connectTimeoutMs: 150 }), {
        callId: 'c',
        clock: new SystemClock(),
        logger,
      }),
      /no WebSocket upgrade within 150 ms/,
    );
  });

  it('timeout is driven by the injected clock', async () => {
    const srv: Server = createServer();
    const upgraded = new Promise<{ destroy(): void }>((r) => srv.on('upgrade', (_req, sock) => r(sock)));
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
    cleanups.push(() => new Promise<void>((r) => srv.close(() => r())));
    const port = (srv.address() as AddressInfo).port;
    const clock = new ManualClock();
    const p = connectBot(target(`ws://127.0.0.1:${port}/x`, { connectTimeoutMs: 3000 }), { callId: 'c', clock, logger });
    const sock = await upgraded;
    cleanups.push(() => sock.destroy());
    expect(clock.pending()).toBe(1);
    clock.advance(2999);
    let settled = false;
    void p.then(
      () => (settled = true),
      () => (settled = true),
    );
    await new Promise((r) => setImmediate(r));
    expect(settled).toBe(false);
    clock.advance(1);
    await expectConnectError(p, /within 3000 ms/);
  });
});
