import { randomUUID } from 'node:crypto';
import type { RemoteInfo } from 'node:dgram';
import type { Logger } from '../core/logger.js';
import { CallRejectedError, errorCodeOf, sipStatusOf, TrunkbridgeError } from '../core/errors.js';
import type { BotSession, BotTarget, StartMessage } from '../bot/index.js';
import type { OutboundTrunkConfig } from '../trunks/index.js';
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
  /** Start the bot at 183 with early media (`start` has `"early":true`, `answered` follows on 200). */
  earlyMedia?: boolean;
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
  const replayHeld = (): void => {
    rtp.socket.off('message', hold);
    for (const [msg, rinfo] of early.splice(0)) rtp.socket.emit('message', msg, rinfo);
  };
  const startMessage = (isEarly: boolean): StartMessage => ({
    type: 'start',
    callId,
    sipCallId: signal.callId,
    from: request.fromUser,
    to: request.e164,
    trunk: trunk.name,
    direction: 'outbound',
    ...(isEarly ? { early: true } : {}),
    headers: Object.fromEntries(checkCustomHeaders(req.headers)),
    media: { encoding: 'L16', sampleRate: target.sampleRate, channels: 1, frameMs: 20 },
  });
  let settled = false;
  let earlyTask: Promise<void> | undefined;
  let earlyForward: ((frame: Buffer) => void) | undefined;
  const makeMedia = (n: ReturnType<typeof parseAnswer>): MediaSession =>
    new MediaSession({
      clock: deps.clock,
      logger: log,
      socket: rtp,
      codec: n.codec,
      payloadType: n.payloadType,
      remote: n.remote,
      ptimeMs: n.ptimeMs,
      appSampleRate: target.sampleRate,
      idleFill: deps.idleFill,
      latching: deps.latching,
    });
  /** 183 with SDP: the bot starts hearing the far end before answer (ringback, announcements, voicemail). */
  const startEarly = async (sdp: string): Promise<void> => {
    const b = await botPromise.catch(() => undefined);
    if (!b || settled) return;
    let n;
    try {
      n = parseAnswer(deps.codecPreference, sdp);
    } catch (err) {
      log.info({ err: (err as Error).message }, 'early media SDP unusable; waiting for answer');
      return;
    }
    media = makeMedia(n);
    socket = undefined;
    const forward = (frame: Buffer): void => b.sendAudio(frame);
    earlyForward = forward;
    media.on('frame', forward);
    media.start();
    b.sendStart(startMessage(true));
    replayHeld();
    log.info({ codec: n.codec.name, remote: n.remote }, 'early media streamed to the bot');
  };
  try {
    signal.on('progress', (status, sdp) => {
      log.info({ status }, 'outbound call progress');
      if (req.earlyMedia && status === 183 && sdp !== undefined && !earlyTask) earlyTask = startEarly(sdp);
    });
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
    await earlyTask;
    settled = true;
    let negotiated;
    try {
      negotiated = parseAnswer(deps.codecPreference, answer.sdp);
    } catch (err) {
      void answer.dialog.hangup();
      throw err;
    }
    const wasEarly = media !== undefined;
    if (media && earlyForward) {
      // The 2xx may move the media (a different SBC port); the codec of the early dialog is kept.
      media.off('frame', earlyForward);
      media.updateRemote(negotiated.remote);
    } else {
      media = makeMedia(negotiated);
    }
    socket = undefined;
    const transfers = deps.transfers?.({ callerNumber: request.e164, calledNumber: request.fromUser, appSampleRate: target.sampleRate });
    const call = new BridgedCall(callId, signal.callId, answer.dialog, media, bot, deps.clock, log, deps.observer, transfers);
    call.start();
    if (wasEarly) bot.sendEvent({ type: 'answered' });
    else {
      bot.sendStart(startMessage(false));
      replayHeld();
    }
    deps.observer.callAnswered('outbound');
    log.info({ codec: negotiated.codec.name, remote: negotiated.remote }, 'outbound call answered');
    return call;
  } catch (err) {
    settled = true;
    await earlyTask?.catch(() => undefined);
    rtp.socket.off('message', hold);
    socket?.close();
    media?.close();
    const b = bot ?? (await botPromise.catch(() => undefined));
    b?.stop(media ? 'not-answered' : 'error');
    const status = sipStatusOf(err);
    const reason = err instanceof CallRejectedError ? err.reason : errorCodeOf(err);
    log[err instanceof TrunkbridgeError ? 'info' : 'error']({ status, reason, err: err instanceof TrunkbridgeError ? err.message : err }, 'outbound call failed');
    deps.observer.callRejected('outbound', status);
    throw err;
  }
}
