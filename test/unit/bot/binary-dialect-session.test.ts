/**
 * The binary-audio dialects (Vonage, jambonz) behind the real session and a real loopback socket:
 * connectBot offers jambonz's subprotocol, the session sends one text handshake then binary frames (paced
 * silence included), hands binary bot audio on; targets built from config carry the four newer dialects' rates.
 */
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { ManualClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/logger.js';
import { DEFAULT_LINK, botTargetFromConfig, connectBot, type BotCommand, type BotSession, type BotTarget } from '../../../src/bot/index.js';
import { parseConfig } from '../../../src/config/index.js';
import { START, l16Frame } from './dialect-fixtures.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Peer {
  socket: WebSocket;
  protocol: string;
  frames: Array<string | Buffer>;
  waitFor(pred: () => boolean): Promise<void>;
}

/** A bot server on 127.0.0.1 (accepting whatever subprotocol is offered) and the session connected to it. */
async function open(target: Omit<BotTarget, 'url'>, clock: ManualClock): Promise<{ session: BotSession; peer: Peer; offered: string[] }> {
  const offered: string[] = [];
  const wss = new WebSocketServer({
    host: '127.0.0.1',
    port: 0,
    perMessageDeflate: false,
    handleProtocols: (protocols) => {
      offered.push(...protocols);
      return protocols.values().next().value ?? false;
    },
  });
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
    protocol: socket.protocol,
    frames: [],
    async waitFor(pred) {
      while (!pred()) await new Promise<void>((r) => waiters.push(r));
    },
  };
  socket.on('message', (data, isBinary) => {
    peer.frames.push(isBinary ? (data as Buffer) : String(data));
    waiters.splice(0).forEach((w) => w());
  });
  return { session, peer, offered };
}

describe('binary dialects over a socket', () => {
  it('jambonz: offers audio.jambonz.org, sends the metadata then binary caller audio and paced silence', async () => {
    const clock = new ManualClock();
    const { session, peer, offered } = await open({ name: 'jb', protocol: 'jambonz', sampleRate: 16000, connectTimeoutMs: 2000 }, clock);
    expect(offered).toEqual(['audio.jambonz.org']);
    expect(peer.protocol).toBe('audio.jambonz.org');
    session.sendStart({ ...START, media: { ...START.media, sampleRate: 16000 } });
    session.sendAudio(l16Frame(1000, 320));
    await peer.waitFor(() => peer.frames.length >= 3);
    clock.advance(200);
    await peer.waitFor(() => peer.frames.length >= 6);
    expect(typeof peer.frames[0]).toBe('string');
    expect(JSON.parse(peer.frames[0] as string)).toMatchObject({ sampleRate: 16000, callSid: START.callId });
    const binaries = peer.frames.slice(1) as Buffer[];
    expect(binaries.every((b) => Buffer.isBuffer(b) && b.length === 640)).toBe(true);
    // The first media right behind the metadata (silence: the caller had sent nothing yet), then the caller's.
    expect(binaries[0]).toEqual(Buffer.alloc(640));
    expect(binaries[1]).toEqual(l16Frame(1000, 320));
    expect(binaries[2]).toEqual(Buffer.alloc(640));
  });

  it('vonage: binary bot audio reaches the media path; clear and notify are commands; no subprotocol is offered', async () => {
    const { session, peer, offered } = await open({ name: 'vn', protocol: 'vonage', sampleRate: 16000, connectTimeoutMs: 2000 }, new ManualClock());
    expect(offered).toEqual([]);
    const audio: Buffer[] = [];
    const commands: BotCommand[] = [];
    session.on('audio', (pcm) => audio.push(pcm));
    session.on('command', (c) => commands.push(c));
    session.sendStart({ ...START, media: { ...START.media, sampleRate: 16000 } });
    peer.socket.send(l16Frame(5, 640));
    peer.socket.send(JSON.stringify({ action: 'notify', payload: { n: 1 } }));
    peer.socket.send(JSON.stringify({ action: 'clear' }));
    await new Promise<void>((r) => session.on('command', () => commands.length === 2 && r()));
    expect(audio).toEqual([l16Frame(5, 640)]);
    expect(commands).toEqual([{ type: 'mark', name: expect.any(String) }, { type: 'clear' }]);
    session.sendEvent({ type: 'cleared', playedMs: 0 });
    const texts = () => peer.frames.filter((f) => typeof f === 'string');
    await peer.waitFor(() => texts().length >= 2);
    expect(texts().map((f) => JSON.parse(String(f)).event)).toEqual(['websocket:connected', 'websocket:cleared']);
  });
});

describe('dialect targets from config: the four newer dialects', () => {
  const cfg = parseConfig(`
bots:
  pl: { url: "wss://bots.example/plivo", protocol: plivo, parameters: { tenant: acme } }
  ex: { url: "wss://bots.example/exotel", protocol: exotel, sampleRate: 24000 }
  vn: { url: "wss://bots.example/vonage", protocol: vonage }
  jb: { url: "wss://bots.example/jambonz", protocol: jambonz, sampleRate: 16000 }
`);
  it.each([
    ['pl', { name: 'pl', url: 'wss://bots.example/plivo', sampleRate: 8000, headers: {}, connectTimeoutMs: 3000, protocol: 'plivo', parameters: { tenant: 'acme' }, link: DEFAULT_LINK }],
    ['ex', { name: 'ex', url: 'wss://bots.example/exotel', sampleRate: 24000, headers: {}, connectTimeoutMs: 3000, protocol: 'exotel', link: DEFAULT_LINK }],
    ['vn', { name: 'vn', url: 'wss://bots.example/vonage', sampleRate: 16000, headers: {}, connectTimeoutMs: 3000, protocol: 'vonage', link: DEFAULT_LINK }],
    ['jb', { name: 'jb', url: 'wss://bots.example/jambonz', sampleRate: 16000, headers: {}, connectTimeoutMs: 3000, protocol: 'jambonz', link: DEFAULT_LINK }],
  ])('%s: its dialect and rate', (name, expected) => {
    const target = botTargetFromConfig(name, cfg.bots[name]);
    expect(target).toEqual(expected);
    expect(structuredClone(target)).toEqual(target);
  });
});
