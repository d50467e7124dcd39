import { networkInterfaces } from 'node:os';
import { SystemClock, type Clock } from './core/clock.js';
import { createLogger, type Logger } from './core/logger.js';
import { fallbackFor, promptFiles, resolveJitterBuffer, type Config } from './config/index.js';
import { ConfigError } from './core/errors.js';
import { BridgeMetrics, MediaMetrics } from './metrics/index.js';
import { HostResolver, InboundRouter, TrunkCallLimiter } from './trunks/index.js';
import { DigestServer } from './sip/auth/digest-server.js';
import { botTargetFromConfig, connectBot, type BotTarget } from './bot/index.js';
import { RtpPortPool } from './media/index.js';
import { InProcessMediaEngine, checkPromptFiles, recordingsSettled } from './engine/index.js';
import { WorkerMediaEngine } from './engine/worker/worker-engine.js';
import { availableParallelism } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { buildOps } from './app-ops.js';
import { AppRecordings } from './app-recordings.js';
import { SipUserAgent } from './sip/ua/user-agent.js';
import { nodeDnsClient } from './sip/resolve/sip-resolver.js';
import { CallManager } from './calls/call-manager.js';
import type { CallObserver } from './calls/call-events.js';
import type { OutgoingCallRequest, PeerAddress } from './calls/signaling.js';
import type { InboundCallDeps, TransferContext } from './calls/inbound-call-handler.js';
import type { OutboundCallDeps } from './calls/outbound-call-handler.js';
import type { MediaEngine } from './calls/media-engine.js';
import type { TransferServices } from './calls/transfer.js';
import type { TransferPolicy } from './calls/transfer-target.js';
import type { OpsHttpServer } from './api/http-server.js';
import type { Registration } from './sip/ua/registration.js';
import { RegistrationMetrics } from './metrics/registration-metrics.js';
import { routeRegistered, type RegisteredExtension } from './trunks/registration-router.js';

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
    botLink: (event) => metrics.botLink(event),
    mediaQuality: (q) => metrics.mediaQuality(q),
    rtpTotals: (received, sent) => {
      metrics.rtpPacketReceived(received);
      metrics.rtpPacketSent(sent);
    },
  };
}

/** The SIP user agent from the `sip` section, reporting its traffic to metrics. */
function buildSip(config: Config, clock: Clock, logger: Logger, metrics: BridgeMetrics): SipUserAgent {
  const timers = config.sip.timers;
  return new SipUserAgent({
    clock,
    logger: logger.child({ layer: 'sip' }),
    traffic: {
      messageReceived: (method) => metrics.sipMessageReceived(method),
      malformedReceived: () => metrics.sipParseError(),
    },
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
    dns: nodeDnsClient(config.sip.dnsServers),
    ...(timers
      ? {
          timers: {
            ...(timers.t1Ms !== undefined ? { t1: timers.t1Ms } : {}),
            ...(timers.t2Ms !== undefined ? { t2: timers.t2Ms } : {}),
            ...(timers.t4Ms !== undefined ? { t4: timers.t4Ms } : {}),
          },
        }
      : {}),
  });
}

/** PBX registrations: the extensions they route to bots, and the PBXs that ext:/pbx: transfers dial through. */
interface RegistrationSet {
  registrations: Registration[];
  extensions: RegisteredExtension[];
  pbxByName: Map<string, NonNullable<TransferPolicy['pbx']>>;
}

function buildRegistrations(config: Config, sip: SipUserAgent, metrics: RegistrationMetrics): RegistrationSet {
  const set: RegistrationSet = { registrations: [], extensions: [], pbxByName: new Map() };
  for (const r of config.registrations) {
    const reg = sip.register({
      server: r.server,
      port: r.port,
      transport: r.transport,
      username: r.username,
      password: r.password,
      expires: r.expires,
      retryMs: r.retrySec * 1000,
      maxRetryMs: Math.max(r.retrySec, r.retryMaxSec) * 1000,
      ...(r.extension !== undefined ? { extension: r.extension } : {}),
      ...(r.domain !== undefined ? { domain: r.domain } : {}),
    });
    metrics.state(r.name, 'registering');
    reg.on('state', (state: string) => metrics.state(r.name, state));
    set.registrations.push(reg);
    set.extensions.push({ name: r.name, contactUser: reg.contactUser, bot: r.bot, registrarAddresses: reg.registrarAddresses });
    set.pbxByName.set(r.name, { host: r.server, port: r.port, transport: r.transport, credentials: { username: r.username, password: r.password } });
  }
  return set;
}

/** Where media is addressed: publicAddress, else the media bind address, else (wildcards) the first external IPv4. */
function mediaAddressOf(config: Config): { bindHost: string; advertised: string } {
  const listenHost = config.sip.listen[0]?.host ?? '0.0.0.0';
  const bindHost = config.media.host ?? listenHost;
  const advertised = config.media.publicAddress ?? config.sip.publicAddress ?? (WILDCARDS.has(bindHost) ? firstExternalIPv4() : bindHost);
  return { bindHost, advertised };
}

/** Everything call control needs, from the config and the layers built before it. */
function buildCallDeps(
  config: Config,
  parts: {
    clock: Clock;
    logger: Logger;
    metrics: BridgeMetrics;
    sip: SipUserAgent;
    router: InboundRouter;
    limiter: TrunkCallLimiter;
    regs: RegistrationSet;
    media: MediaEngine;
  },
): { inbound: InboundCallDeps; outbound: OutboundCallDeps } {
  const { clock, logger, metrics, sip, regs } = parts;
  const { advertised: mediaAddress } = mediaAddressOf(config);
  const media = parts.media;
  const targets = new Map<string, BotTarget>();
  for (const [name, bot] of Object.entries(config.bots)) targets.set(name, botTargetFromConfig(name, bot));
  const outboundTrunks = new Map(config.outboundTrunks.map((t) => [t.name, t] as const));
  const placeCall = (req: OutgoingCallRequest) => sip.placeCall(req);
  const transferAllow = new Map(config.inboundTrunks.map((t) => [t.name, t.transferAllow ?? []] as const));
  const firstPbx = regs.pbxByName.values().next().value;
  /** ext:/pbx: targets dial through the PBX the call came in on, else the first registration. */
  const pbxFor = (trunk: string | undefined) => {
    const pbx = (trunk !== undefined ? regs.pbxByName.get(trunk) : undefined) ?? firstPbx;
    return pbx ? { pbx } : {};
  };
  const shared = {
    clock,
    logger: logger.child({ layer: 'calls' }),
    observer: observerFor(metrics),
    media,
    mediaAddress,
    codecPreference: [...config.media.codecs],
    latching: config.media.latching,
    idleFill: config.media.idleFill,
  };
  const transfers = (ctx: TransferContext): TransferServices => ({
    ...shared,
    policy: {
      destinations: config.transferDestinations,
      outboundTrunk: (name) => outboundTrunks.get(name),
      allow: ctx.inboundTrunk !== undefined ? (transferAllow.get(ctx.inboundTrunk) ?? []) : [],
      ...pbxFor(ctx.inboundTrunk),
      viaPbx: ctx.inboundTrunk !== undefined && regs.pbxByName.has(ctx.inboundTrunk),
    },
    placeCall,
    advertisedHost: sip.advertisedHost('udp'),
    callerNumber: ctx.callerNumber,
    calledNumber: ctx.calledNumber,
    appSampleRate: ctx.appSampleRate,
  });
  const bots = {
    botTarget: (name: string): BotTarget => {
      const t = targets.get(name);
      // Config validation guarantees every routed bot exists; reaching this is a bug.
      if (!t) throw new Error(`bot "${name}" is not configured`);
      return t;
    },
    transfers,
  };
  const inbound: InboundCallDeps = {
    ...shared,
    ...bots,
    route: (req) => routeRegistered(req, regs.extensions) ?? parts.router.route(req),
    pstn: { ...shared, placeCall, outboundTrunk: (name) => outboundTrunks.get(name), advertisedHost: () => sip.advertisedHost('udp') },
    acquireTrunkSlot: (trunk) => parts.limiter.acquire(trunk),
    botFallback: (trunk, number) => fallbackFor(config, trunk, number),
    trunkMedia: (name) => {
      const t = config.inboundTrunks.find((tr) => tr.name === name);
      return t ? { ...(t.codecs ? { codecPreference: [...t.codecs] } : {}), jitterBuffer: resolveJitterBuffer(t), rtpTimeoutSec: t.rtpTimeoutSec, srtp: t.srtp } : {};
    },
  };
  const outbound: OutboundCallDeps = { ...shared, ...bots, findBot: (name) => targets.get(name), outboundTrunk: (name) => outboundTrunks.get(name), placeCall };
  return { inbound, outbound };
}

/**
 * Where calls' media runs: `media.workers` worker threads (default: one per CPU), or this thread with 0. Both
 * fit call control's MediaEngine port (the annotations below are the compile-time check).
 */
function buildMediaEngine(config: Config, clock: Clock, logger: Logger, metrics: BridgeMetrics, media: MediaMetrics, rec?: AppRecordings): InProcessMediaEngine | WorkerMediaEngine {
  const recording = rec?.settings ? { recordings: rec.settings, onRecording: rec.onRecording } : {};
  const { bindHost } = mediaAddressOf(config);
  const workers = config.media.workers ?? availableParallelism();
  if (workers === 0) {
    const engine: MediaEngine & InProcessMediaEngine = new InProcessMediaEngine({
      ports: new RtpPortPool({ min: config.media.rtpPortMin, max: config.media.rtpPortMax, host: bindHost, rtcp: true }),
      clock,
      connectBot: (target, ctx) => connectBot(target, { ...ctx, onFrameDropped: () => metrics.botFrameDropped() }),
      onSendLatencySample: (ms) => media.botToCaller([ms]),
      ...recording,
    });
    return engine;
  }
  const engine: MediaEngine & WorkerMediaEngine = new WorkerMediaEngine({
    workers,
    ports: { min: config.media.rtpPortMin, max: config.media.rtpPortMax, host: bindHost },
    logLevel: logger.level,
    logger: logger.child({ layer: 'media' }),
    onFramesDropped: (n) => metrics.botFrameDropped(n),
    onEventLoopDelay: (worker, ms) => media.eventLoopP99(worker, ms),
    onSamples: (samples) => media.samples(samples),
    onSendLatency: (samples) => media.botToCaller(samples),
    ...recording,
  });
  return engine;
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
  private readonly registrations: Registration[];
  private readonly media: InProcessMediaEngine | WorkerMediaEngine;
  private readonly mediaMetrics: MediaMetrics;
  /** Call recordings: `recording-ready` (file, paused spans) and `recording-failed` events. */
  readonly recordings: AppRecordings;
  private sampler: ReturnType<typeof setInterval> | undefined;
  private stopped = false;

  constructor(
    readonly config: Config,
    options: AppOptions = {},
  ) {
    this.clock = options.clock ?? new SystemClock();
    this.logger = options.logger ?? createLogger({ level: config.logging.level });
    // Prompt files are read now, so a missing or unplayable one fails the config, not a caller's fallback.
    const promptIssues = checkPromptFiles(promptFiles(config));
    if (promptIssues.length > 0) throw new ConfigError(promptIssues);
    this.sip = buildSip(config, this.clock, this.logger, this.metrics);
    const router = new InboundRouter(config.inboundTrunks, {
      botNames: Object.keys(config.bots),
      resolveHost: (name) => this.hosts.addressesOf(name),
      digest: new DigestServer({ clock: this.clock }),
    });
    this.hosts = new HostResolver(router.allowHostNames(), { clock: this.clock, logger: this.logger.child({ layer: 'trunks' }) });
    const limiter = new TrunkCallLimiter(
      new Map(config.inboundTrunks.flatMap((t) => (t.maxConcurrentCalls !== undefined ? [[t.name, t.maxConcurrentCalls] as const] : []))),
    );
    const regs = buildRegistrations(config, this.sip, new RegistrationMetrics(this.metrics.registry));
    this.registrations = regs.registrations;
    this.mediaMetrics = new MediaMetrics(this.metrics.registry);
    this.recordings = new AppRecordings(config, this.clock, this.logger.child({ layer: 'recordings' }), this.metrics.registry);
    this.media = buildMediaEngine(config, this.clock, this.logger, this.metrics, this.mediaMetrics, this.recordings);
    const deps = buildCallDeps(config, { clock: this.clock, logger: this.logger, metrics: this.metrics, sip: this.sip, router, limiter, regs, media: this.media });
    deps.inbound.recordingPolicy = (trunk, number, bot) => this.recordings.policy(trunk, number, bot);
    deps.outbound.recordingPolicy = deps.inbound.recordingPolicy;
    this.calls = new CallManager(this.sip, deps.inbound, this.logger.child({ layer: 'calls' }));
    this.calls.attach();
    this.calls.enableOutbound(deps.outbound);
    this.ops = buildOps(config, this.logger, this.metrics, this.calls, () => this.stopped, this.media, this.recordings.routes(this.calls));
  }

  /** Binds every listener. Rejects (and releases what was bound) if any port is taken. */
  async start(): Promise<void> {
    try {
      let metrics: { host: string; port: number } | undefined;
      if (this.ops) {
        const addr = await this.ops.listen(this.config.metrics.host, this.config.metrics.port);
        metrics = { host: addr.address, port: addr.port };
        this.logger.info(metrics, 'metrics listening');
      }
      // Media workers are up before the first call can arrive.
      if (this.media instanceof WorkerMediaEngine) await this.media.start();
      this.startSampling();
      this.recordings.start();
      // Allow-list host names are resolved before the first call can arrive.
      await this.hosts.start();
      await this.sip.start();
      for (const r of this.registrations) r.start();
      // One line once every listener is bound: what operators and the test harness wait for. It carries the
      // ports actually bound (a port 0 in the config is the kernel's pick) and the RTP range calls take from.
      const rtp = { min: this.config.media.rtpPortMin, max: this.config.media.rtpPortMax };
      const workers = this.media instanceof WorkerMediaEngine ? this.media.callsPerWorker.length : 0;
      this.logger.info({ sip: this.sip.boundAddresses(), ...(metrics ? { metrics } : {}), rtp, mediaWorkers: workers }, 'trunkbridge ready');
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

  /**
   * Once a second: this thread's event-loop delay, and (media in this thread) the live legs' jitter-buffer delay
   * and playout depth. Media workers report their own.
   */
  private startSampling(): void {
    const loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();
    this.sampler = setInterval(() => {
      this.mediaMetrics.eventLoopP99('main', loop.percentile(99) / 1e6);
      loop.reset();
      if (this.media instanceof InProcessMediaEngine) this.mediaMetrics.samples(this.media.samples());
    }, 1000);
    this.sampler.unref();
  }

  /** Hangs up every call, then closes listeners. Safe to call twice. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.sampler) clearInterval(this.sampler);
    this.recordings.stop();
    await this.calls.shutdown();
    // Media here (workers: 0): the recordings of the calls just ended go in place before the process exits.
    if (this.media instanceof InProcessMediaEngine) await recordingsSettled(this.clock, 3000);
    this.hosts.stop();
    for (const r of this.registrations) r.stop();
    // Let the un-REGISTERs leave before the sockets close.
    if (this.registrations.length > 0) await new Promise((r) => setTimeout(r, 20));
    await this.sip.stop();
    await this.ops?.close();
    if (this.media instanceof WorkerMediaEngine) await this.media.stop();
  }
}
