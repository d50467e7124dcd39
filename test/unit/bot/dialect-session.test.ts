/**
 * A dialect behind the real session and a real loopback socket: connectBot picks the dialect by the target's
 * protocol, the session moves its frames, paces silence on the injected clock, reports bad frames without
 * answering them, and closes after the dialect's stop. The frame formats themselves are the table tests'.
 */
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { ManualClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/logger.js';
import { DEFAULT_LINK, botTargetFromConfig, connectBot, type BotCommand, type BotSession, type BotTarget } from '../../../src/bot/index.js';
import { parseConfig } from '../../../src/config/index.js';
import { START, g711Payload, l16Frame } from './dialect-fixtures.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Peer {
  socket: WebSocket;
  texts: Array<Record<string, unknown>>;
  binaries: number;
  closeCode?: number;
  waitFor(pred: () => boolean): Promise<void>;
}

/** A bot server on 127.0.0.1 and the session connected to it with `target`. */
async function open(target: Omit<BotTarget, 'url'>, clock: ManualClock): Promise<{ session: BotSession; peer: Peer }> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  await new Promise<void>((r) => wss.once('listening', () => r()));
  cleanups.push(() => new Promise<void>((r) => { for (const c of wss.clients) c.terminate(); wss.close(() => r()); }));
  const connected = new Promise<WebSocket>((r) => wss.once('connection', r));
  const url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/`;
  const session = await connectBot({ ...target, url }, { callId: START.callId, clock, logger: silentLogger() });
  cleanups.push(() => session.stop('test-cleanup'));
  const socket = await connected;
  const waiters: Array<() => void> = [];
  const peer: Peer = {
    socket,
    texts: [],
    binaries: 0,
    async waitFor(pred) {
      while (!pred()) await new Promise<void>((r) => waiters.push(r));
    },
  };
  const wake = () => waiters.splice(0).forEach((w) => w());
  socket.on('message', (data, isBinary) => {
    if (isBinary) peer.binaries++;
    else peer.texts.push(JSON.parse(String(data)) as Record<string, unknown>);
    wake();
  });
  socket.on('close', (code) => {
    peer.closeCode = code;
    wake();
  });
  return { session, peer };
}

const TWILIO: Omit<BotTarget, 'url'> = { name: 'support', protocol: 'twilio', sampleRate: 8000, connectTimeoutMs: 2000, parameters: { tenant: 'acme' } };

describe('a twilio session over a socket', () => {
  it('opens with connected and start, streams caller audio and paced silence as media, stops with stop then close', async () => {
    const clock = new ManualClock();
    const { session, peer } = await open(TWILIO, clock);
    session.sendStart(START);
    session.sendAudio(l16Frame(1000));
    await peer.waitFor(() => peer.texts.length >= 3);
    clock.advance(200); // the caller sends nothing more: 100 ms behind the clock, silence tops the stream up
    await peer.waitFor(() => peer.texts.length >= 7);
    session.stop('caller-hangup');
    await peer.waitFor(() => peer.closeCode !== undefined);
    const events = peer.texts.map((t) => t.event);
    expect(events).toEqual(['connected', 'start', 'media', 'media', 'media', 'media', 'media', 'stop']);
    expect(peer.texts.slice(1).map((t) => t.sequenceNumber)).toEqual(['1', '2', '3', '4', '5', '6', '7']);
    expect((peer.texts[1].start as { customParameters: unknown }).customParameters).toEqual({
      'X-Customer-Id': 'cust-42',
      tenant: 'acme',
      from_number: '+15551230001',
      to_number: '+15550100',
    });
    expect(peer.binaries).toBe(0);
    expect(peer.closeCode).toBe(1000);
    // no pacing timer outlives the session
    expect(clock.pending()).toBe(0);
  });

  it('turns bot media into L16, mark and clear into commands; reports garbage and unknown events without answering', async () => {
    const { session, peer } = await open(TWILIO, new ManualClock());
    const audio: Buffer[] = [];
    const commands: BotCommand[] = [];
    const errors: Error[] = [];
    session.on('audio', (pcm) => audio.push(pcm));
    session.on('command', (c) => commands.push(c));
    session.on('protocol-error', (e) => errors.push(e));
    session.sendStart(START);
    peer.socket.send(JSON.stringify({ event: 'media', media: { payload: g711Payload('PCMU', 1000, 320) } }));
    peer.socket.send(Buffer.from([1, 2, 3]));
    peer.socket.send('not json');
    peer.socket.send(JSON.stringify({ event: 'who-knows' }));
    peer.socket.send(JSON.stringify({ event: 'mark', mark: { name: 'm1' } }));
    peer.socket.send(JSON.stringify({ event: 'clear' }));
    await new Promise<void>((r) => session.on('command', () => commands.length === 2 && r()));
    expect(audio.map((a) => a.length)).toEqual([640]);
    expect(commands).toEqual([{ type: 'mark', name: 'm1' }, { type: 'clear' }]);
    expect(errors.map((e) => e.message)).toEqual([expect.stringMatching(/binary/), expect.stringMatching(/invalid JSON/)]);
    // the router answers the mark and the clear through sendEvent: only the pending mark comes back
    session.sendEvent({ type: 'cleared', playedMs: 0 });
    const control = () => peer.texts.filter((t) => t.event !== 'media');
    await peer.waitFor(() => control().length >= 3);
    expect(control().map((t) => t.event)).toEqual(['connected', 'start', 'mark']);
    expect(control()[2].mark).toEqual({ name: 'm1' });
  });
});

describe('dialect targets from config', () => {
  const cfg = parseConfig(`
bots:
  tw: { url: "wss://bots.example/twilio", protocol: twilio, parameters: { tenant: acme } }
  tx: { url: "wss://bots.example/telnyx", protocol: telnyx, encoding: PCMA }
  v1: { url: "wss://bots.example/native", protocol: native, sampleRate: 24000 }
`);
  it.each([
    ['tw', { name: 'tw', url: 'wss://bots.example/twilio', sampleRate: 8000, headers: {}, connectTimeoutMs: 3000, protocol: 'twilio', parameters: { tenant: 'acme' }, link: DEFAULT_LINK }],
    ['tx', { name: 'tx', url: 'wss://bots.example/telnyx', sampleRate: 8000, headers: {}, connectTimeoutMs: 3000, protocol: 'telnyx', encoding: 'PCMA', link: DEFAULT_LINK }],
    ['v1', { name: 'v1', url: 'wss://bots.example/native', sampleRate: 24000, headers: {}, connectTimeoutMs: 3000, link: DEFAULT_LINK }],
  ])('%s: its dialect, rate and parameters, as plain data that survives the trip to a media worker', (name, expected) => {
    const target = botTargetFromConfig(name, cfg.bots[name]);
    expect(target).toEqual(expected);
    expect(structuredClone(target)).toEqual(target);
  });
});
