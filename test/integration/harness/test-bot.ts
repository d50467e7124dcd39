import { WebSocketServer, type WebSocket } from 'ws';
import type { AddressInfo } from 'node:net';

/** What one bot connection saw: the bridge's JSON events and the PCM frames in arrival order. */
export class BotConnection {
  readonly events: Array<Record<string, unknown>> = [];
  readonly frames: Buffer[] = [];
  readonly headers: Record<string, string | string[] | undefined>;
  closeCode: number | undefined;
  private waiters: Array<() => void> = [];

  constructor(
    readonly ws: WebSocket,
    headers: Record<string, string | string[] | undefined>,
  ) {
    this.headers = headers;
    ws.on('message', (data, isBinary) => {
      if (isBinary) this.frames.push(Buffer.from(data as Buffer));
      else this.events.push(JSON.parse(String(data)) as Record<string, unknown>);
      this.wake();
    });
    ws.on('close', (code) => {
      this.closeCode = code;
      this.wake();
    });
  }

  sendJson(msg: unknown): void {
    this.ws.send(JSON.stringify(msg));
  }

  sendPcm(pcm: Buffer): void {
    this.ws.send(pcm, { binary: true });
  }

  /** Waits until `pred` holds (re-checked on every message). */
  async until(pred: () => boolean, timeoutMs = 15_000, what = 'condition'): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pred()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`test bot: timed out waiting for ${what}; events: ${JSON.stringify(this.events)}`);
      await new Promise<void>((res) => {
        const t = setTimeout(res, Math.min(left, 200));
        this.waiters.push(() => {
          clearTimeout(t);
          res();
        });
      });
    }
  }

  event(type: string): Record<string, unknown> | undefined {
    return this.events.find((e) => e.type === type);
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
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

  async nextConnection(timeoutMs = 15_000): Promise<BotConnection> {
    const deadline = Date.now() + timeoutMs;
    while (this.connections.length === 0) {
      if (Date.now() > deadline) throw new Error('test bot: no connection from the bridge');
      await new Promise((r) => setTimeout(r, 20));
    }
    return this.connections[0];
  }

  async close(): Promise<void> {
    for (const c of this.wss.clients) c.terminate();
    await new Promise<void>((res) => this.wss.close(() => res()));
  }
}
