/**
 * The composition root's builders (part of it, layer "app"): SIP, the media engine, and the call deps each
 * configuration snapshot gives new calls. Split from app.ts, which keeps the TrunkbridgeApp lifecycle.
 */
import { networkInterfaces } from 'node:os';
import { type Clock } from '../core/clock.js';
import { type Logger } from '../core/logger.js';
import { fallbackFor, outboundFallbackFor, resolveJitterBuffer, type Config } from '../config/index.js';
import { BridgeMetrics, MediaMetrics, SecurityMetrics } from '../metrics/index.js';
import type { SipSecurityOptions } from '../sip/security/options.js';
import { HostResolver, InboundRouter, TransferCap, TrunkCallLimiter } from '../trunks/index.js';
import { botTargetFromConfig, connectBot, type BotTarget } from '../bot/index.js';
import { RtpPortPool } from '../media/index.js';
import { InProcessMediaEngine } from '../engine/index.js';
import { WorkerMediaEngine } from '../engine/worker/worker-engine.js';
import { AppRecordings } from './recordings.js';
import { SipUserAgent } from '../sip/ua/user-agent.js';
import { nodeDnsClient } from '../sip/resolve/sip-resolver.js';
import type { CallObserver } from '../calls/call-events.js';
import type { OutgoingCallRequest } from '../calls/signaling.js';
import type { InboundCallDeps, TransferContext } from '../calls/inbound-call-handler.js';
import type { OutboundCallDeps } from '../calls/outbound-call-handler.js';
import type { MediaEngine } from '../calls/media-engine.js';
import type { TransferServices } from '../calls/transfer.js';
import { routeRegistered } from '../trunks/registration-router.js';
import { type RegistrationSet } from './registrations.js';
import { processCpuLimit } from './cpu-limit.js';
import type { CallRecords } from '../records/index.js';

const WILDCARDS = new Set(['0.0.0.0', '::', '']);

/** First non-internal IPv4 address: what a wildcard listener advertises when no publicAddress is set. */
export function firstExternalIPv4(): string {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}

/** Bridges metrics (and call records, when configured) to the narrow observer call control reports to. */
export function observerFor(metrics: BridgeMetrics, security?: SecurityMetrics, records?: CallRecords): CallObserver {
  return {
    ...(records ? { record: (e) => records.onCallEvent(e), recordingStarted: (callId) => records.recordingStarted({ callId }) } : {}),
    foreignPackets: (c) => {
      security?.foreign('stun', c.stun);
      security?.foreign('dtls', c.dtls);
      security?.foreign('unknown', c.unknown);
      security?.foreign('wrong-source', c.wrongSource);
    },
    callAnswered: (direction, info) => metrics.callAnswered(direction, info),
    callRejected: (direction, status, info) => metrics.callRejected(direction, status, info),
    callEnded: (direction, reason, seconds, labels) => metrics.callEnded(direction, reason, seconds, labels),
    botConnected: (seconds, bot) => metrics.botConnected(seconds, bot),
    botConnectFailed: (bot, reason) => metrics.botConnectFailed(bot, reason),
    transferDone: (method, result) => metrics.transferDone(method, result),
    botProtocolError: () => metrics.botProtocolErrors.inc(),
    botLink: (event) => metrics.botLink(event),
    mediaQuality: (q) => metrics.mediaQuality(q),
    playoutDropped: (ms) => metrics.playoutDroppedMs(ms),
    rtpTotals: (received, sent, bytes) => {
      metrics.rtpPacketReceived(received);
      metrics.rtpPacketSent(sent);
      if (bytes) metrics.rtpBytes(bytes.received, bytes.sent);
    },
  };
}

/** The SIP user agent from the `sip` section, reporting its traffic to metrics. */
export function buildSip(config: Config, clock: Clock, logger: Logger, metrics: BridgeMetrics, security: SipSecurityOptions): SipUserAgent {
  const timers = config.sip.timers;
  return new SipUserAgent({
    clock,
    security,
    logger: logger.child({ layer: 'sip' }),
    traffic: {
      messageReceived: (method) => metrics.sipMessageReceived(method),
      malformedReceived: () => metrics.sipParseError(),
      response: (direction, method, status) => metrics.sip.response(direction, method, status),
      retransmissionReceived: (method) => metrics.sip.retransmission(method),
      retransmissionSent: (method) => metrics.sip.retransmissionSent(method),
      transactionTimeout: (method) => metrics.sip.timeout(method),
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

/** Where media is addressed: publicAddress, else the media bind address, else (wildcards) the first external IPv4. */
export function mediaAddressOf(config: Config): { bindHost: string; advertised: string } {
  const listenHost = config.sip.listen[0]?.host ?? '0.0.0.0';
  const bindHost = config.media.host ?? listenHost;
  const advertised = config.media.publicAddress ?? config.sip.publicAddress ?? (WILDCARDS.has(bindHost) ? firstExternalIPv4() : bindHost);
  return { bindHost, advertised };
}

/** Everything call control needs, from the config and the layers built before it. */
export function buildCallDeps(
  config: Config,
  parts: {
    clock: Clock;
    logger: Logger;
    metrics: BridgeMetrics;
    sip: SipUserAgent;
    router: InboundRouter;
    limiter: TrunkCallLimiter;
    /** A cluster's trunk slots (counted in the shared store); absent: the limiter alone. */
    clusterSlot?: (trunk: string, callId: string) => Promise<() => void>;
    regs: RegistrationSet;
    media: MediaEngine;
    security: SecurityMetrics;
    transferCap: TransferCap;
    records: CallRecords | undefined;
    recordings: AppRecordings;
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
    observer: observerFor(metrics, parts.security, parts.records),
    media,
    mediaAddress,
    codecPreference: [...config.media.codecs],
    latching: config.media.latching,
    idleFill: config.media.idleFill,
    // The mode of the snapshot's number, trunk or bot (a call keeps the one it started with).
    recordingPolicy: (trunk: string, number: string, bot: string) => parts.recordings.policy(config, trunk, number, bot),
  };
  const transferCap = parts.transferCap;
  const transfers = (ctx: TransferContext): TransferServices => ({
    ...shared,
    acquireTransferSlot: () => transferCap.acquire(ctx.inboundTrunk ?? '(outbound calls)'),
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
    acquireTrunkSlot: parts.clusterSlot ?? ((trunk) => parts.limiter.acquire(trunk)),
    botFallback: (trunk, number) => fallbackFor(config, trunk, number),
    trunkMedia: (name) => {
      const t = config.inboundTrunks.find((tr) => tr.name === name);
      return t ? { ...(t.codecs ? { codecPreference: [...t.codecs] } : {}), jitterBuffer: resolveJitterBuffer(t), rtpTimeoutSec: t.rtpTimeoutSec, srtp: t.srtp } : {};
    },
  };
  const outbound: OutboundCallDeps = {
    ...shared, ...bots, findBot: (name) => targets.get(name), outboundTrunk: (name) => outboundTrunks.get(name), placeCall,
    outboundFallback: (name) => outboundFallbackFor(config, name),
  };
  return { inbound, outbound };
}

/** One media worker per CPU the process may use (cpu-limit.ts: its affinity and its cgroup's CPU quota). */
function defaultWorkers(logger: Logger): number {
  const limit = processCpuLimit();
  if (limit.cpus < limit.cores) logger.info({ cores: limit.cores, cpuQuota: limit.quota, workers: limit.cpus }, 'media workers limited by the cgroup CPU quota');
  return limit.cpus;
}

/**
 * Where calls' media runs: `media.workers` worker threads (default: one per CPU it may use), or this thread
 * with 0. Both fit call control's MediaEngine port (the annotations below are the compile-time check).
 */
export function buildMediaEngine(config: Config, clock: Clock, logger: Logger, metrics: BridgeMetrics, media: MediaMetrics, rec?: AppRecordings): InProcessMediaEngine | WorkerMediaEngine {
  const recording = rec?.settings ? { recordings: rec.settings, onRecording: rec.onRecording } : {};
  const { bindHost } = mediaAddressOf(config);
  const workers = config.media.workers ?? defaultWorkers(logger);
  if (workers === 0) {
    const engine: MediaEngine & InProcessMediaEngine = new InProcessMediaEngine({
      ports: new RtpPortPool({ min: config.media.rtpPortMin, max: config.media.rtpPortMax, host: bindHost, rtcp: true }),
      clock,
      connectBot: (target, ctx) => connectBot(target, { ...ctx, onFrameDropped: () => metrics.botFrameDropped() }),
      onSendLatencySample: (ms) => media.botToCaller([ms]),
      onReceiveLatencySample: (ms) => media.callerToBot([ms]),
      onFirstBotAudio: (ms) => media.voiceFigures({ firstAudioMs: [ms] }),
      onClearToSilence: (ms) => media.voiceFigures({ clearToSilenceMs: [ms] }),
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
    onReceiveLatency: (samples) => media.callerToBot(samples),
    onVoiceFigures: (f) => media.voiceFigures(f),
    onWorkerRestarted: (_worker, reason) => media.workerRestarted(reason),
    unresponsiveMs: config.media.workerWatchdogSec * 1000,
    ...(config.media.workerBusyLimit !== undefined ? { busyLimit: config.media.workerBusyLimit } : {}),
    onUtilization: (worker, share) => media.workerBusy(worker, share),
    clock,
    ...recording,
  });
  return engine;
}

/** Call routing built from one configuration snapshot: the deps calls started now take, and its host resolver. */
export interface Routing {
  readonly revision: number;
  readonly config: Config;
  readonly router: InboundRouter;
  readonly inbound: InboundCallDeps;
  readonly outbound: OutboundCallDeps;
  readonly hosts: HostResolver;
}

/** Per-trunk call limits of a config. */
export function limitsOf(config: Config): Map<string, number> {
  return new Map(config.inboundTrunks.flatMap((t) => (t.maxConcurrentCalls !== undefined ? [[t.name, t.maxConcurrentCalls] as const] : [])));
}
