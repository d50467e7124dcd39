import { WebSocketServer, type WebSocket } from 'ws';
import type { AddressInfo } from 'node:net';
import { waitFor } from '../../helpers/wait-for.js';

/** What one bot connection saw: the bridge's JSON events and the PCM frames in arrival order. */
export class BotConnection {
  readonly events: Array<Record<string, unknown>> = [];
  readonly frames: Buffer[] = [];
  readonly headers: Record<string, string | string[] | undefined>;
  closeCode: number | undefined;

  constructor(
    readonly ws: WebSocket,
    headers: Record<string, string | string[] | undefined>,
  ) {
    this.headers = headers;
    ws.on('message', (data, isBinary) => {
      if (isBinary) this.frames.push(Buffer.from(data as Buffer));
      else this.events.push(JSON.parse(String(data)) as Record<string, unknown>);
    });
    ws.on('close', (code) => {
      this.closeCode = code;
    });
  }

  sendJson(msg: unknown): void {
    this.ws.send(JSON.stringify(msg));
  }

  sendPcm(pcm: Buffer): void {
    this.ws.send(pcm, { binary: true });
  }

  /** Waits until `pred` holds (re-checked every 20 ms). */
  async until(pred: () => boolean, timeoutMs = 15_000, what = 'condition'): Promise<void> {
    await waitFor(pred, { timeoutMs, what: `test bot: ${what}`, detail: () => `events: ${JSON.stringify(this.events)}` });
  }

  event(type: string): Record<string, unknown> | undefined {
    return this.events.find((e) => e.type === type);
  }
}

/** A real `ws` bot server on 127.0.0.1 standing in for a voice bot. */
export class TestBotServer {
  readonly connections: BotConnection[] = [];
  private constructor(
    private readonly wss: WebSocketServer,
    readonly url: string,
  ) {}

  static async start(onConnection?: (c: BotConnection) => void): Promise<TestBotServer> {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
    await new Promise<void>((res) => wss.once('listening', () => res()));
    const { port } = wss.address() as AddressInfo;
    const server = new TestBotServer(wss, `ws://127.0.0.1:${port}/stream`);
    wss.on('connection', (ws, req) => {
      const c = new BotConnection(ws, req.headers);
      server.connections.push(c);
      onConnection?.(c);
    });
    return server;
  }

  /** The first connection from the bridge (already made or future). */
  async nextConnection(timeoutMs = 15_000): Promise<BotConnection> {
    return waitFor(() => this.connections[0], { timeoutMs, what: 'test bot: a connection from the bridge' });
  }

  /**
   * The first connection once it has its first message: the bridge's `start` may reach the bot a moment after
   * the HTTP answer or SIP response a test waited for (media and the bot socket may run on another thread).
   */
  async firstStarted(timeoutMs = 15_000): Promise<BotConnection> {
    const c = await this.nextConnection(timeoutMs);
    await c.until(() => c.events.length > 0, timeoutMs, 'first message');
    return c;
  }

  /** Waits until the bridge has opened `count` connections in all. */
  async connectionCount(count: number, timeoutMs = 15_000): Promise<void> {
    await waitFor(() => this.connections.length >= count, { timeoutMs, what: `test bot: ${count} connections from the bridge` });
  }

  async close(): Promise<void> {
    for (const c of this.wss.clients) c.terminate();
    await new Promise<void>((res) => this.wss.close(() => res()));
  }
}
