import { networkInterfaces } from 'node:os';
import { SystemClock, type Clock } from './core/clock.js';
import { createLogger, type Logger } from './core/logger.js';
import type { Config } from './config/index.js';
import { BridgeMetrics } from './metrics/index.js';
import { HostResolver, InboundRouter, TrunkCallLimiter } from './trunks/index.js';
import { DigestServer } from './sip/auth/digest-server.js';
import { botTargetFromConfig, connectBot, type BotTarget } from './bot/index.js';
import { RtpPortPool } from './media/index.js';
import { SipUserAgent } from './sip/ua/user-agent.js';
import { CallManager } from './calls/call-manager.js';
import type { CallObserver } from './calls/call-events.js';
import type { PeerAddress } from './calls/signaling.js';
import { OpsHttpServer } from './api/http-server.js';

export interface AppOptions {
  clock?: Clock;
  logger?: Logger;
}

const WILDCARDS = new Set(['0.0.0.0', '::', '']);

/** First non-internal IPv4 address: what a wildcard listener advertises when no publicAddress is set. */
function firstExternalIPv4(): string {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}

/** Bridges metrics to the narrow observer call control reports to. */
function observerFor(metrics: BridgeMetrics): CallObserver {
  return {
    callAnswered: (direction) => metrics.callAnswered(direction),
    callRejected: (direction, status) => metrics.callRejected(direction, status),
    callEnded: (direction, reason, seconds) => metrics.callEnded(direction, reason, seconds),
    botConnected: (seconds) => metrics.botConnected(seconds),
    botConnectFailed: () => metrics.botConnectFailed(),
    botProtocolError: () => metrics.botProtocolErrors.inc(),
    mediaQuality: (q) => metrics.mediaQuality(q),
  };
}

/**
 * The composition root: builds every layer from a validated config and starts them in order
 * (metrics HTTP, SIP listeners). Nothing else in src/ reads config as a whole.
 */
export class TrunkbridgeApp {
  readonly logger: Logger;
  readonly metrics = new BridgeMetrics();
  private readonly clock: Clock;
  private readonly sip: SipUserAgent;
  private readonly hosts: HostResolver;
  private readonly calls: CallManager;
  private readonly ops: OpsHttpServer | undefined;
  private stopped = false;

  constructor(
    readonly config: Config,
    options: AppOptions = {},
  ) {
    this.clock = options.clock ?? new SystemClock();
    this.logger = options.logger ?? createLogger({ level: config.logging.level });
    const listenHost = config.sip.listen[0]?.host ?? '0.0.0.0';
    const mediaHost = config.media.host ?? listenHost;
    const mediaAddress =
      config.media.publicAddress ?? config.sip.publicAddress ?? (WILDCARDS.has(mediaHost) ? firstExternalIPv4() : mediaHost);

    this.sip = new SipUserAgent({
      clock: this.clock,
      logger: this.logger.child({ layer: 'sip' }),
      listen: config.sip.listen.map((l) => ({
        transport: l.transport,
        host: l.host,
        port: l.port,
        ...(l.certFile !== undefined ? { certFile: l.certFile } : {}),
        ...(l.keyFile !== undefined ? { keyFile: l.keyFile } : {}),
        idleTimeoutMs: l.idleTimeoutSec * 1000,
        maxConnectionsPerSource: l.maxConnectionsPerSource,
      })),
      publicAddress: config.sip.publicAddress,
      userAgent: config.sip.userAgent,
    });
    const router = new InboundRouter(config.inboundTrunks, {
      botNames: Object.keys(config.bots),
      resolveHost: (name) => this.hosts.addressesOf(name),
      digest: new DigestServer({ clock: this.clock }),
    });
    this.hosts = new HostResolver(router.allowHostNames(), { clock: this.clock, logger: this.logger.child({ layer: 'trunks' }) });
    const limiter = new TrunkCallLimiter(
      new Map(config.inboundTrunks.flatMap((t) => (t.maxConcurrentCalls !== undefined ? [[t.name, t.maxConcurrentCalls] as const] : []))),
    );
    const ports = new RtpPortPool({ min: config.media.rtpPortMin, max: config.media.rtpPortMax, host: mediaHost, rtcp: true });
    const targets = new Map<string, BotTarget>();
    for (const [name, bot] of Object.entries(config.bots)) targets.set(name, botTargetFromConfig(name, bot));

    this.calls = new CallManager(
      this.sip,
      {
        clock: this.clock,
        logger: this.logger.child({ layer: 'calls' }),
        observer: observerFor(this.metrics),
        route: (req) => router.route(req),
        botTarget: (name) => {
          const t = targets.get(name);
          // Config validation guarantees every routed bot exists; reaching this is a bug.
          if (!t) throw new Error(`bot "${name}" is not configured`);
          return t;
        },
        connectBot: (target, ctx) => connectBot(target, { ...ctx, onFrameDropped: () => this.metrics.botFrameDropped() }),
        allocateRtp: () => ports.allocate(),
        mediaAddress,
        codecPreference: [...config.media.codecs],
        idleFill: config.media.idleFill,
        latching: config.media.latching,
        acquireTrunkSlot: (trunk) => limiter.acquire(trunk),
        trunkMedia: (name) => {
          const t = config.inboundTrunks.find((tr) => tr.name === name);
          return t
            ? { ...(t.codecs ? { codecPreference: [...t.codecs] } : {}), jitterBufferMs: t.jitterBufferMs, rtpTimeoutSec: t.rtpTimeoutSec, srtp: t.srtp }
            : {};
        },
      },
      this.logger.child({ layer: 'calls' }),
    );
    this.calls.attach();
    if (config.metrics.enabled) {
      this.ops = new OpsHttpServer(
        {
          metricsText: () => this.metrics.metricsText(),
          metricsContentType: this.metrics.registry.contentType,
          health: () => ({ status: this.stopped ? 'draining' : 'ok', activeCalls: this.calls.activeCount }),
        },
        this.logger.child({ layer: 'api' }),
      );
    }
  }

  /** Binds every listener. Rejects (and releases what was bound) if any port is taken. */
  async start(): Promise<void> {
    try {
      if (this.ops) {
        const addr = await this.ops.listen(this.config.metrics.host, this.config.metrics.port);
        this.logger.info({ host: addr.address, port: addr.port }, 'metrics listening');
      }
      // Allow-list host names are resolved before the first call can arrive.
      await this.hosts.start();
      await this.sip.start();
      for (const a of this.sip.boundAddresses()) this.logger.info(a, 'SIP listening');
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  sipAddresses(): PeerAddress[] {
    return this.sip.boundAddresses();
  }

  get activeCalls(): number {
    return this.calls.activeCount;
  }

  /** Hangs up every call, then closes listeners. Safe to call twice. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.calls.shutdown();
    this.hosts.stop();
    await this.sip.stop();
    await this.ops?.close();
  }
}
