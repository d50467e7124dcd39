import { randomUUID } from 'node:crypto';
import type { Logger } from '../core/logger.js';
import type { Clock } from '../core/clock.js';
import type { BotSession, BotTarget } from '../bot/index.js';
import type { SrtpPolicy } from '../sdp/index.js';
import type { JitterBufferMode } from '../media/index.js';
import type { RouteDecision, RouteRequest } from '../trunks/index.js';
import type { IncomingCallSignal } from './signaling.js';
import type { CallObserver } from './call-events.js';
import type { Call } from './call.js';
import type { CallRecordingPolicy, MediaEngine } from './media-engine.js';
import type { TransferServices } from './transfer.js';
import type { PstnCallDeps } from './pstn-call.js';
import { InboundSetup, rejectInbound } from './inbound-setup.js';
import type { BotFallback } from './bot-fallback.js';

/** Everything setting up an inbound call needs; built once in app.ts. */
export interface InboundCallDeps {
  clock: Clock;
  logger: Logger;
  observer: CallObserver;
  route(req: RouteRequest): RouteDecision;
  botTarget(name: string): BotTarget;
  media: MediaEngine;
  /** Address written into our SDP (publicAddress or the media bind address). */
  mediaAddress: string;
  codecPreference: string[];
  idleFill: 'silence' | 'none';
  latching: 'any' | 'same-ip' | 'off';
  /** Transfer services for an answered call (absent: transfers fail with "transfer-unavailable"). */
  transfers?(ctx: TransferContext): TransferServices;
  /** pstn-mode trunks and DIDs (forwardTo, no bot). */
  pstn?: PstnCallDeps;
  /**
   * Takes a per-trunk call slot (maxConcurrentCalls) for call `callId`; throws (or rejects with) CallRejectedError
   * 486 when full. Returns the release. A cluster counts in its shared store, so the answer may be a promise.
   */
  acquireTrunkSlot?(trunk: string, callId: string): (() => void) | Promise<() => void>;
  /** Per-trunk media settings (codec preference, jitter buffer); absent fields fall back to the ones above. */
  trunkMedia?(trunk: string): TrunkMediaSettings;
  /** The number's (else the trunk's) fallback for when its bot is gone; absent or undefined: reject. */
  botFallback?(trunk: string, number: string): BotFallback | undefined;
  /** How a call is recorded: the number's `recording`, else the trunk's, else the bot's; absent: off. */
  recordingPolicy?(trunk: string, number: string, bot: string): CallRecordingPolicy;
}

/** Media settings a trunk may override. */
export interface TrunkMediaSettings {
  codecPreference?: string[];
  /** Receive jitter buffer delay, ms; 0 = pass-through. Shorthand for a fixed `jitterBuffer`, which wins. */
  jitterBufferMs?: number;
  /** Receive jitter buffer: adaptive or fixed. Neither this nor jitterBufferMs: pass-through. */
  jitterBuffer?: JitterBufferMode;
  /** End the call when no RTP arrives for this long, s; 0 = never. */
  rtpTimeoutSec?: number;
  /** SRTP policy for this trunk's calls (default off). */
  srtp?: SrtpPolicy;
}

/** Facts about one call that its transfer services depend on. */
export interface TransferContext {
  /** Inbound trunk name (its transferAllow applies), or undefined for calls we placed. */
  inboundTrunk?: string;
  callerNumber: string;
  calledNumber: string;
  appSampleRate: number;
}

/**
 * Takes one INVITE from "offered" to "answered and bridged", or to the right rejection:
 * 403 source not allowed, 404 number not routed, 488 no common codec, 503 bot unreachable or no RTP port.
 * The 200 OK is sent only after the bot's socket is open, so a caller never hears a dead line; when it cannot be
 * opened, the number's `fallback` decides: 503 (reject), or answer to play a prompt or transfer the caller.
 */
export async function handleInboundCall(signal: IncomingCallSignal, deps: InboundCallDeps, callId: string = randomUUID()): Promise<Call | undefined> {
  const log = deps.logger.child({ callId, sipCallId: signal.callId });
  log.info(
    { from: signal.from.user, to: signal.to.user, ruri: signal.requestUri.uri, source: signal.source.address },
    'incoming call',
  );
  deps.observer.record?.({ type: 'offered', callId, sipCallId: signal.callId, direction: 'inbound', from: signal.from.user, to: signal.to.user });
  const setup = new InboundSetup(callId, signal, deps, log);
  try {
    return await setup.run();
  } catch (err) {
    // The bot is stopped with the failure's reason first; then everything the setup held is released.
    const answer = rejectInbound(signal, err, setup.connectedBot, deps, setup.logger, setup.labels);
    deps.observer.record?.({ type: 'rejected', callId, ...answer });
    setup.release();
    return undefined;
  }
}
