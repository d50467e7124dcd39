import { SystemClock, type Clock } from './core/clock.js';
import { loopDelayP99Ms, startLoopDelayMonitor } from './core/loop-delay.js';
import { createLogger, type Logger } from './core/logger.js';
import { promptFiles, type Config } from './config/index.js';
import { ConfigError } from './core/errors.js';
import { BridgeMetrics, MediaMetrics, RecordsMetrics, SecurityMetrics } from './metrics/index.js';
import { buildSecurity } from './app/security.js';
import { HostResolver, InboundRouter, OutboundRateCap, TransferCap, TrunkCallLimiter, type AuthFailureGuard } from './trunks/index.js';
import { DigestServer } from './sip/auth/digest-server.js';
import { InProcessMediaEngine, checkPromptFiles } from './engine/index.js';
import { WorkerMediaEngine } from './engine/worker/worker-engine.js';
import { buildOps } from './app/ops.js';
import { AppRecordings, settleRecordings } from './app/recordings.js';
import { SipUserAgent } from './sip/ua/user-agent.js';
import { CallManager } from './calls/call-manager.js';
import type { PeerAddress } from './calls/signaling.js';
import type { OpsHttpServer } from './api/http-server.js';
import { RegistrationMetrics } from './metrics/registration-metrics.js';
import { RegistrationPool } from './app/registrations.js';
import { buildLeases } from './app/leases.js';
import type { LeaseStore } from './store/leases.js';
import type { LiveConfiguration } from './app/config.js';
import type { ConfigSnapshot } from './config/index.js';
import type { AdminControl } from './api/admin/index.js';
import { buildCallRecords } from './app/records.js';
import { IdleMemoryReclaimer, compactingGc } from './core/idle-memory.js';
import type { CallRecords } from './records/index.js';
import { ClusterCalls } from './app/cluster.js';

export interface AppOptions {
  clock?: Clock;
  logger?: Logger;
  /**
   * The live configuration (store, admin API, reload). Without it the app runs `config` as given: no admin
   * routes for configuration, no reload.
   */
  live?: LiveConfiguration;
  /** Registration leases (default: from `store`, else this node holds them all). */
  leases?: LeaseStore;
}

import { buildCallDeps, buildMediaEngine, buildSip, limitsOf, type Routing } from './app/parts.js';

/**
 * The composition root: builds every layer from a validated config and starts them in order
 * (metrics HTTP, SIP listeners). Nothing else in src/ reads config as a whole. With a live configuration, each
 * new snapshot rebuilds routing; a call keeps the routing (bots, trunks, fallbacks) it started with.
 */
export class TrunkbridgeApp {
  readonly logger: Logger;
  readonly metrics: BridgeMetrics;
  private readonly clock: Clock;
  private readonly sip: SipUserAgent;
  private routing: Routing;
  private readonly calls: CallManager;
  private readonly ops: OpsHttpServer | undefined;
  private readonly api: OpsHttpServer | undefined;
  private readonly registrations: RegistrationPool;
  /** Who runs each registration: this node alone, or the one holding its lease in the shared store. */
  private readonly leases: LeaseStore;
  private readonly limiter: TrunkCallLimiter;
  /** Cluster-wide call control (`store`); undefined for a single node. */
  private readonly cluster: ClusterCalls | undefined;
  private readonly digest: DigestServer;
  private readonly securityMetrics: SecurityMetrics;
  private readonly lockout: AuthFailureGuard | undefined;
  private readonly transferCap: TransferCap;
  private readonly media: InProcessMediaEngine | WorkerMediaEngine;
  private readonly mediaMetrics: MediaMetrics;
  /** Call recordings: `recording-ready` (file, paused spans) and `recording-failed` events. */
  readonly recordings: AppRecordings;
  /** CDRs and webhooks; the recorder reports to its RecordingHooks. Undefined when not configured. */
  readonly records: CallRecords | undefined;
  private sampler: ReturnType<typeof setInterval> | undefined;
  private readonly reclaimer: IdleMemoryReclaimer;
  private started = false;
  private stopped = false;
  private stopping: Promise<void> | undefined;
  /** Every listener bound (start() finished). */
  private listening = false;
  /** Extra /readyz checks (e.g. the store being open), by name. */
  private readonly readinessChecks = new Map<string, () => boolean>();

  constructor(
    readonly config: Config,
    options: AppOptions = {},
  ) {
    this.clock = options.clock ?? new SystemClock();
    this.metrics = new BridgeMetrics({ labelLimit: config.metrics.labelLimit });
    this.logger = options.logger ?? createLogger({ level: config.logging.level });
    // Prompt files are read now, so a missing or unplayable one fails the config, not a caller's fallback.
    const promptIssues = checkPromptFiles(promptFiles(config));
    if (promptIssues.length > 0) throw new ConfigError(promptIssues);
    // The guards ask routing and registrations about sources; both are built just below (and follow the live configuration).
    const securityMetrics = new SecurityMetrics(this.metrics.registry);
    this.securityMetrics = securityMetrics;
    const security = buildSecurity(config, {
      clock: this.clock,
      logger: this.logger,
      metrics: securityMetrics,
      sources: {
        trunksForSource: (address) => this.routing?.router.trunksForSource(address) ?? [],
        registrarAddresses: () => (this.registrations?.set.extensions ?? []).map((e) => e.registrarAddresses),
        openToAll: () => (this.routing?.config ?? config).inboundTrunks.some((t) => t.allow.length === 0 && t.credentials.length > 0),
      },
    });
    this.lockout = security.lockout;
    this.sip = buildSip(config, this.clock, this.logger, this.metrics, security.sip);
    // One digest server across snapshots: a nonce issued before a change is still good after it.
    this.digest = new DigestServer({ clock: this.clock });
    this.limiter = new TrunkCallLimiter(limitsOf(config), config.sip.security.maxConcurrentCalls);
    this.cluster = ClusterCalls.fromConfig(config, this.clock, this.logger);
    const cluster = this.cluster;
    if (cluster) this.addReadinessCheck('store', () => cluster.healthy);
    // Toll-fraud caps live as long as the process: a new snapshot must not reset what is counted.
    this.transferCap = new TransferCap(config.sip.security.tollFraud.maxConcurrentTransfersPerTrunk);
    const outboundCap = new OutboundRateCap(config.sip.security.tollFraud.outboundCallsPerMinutePerTrunk, this.clock);
    this.leases = options.leases ?? buildLeases(config, this.clock);
    const regLogger = this.logger.child({ layer: 'registrations' });
    this.registrations = new RegistrationPool({ sip: this.sip, metrics: new RegistrationMetrics(this.metrics.registry), leases: this.leases, clock: this.clock, logger: regLogger });
    this.registrations.sync(config.registrations);
    this.mediaMetrics = new MediaMetrics(this.metrics.registry);
    this.recordings = new AppRecordings(config, this.clock, this.logger.child({ layer: 'recordings' }), this.metrics.registry);
    this.media = buildMediaEngine(config, this.clock, this.logger, this.metrics, this.mediaMetrics, this.recordings);
    this.records = buildCallRecords(config, this.clock, this.logger, new RecordsMetrics(this.metrics.registry));
    if (this.records) this.recordings.reportTo(this.records);
    this.routing = this.buildRouting(config, options.live?.current.revision ?? 0);
    this.calls = new CallManager(this.sip, () => this.routing.inbound, this.logger.child({ layer: 'calls' }));
    // Completed transactions outlive their call by 64*T1 (Timer D: at least 32 s): reclaim once they are gone.
    const transactionLifeMs = Math.max(64 * (config.sip.timers?.t1Ms ?? 500), 32_000);
    this.reclaimer = new IdleMemoryReclaimer({ clock: this.clock, logger: this.logger, quietMs: transactionLifeMs + 5000, collect: compactingGc() });
    this.calls.attach();
    this.calls.enableOutbound(() => ({ ...this.routing.outbound, admitOutboundCall: (trunk: string) => outboundCap.take(trunk) }));
    const live = options.live;
    live?.onChange((next) => this.applySnapshot(next));
    const servers = buildOps(config, this.logger, this.metrics, this.calls, () => this.calls.isDraining || this.stopped, this.media, () => this.readiness(), live ? this.adminControl(live) : undefined, this.records, () => this.sip.boundAddresses(), this.recordings.routes(this.calls), this.cluster, { clock: this.clock, registrations: this.registrations });
    this.ops = servers.ops;
    this.api = servers.api;
  }

  /** Routing for new calls from one configuration (its allow-list host names resolved by start or apply). */
  private buildRouting(config: Config, revision: number): Routing {
    let hosts: HostResolver | undefined;
    const router = new InboundRouter(config.inboundTrunks, {
      botNames: Object.keys(config.bots),
      resolveHost: (name) => hosts?.addressesOf(name) ?? [],
      digest: this.digest,
      ...(this.lockout ? { lockout: this.lockout } : {}),
      authenticated: (source) => this.sip.trustPeer(source),
    });
    hosts = new HostResolver(router.allowHostNames(), { clock: this.clock, logger: this.logger.child({ layer: 'trunks' }) });
    const parts = {
      clock: this.clock, logger: this.logger, metrics: this.metrics, sip: this.sip, router, limiter: this.limiter,
      ...(this.cluster ? { clusterSlot: (trunk: string, callId: string) => this.cluster!.acquire(trunk, callId, this.limiter) } : {}),
      regs: this.registrations.set, media: this.media, security: this.securityMetrics, transferCap: this.transferCap, records: this.records,
      recordings: this.recordings,
    };
    return { revision, config, router, hosts, ...buildCallDeps(config, parts) };
  }

  /** A new configuration: limits, registrations, then routing for the next call (calls in progress keep theirs). */
  private async applySnapshot(next: ConfigSnapshot): Promise<void> {
    this.limiter.setLimits(limitsOf(next.config));
    this.registrations.sync(next.config.registrations);
    const routing = this.buildRouting(next.config, next.revision);
    // Allow-list host names resolve before the routing takes its first call.
    if (this.started && !this.stopped) await routing.hosts.start();
    const old = this.routing;
    this.routing = routing;
    old.hosts.stop();
    if (this.stopped) routing.hosts.stop();
    this.logger.info({ revision: next.revision }, 'configuration applied: new calls use it');
  }

  /** The admin API's view of the live configuration and the registrations. */
  private adminControl(live: LiveConfiguration): AdminControl {
    return {
      current: () => live.current,
      update: (change, ifRevision) => live.update(change, ifRevision),
      reload: () => live.reload(),
      registrationState: (name) => this.registrations.state(name),
      refreshRegistration: (name) => this.registrations.refresh(name),
      registrationHolder: (name) => this.registrations.holder(name),
    };
  }

  /** Binds every listener. Rejects (and releases what was bound) if any port is taken. */
  async start(): Promise<void> {
    try {
      let metrics: { host: string; port: number } | undefined;
      let api: { host: string; port: number } | undefined;
      if (this.ops) {
        const addr = await this.ops.listen(this.config.metrics.host, this.config.metrics.port);
        metrics = { host: addr.address, port: addr.port };
        this.logger.info(metrics, 'metrics listening');
      }
      if (this.api && this.config.api.listen) {
        const addr = await this.api.listen(this.config.api.listen.host, this.config.api.listen.port);
        api = { host: addr.address, port: addr.port };
        this.logger.info(api, 'API listening');
      }
      // Media workers are up before the first call can arrive.
      if (this.media instanceof WorkerMediaEngine) await this.media.start();
      this.startSampling();
      this.recordings.start();
      // Spooled webhook events from before a restart are queued before any new call's.
      await this.records?.start();
      // Allow-list host names are resolved before the first call can arrive.
      await this.routing.hosts.start();
      // In a cluster this node is registered before it can own a call.
      await this.cluster?.open(this.calls);
      await this.sip.start();
      this.started = true;
      this.registrations.start();
      // One line once every listener is bound: what operators and the test harness wait for. It carries the
      // ports actually bound (a port 0 in the config is the kernel's pick) and the RTP range calls take from.
      const rtp = { min: this.config.media.rtpPortMin, max: this.config.media.rtpPortMax };
      const workers = this.media instanceof WorkerMediaEngine ? this.media.callsPerWorker.length : 0;
      this.listening = true;
      this.logger.info({ sip: this.sip.boundAddresses(), ...(metrics ? { metrics } : {}), ...(api ? { api } : {}), rtp, mediaWorkers: workers }, 'trunkbridge ready');
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
   * and playout depth (media workers report their own); the idle heap compaction after the last calls.
   */
  private startSampling(): void {
    const loop = startLoopDelayMonitor();
    this.sampler = setInterval(() => {
      this.mediaMetrics.eventLoopP99('main', loopDelayP99Ms(loop));
      loop.reset();
      if (this.media instanceof InProcessMediaEngine) this.mediaMetrics.samples(this.media.samples());
      this.reclaimer.sample(this.calls.activeCount + this.calls.settingUpCount > 0);
    }, 1000);
    this.sampler.unref();
  }

  /** Adds a named /readyz check (a store being open...): the bridge is ready only while every check holds. */
  addReadinessCheck(name: string, check: () => boolean): void {
    this.readinessChecks.set(name, check);
  }

  /** What /readyz answers: listeners bound, not draining, and every added check. */
  readiness(): { ready: boolean; checks: Record<string, boolean> } {
    const checks: Record<string, boolean> = { listening: this.listening && !this.stopped, notDraining: !this.calls.isDraining && !this.stopped };
    for (const [name, check] of this.readinessChecks) checks[name] = check();
    return { ready: Object.values(checks).every(Boolean), checks };
  }

  /**
   * Graceful stop (SIGTERM/SIGINT): new INVITEs get 503 with Retry-After and OPTIONS 503 (a dispatcher in front
   * stops sending), /readyz turns 503; calls in progress go on for up to `lifecycle.drainTimeoutSec`, then the
   * rest end with BYE (bot `stop` reason `shutdown`) and every listener closes. {@link stop} during a drain
   * ends it at once.
   */
  async drain(): Promise<void> {
    const { drainTimeoutSec, retryAfterSec } = this.config.lifecycle;
    this.sip.outOfService(retryAfterSec);
    // A draining node answers new INVITEs 503: its registrations move to another node now, not at its exit.
    if (this.leases.shared) await this.registrations.stop();
    const remaining = await this.calls.drain(drainTimeoutSec * 1000, retryAfterSec);
    if (remaining > 0 && !this.stopped) this.logger.info({ remaining, drainTimeoutSec }, 'drain timeout: ending the calls still up');
    await this.stop();
  }

  /** Hangs up every call, then closes listeners. Safe to call twice (the second call waits for the first). */
  stop(): Promise<void> {
    this.stopping ??= this.stopNow();
    return this.stopping;
  }

  private async stopNow(): Promise<void> {
    this.stopped = true;
    if (this.sampler) clearInterval(this.sampler);
    this.recordings.stop();
    await this.calls.shutdown();
    // Its calls are over: this node's rows leave the shared registry.
    await this.cluster?.close();
    // The recordings of the calls just ended go in place (their records take the files) before the records close.
    await settleRecordings(this.media, this.clock);
    // The calls just ended have their records: written (and spooled) before the process goes.
    await this.records?.close();
    this.routing.hosts.stop();
    const registered = this.registrations.size > 0;
    // Un-REGISTERs sent and leases released (another node takes them at once).
    await this.registrations.stop();
    await this.leases.close();
    // Let the un-REGISTERs leave before the sockets close.
    if (registered) await new Promise((r) => setTimeout(r, 20));
    await this.sip.stop();
    await this.ops?.close();
    await this.api?.close();
    if (this.media instanceof WorkerMediaEngine) await this.media.stop();
  }
}
