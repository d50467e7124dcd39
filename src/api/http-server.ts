import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../core/logger.js';

/** What the operations endpoints read; kept narrow so the server knows nothing of calls or SIP. */
export interface OpsSource {
  metricsText(): Promise<string>;
  metricsContentType: string;
  health(): { status: 'ok' | 'draining'; activeCalls: number };
  /** Whether new calls should be sent here, and each check behind the answer. */
  readiness(): { ready: boolean; checks: Record<string, boolean> };
}

/**
 * The operations HTTP server: `GET /metrics` (Prometheus text), `GET /healthz` (200 while the process serves
 * HTTP at all: a liveness probe) and `GET /readyz` (200 only while listeners are bound and the bridge is not
 * draining: a readiness probe, 503 otherwise), plus the routes it is given (/v1 APIs).
 */
export class OpsHttpServer {
  private server: Server | undefined;

  constructor(
    private readonly source: OpsSource,
    private readonly logger: Logger,
    /** Extra routes (the /v1 calls API): returns true when it answered the request. */
    private readonly routes?: (req: IncomingMessage, res: ServerResponse) => Promise<boolean>,
  ) {}

  async listen(host: string, port: number): Promise<AddressInfo> {
    const server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        this.logger.error({ err, url: req.url }, 'ops request failed');
        if (!res.headersSent) res.writeHead(500).end('internal error\n');
      });
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    return server.address() as AddressInfo;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (this.routes && (await this.routes(req, res))) return;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/metrics') {
      const body = await this.source.metricsText();
      res.writeHead(200, { 'Content-Type': this.source.metricsContentType }).end(body);
      return;
    }
    if (path === '/healthz') {
      // Liveness: a draining bridge is alive (restarting it would cut the calls it is finishing).
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(this.source.health()));
      return;
    }
    if (path === '/readyz') {
      const r = this.source.readiness();
      res.writeHead(r.ready ? 200 : 503, { 'Content-Type': 'application/json' }).end(JSON.stringify({ status: r.ready ? 'ready' : 'not-ready', checks: r.checks }));
      return;
    }
    res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
  }
}
