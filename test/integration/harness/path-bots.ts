/**
 * Real `ws` bots for the lifecycle tests, one behaviour per URL path: each upgrade can be refused (an HTTP status),
 * delayed or taken, and checked (a signature), and every connection is recorded per path.
 */
import type { AddressInfo } from 'node:net';
import type { IncomingMessage } from 'node:http';
import { WebSocketServer } from 'ws';
import { BotConnection } from './test-bot.js';

/** What the bot server does with an upgrade to a path: refuse it (HTTP status), delay it, or take it. */
export type Upgrade = { refuse: number } | { delayMs: number } | 'accept';

/** Real `ws` bots on loopback, one behaviour per URL path; every connection is recorded per path. */
export class PathBots {
  readonly byPath = new Map<string, BotConnection[]>();
  readonly upgrades: Array<{ path: string; headers: IncomingMessage['headers'] }> = [];
  upgrade: (path: string, n: number) => Upgrade = () => 'accept';
  behaviour: (path: string, c: BotConnection, n: number) => void = () => {};
  verify: ((headers: IncomingMessage['headers'], path: string) => boolean) | undefined;
  private constructor(private readonly wss: WebSocketServer, readonly base: string) {}

  static async start(): Promise<PathBots> {
    let bots!: PathBots;
    const wss = new WebSocketServer({
      host: '127.0.0.1',
      port: 0,
      perMessageDeflate: false,
      verifyClient: (info, done) => {
        const path = info.req.url ?? '';
        bots.upgrades.push({ path, headers: info.req.headers });
        if (path === '/refuse') return done(false, 503); // the bot that is always down
        if (bots.verify && !bots.verify(info.req.headers, path)) return done(false, 401);
        const u = bots.upgrade(path, bots.upgrades.filter((x) => x.path === path).length);
        if (u === 'accept') return done(true);
        if ('refuse' in u) return done(false, u.refuse);
        setTimeout(() => done(true), u.delayMs);
      },
    });
    await new Promise<void>((r) => wss.once('listening', () => r()));
    bots = new PathBots(wss, `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`);
    wss.on('connection', (ws, req) => {
      const path = req.url ?? '';
      const list = bots.byPath.get(path) ?? [];
      bots.byPath.set(path, list);
      const c = new BotConnection(ws, req.headers);
      list.push(c);
      bots.behaviour(path, c, list.length);
    });
    return bots;
  }

  conns(path: string): BotConnection[] {
    return this.byPath.get(path) ?? [];
  }

  async close(): Promise<void> {
    for (const c of this.wss.clients) c.terminate();
    await new Promise<void>((r) => this.wss.close(() => r()));
  }
}
