import { randomUUID } from 'node:crypto';
import type { RemoteInfo } from 'node:dgram';
import type { Logger } from '../core/logger.js';
import { CallRejectedError, errorCodeOf, sipStatusOf, TrunkbridgeError } from '../core/errors.js';
import type { BotSession, BotTarget, StartMessage } from '../bot/index.js';
import type { OutboundTrunkConfig } from '../config/outbound-schema.js';
import { MediaSession, type RtpSocket } from '../media/index.js';
import { createOffer, parseAnswer } from '../sdp/index.js';
import { BridgedCall } from './bridged-call.js';
import type { InboundCallDeps } from './inbound-call-handler.js';
import { checkCustomHeaders, trunkCallRequest } from './outbound-request.js';
import type { OutgoingCallRequest, OutgoingCallSignal } from './signaling.js';

/** What placing a call needs besides the inbound dependencies. */
export interface OutboundCallDeps extends Omit<InboundCallDeps, 'route'> {
  placeCall(request: OutgoingCallRequest): OutgoingCallSignal;
  outboundTrunk(name: string): OutboundTrunkConfig | undefined;
  findBot(name: string): BotTarget | undefined;
}

/** `POST /v1/calls` body, validated. */
export interface PlaceCallRequest {
  to: string;
  trunk: string;
  bot: string;
  from?: string;
  headers?: Record<string, string>;
  ringTimeoutSec?: number;
}

const DEFAULT_RING_TIMEOUT_SEC = 45;

/** A call being placed: its ids at once, the bridged call once answered. */
export interface PlacedCall {
  callId: string;
  sipCallId: string;
  /** Resolves with the bridged call on answer; rejects with CallRejectedError (SIP status) otherwise. */
  answered: Promise<BridgedCall>;
}

/**
 * Places a call through an outbound trunk and, on answer, bridges it to `bot` (which gets `start` with
 * direction "outbound"). The bot's socket is opened while the phone rings, so the callee hears the bot at
 * once. Validation errors throw synchronously (CallRejectedError: 404 unknown trunk/bot, 484 bad number,
 * 400 bad header).
 */
export function placeOutboundCall(req: PlaceCallRequest, deps: OutboundCallDeps): Promise<PlacedCall> {
  const trunk = deps.outboundTrunk(req.trunk);
  if (!trunk) throw new CallRejectedError(404, 'unknown-trunk', `no outbound trunk "${req.trunk}"`);
  const target = deps.findBot(req.bot);
  if (!target) throw new CallRejectedError(404, 'unknown-bot', `no bot "${req.bot}"`);
  const headers = checkCustomHeaders(req.headers);
  const ringTimeoutMs = (req.ringTimeoutSec ?? DEFAULT_RING_TIMEOUT_SEC) * 1000;
  // Validate the number before taking a port.
  trunkCallRequest(trunk, { to: req.to, ...(req.from ? { from: req.from } : {}), sdp: '', ringTimeoutMs });
  return start(req, trunk, target, headers, ringTimeoutMs, deps);
}

async function start(
  req: PlaceCallRequest,
  trunk: OutboundTrunkConfig,
  target: BotTarget,
  headers: Array<[string, string]>,
  ringTimeoutMs: number,
  deps: OutboundCallDeps,
): Promise<PlacedCall> {
  const callId = randomUUID();
  const rtp: RtpSocket = await deps.allocateRtp();
  let sdp: string;
  let request: ReturnType<typeof trunkCallRequest>;
  let signal: OutgoingCallSignal;
  try {
    sdp = createOffer({ localAddress: deps.mediaAddress, localPort: rtp.port, codecs: deps.codecPreference });
    request = trunkCallRequest(trunk, { to: req.to, ...(req.from ? { from: req.from } : {}), sdp, headers, ringTimeoutMs });
    signal = deps.placeCall(request);
  } catch (err) {
    rtp.close();
    throw err;
  }
  const log = deps.logger.child({ callId, sipCallId: signal.callId });
  log.info({ to: request.e164, trunk: trunk.name, bot: target.name }, 'placing outbound call');
  const answered = connectWhenAnswered(callId, req, trunk, target, rtp, request, signal, deps, log);
  return { callId, sipCallId: signal.callId, answered };
}

async function connectWhenAnswered(
  callId: string,
  req: PlaceCallRequest,
  trunk: OutboundTrunkConfig,
  target: BotTarget,
  rtp: RtpSocket,
  request: ReturnType<typeof trunkCallRequest>,
  signal: OutgoingCallSignal,
  deps: OutboundCallDeps,
  log: Logger,
): Promise<BridgedCall> {
  const connectStarted = deps.clock.now();
  const botPromise = deps.connectBot(target, { callId, clock: deps.clock, logger: log });
  botPromise.catch(() => {}); // observed below; never an unhandled rejection while the phone rings
  let bot: BotSession | undefined;
  let media: MediaSession | undefined;
  let socket: RtpSocket | undefined = rtp;
  // The callee often speaks the instant it answers ("Hello?"), before the bot is attached: hold those packets
  // and replay them once the bot has its `start` (bounded: 1 s at 20 ms packets).
  const early: Array<[Buffer, RemoteInfo]> = [];
  const hold = (msg: Buffer, rinfo: RemoteInfo): void => {
    if (early.length < 50) early.push([msg, rinfo]);
  };
  rtp.socket.on('message', hold);
  try {
    signal.on('progress', (status) => log.info({ status }, 'outbound call progress'));
    const [answer, connected] = await Promise.all([
      signal.answered,
      botPromise.then(
        (b) => {
          deps.observer.botConnected((deps.clock.now() - connectStarted) / 1000);
          return b;
        },
        (err: unknown) => {
          deps.observer.botConnectFailed();
          signal.cancel();
          throw err;
        },
      ),
    ]);
    bot = connected;
    let negotiated;
    try {
      negotiated = parseAnswer(deps.codecPreference, answer.sdp);
    } catch (err) {
      void answer.dialog.hangup();
      throw err;
    }
    media = new MediaSession({
      clock: deps.clock,
      logger: log,
      socket: rtp,
      codec: negotiated.codec,
      payloadType: negotiated.payloadType,
      remote: negotiated.remote,
      ptimeMs: negotiated.ptimeMs,
      appSampleRate: target.sampleRate,
      idleFill: deps.idleFill,
      latching: deps.latching,
    });
    socket = undefined;
    const transfers = deps.transfers?.({ callerNumber: request.e164, calledNumber: request.fromUser, appSampleRate: target.sampleRate });
    const call = new BridgedCall(callId, signal.callId, answer.dialog, media, bot, deps.clock, log, deps.observer, transfers);
    call.start();
    const start: StartMessage = {
      type: 'start',
      callId,
      sipCallId: signal.callId,
      from: request.fromUser,
      to: request.e164,
      trunk: trunk.name,
      direction: 'outbound',
      headers: Object.fromEntries(checkCustomHeaders(req.headers)),
      media: { encoding: 'L16', sampleRate: target.sampleRate, channels: 1, frameMs: 20 },
    };
    bot.sendStart(start);
    rtp.socket.off('message', hold);
    for (const [msg, rinfo] of early.splice(0)) rtp.socket.emit('message', msg, rinfo);
    deps.observer.callAnswered('outbound');
    log.info({ codec: negotiated.codec.name, remote: negotiated.remote }, 'outbound call answered');
    return call;
  } catch (err) {
    rtp.socket.off('message', hold);
    socket?.close();
    media?.close();
    const b = bot ?? (await botPromise.catch(() => undefined));
    b?.stop('error');
    const status = sipStatusOf(err);
    const reason = err instanceof CallRejectedError ? err.reason : errorCodeOf(err);
    log[err instanceof TrunkbridgeError ? 'info' : 'error']({ status, reason, err: err instanceof TrunkbridgeError ? err.message : err }, 'outbound call failed');
    deps.observer.callRejected('outbound', status);
    throw err;
  }
}
