import type { Logger } from '../core/logger.js';
import type { Clock } from '../core/clock.js';
import { RecordingError } from '../core/errors.js';
import { isDropClose, type BotCloseInfo, type BotLinkEvent, type RecordAction, type TransferCommand, type TransferEvent } from '../bot/index.js';
import type { DialogSignal } from './signaling.js';
import type { Call, CallEvents, CallSummary, LiveCallInfo } from './call.js';
import { liveLevels, liveMediaStats } from './call-quality.js';
import { TypedEmitter } from '../core/typed-emitter.js';
import { BOT_ENDPOINT, type BotControl, type BotControlCommand, type CallMedia, type CallMediaGroup, type CallRecordingPolicy, type RecordingStatus } from './media-engine.js';
import { CallRecordingControl } from './call-recording.js';
import { countLeg, legsFinalFigures, reportQuality } from './end-figures.js';
import type { CallObserver, EndReason } from './call-events.js';
import { TransferController, type TransferServices } from './transfer.js';
import { parseInfoDtmf } from './dtmf-info.js';
import { REJECT, runFallback, type BotFallback, type FallbackHost } from './bot-fallback.js';

export type { CallMedia } from './media-engine.js';

/** The parts of an answered call. */
export interface BridgedCallParts {
  id: string;
  sipCallId: string;
  dialog: DialogSignal;
  /** The caller's leg. */
  media: CallMedia;
  /** The call's media engine group: where the caller's leg, the bot and any transfer leg live. */
  group: CallMediaGroup;
  /** Absent: the bot could not be reached and the call was answered for its {@link fallback} alone. */
  bot?: BotControl;
  clock: Clock;
  log: Logger;
  observer: Pick<CallObserver, 'botProtocolError' | 'mediaQuality' | 'rtpTotals' | 'botLink' | 'foreignPackets' | 'playoutDropped' | 'record' | 'recordingStarted' | 'transferDone'>;
  transfers?: TransferServices;
  /** Bot, numbers and direction, for the APIs that describe the call (answer time is taken here). */
  summary?: Omit<CallSummary, 'answeredAtMs'>;
  /** What happens when the bot is gone (never came, or dropped and did not come back). Default: reject. */
  fallback?: BotFallback;
  /** How the call is recorded (default off). */
  recording?: CallRecordingPolicy;
}

/** The bot of a call answered only for its fallback: nothing to tell, never closes. */
const NO_BOT: BotControl = { sendStart() {}, sendEvent() {}, stop() {}, on: () => NO_BOT };

/**
 * An answered call: joins its SIP dialog, its media and its bot, and tears all three down exactly once whichever
 * side ends first. The audio between caller and bot flows inside the media engine (routes set in
 * {@link start}); this object handles control: DTMF, hang-ups, transfers, timeouts. Setup (routing, SDP, bot
 * connect, 200 OK) happens before it exists.
 */
export class BridgedCall extends TypedEmitter<CallEvents> implements Call {
  readonly id: string;
  readonly sipCallId: string;
  readonly summary?: CallSummary;
  private endReason: EndReason | undefined;
  private byeSent: Promise<void> = Promise.resolve();
  private endReported: Promise<void> = Promise.resolve();
  private readonly startedAt: number;
  private readonly transfers: TransferController | undefined;
  /** Set once the bot left a bridged transfer: its socket closing no longer ends the call. */
  private botReleased = false;
  /** How the bot's socket closed while a transfer it started was under way: acted on once the transfer settles. */
  private botGoneDuringTransfer: BotCloseInfo | undefined;
  private readonly dialog: DialogSignal;
  private readonly media: CallMedia;
  private readonly group: CallMediaGroup;
  private readonly bot: BotControl;
  private readonly hasBot: boolean;
  private readonly fallback: BotFallback;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly observer: BridgedCallParts['observer'];
  private readonly recording: CallRecordingControl;
  /** Settles once the caller and the bot are joined (after the consent prompt, when there is one). */
  readonly joined: Promise<void>;
  private join: () => void = () => {};

  constructor(p: BridgedCallParts) {
    super({ onListenerError: (err, event) => p.log.error({ err, event }, 'call listener failed') });
    ({ id: this.id, sipCallId: this.sipCallId, dialog: this.dialog, media: this.media, group: this.group } = p);
    ({ clock: this.clock, log: this.log, observer: this.observer } = p);
    this.bot = p.bot ?? NO_BOT;
    this.hasBot = p.bot !== undefined;
    this.fallback = p.fallback ?? REJECT;
    this.recording = new CallRecordingControl(p.recording ?? { mode: 'off' }, p.group, p.log, () => p.observer.recordingStarted?.(p.id));
    this.joined = new Promise<void>((resolve) => (this.join = resolve));
    this.startedAt = p.clock.now();
    // Wall time, not the injected clock: it is a date shown to API clients, never used to time anything.
    if (p.summary) this.summary = { ...p.summary, answeredAtMs: Date.now() };
    if (p.transfers) {
      this.transfers = new TransferController(
        {
          log: p.log,
          clock: p.clock,
          dialog: p.dialog,
          media: p.media,
          group: p.group,
          notifyBot: (e) => this.bot.sendEvent(e),
          releaseBot: () => {
            this.botReleased = true;
            this.bot.stop('transfer');
          },
          end: (reason) => this.end(reason),
          started: (t) => this.observer.record?.({ type: 'transfer-started', callId: this.id, ...t }),
          finished: (cmd, e) => this.recordTransfer(cmd, e),
          done: (method, status) => this.observer.transferDone?.(method, status),
        },
        p.transfers,
      );
    }
  }

  get labels(): { trunk?: string; bot?: string } {
    const s = this.summary;
    return s ? { ...(s.trunk !== undefined ? { trunk: s.trunk } : {}), bot: s.bot } : {};
  }

  /** The call as GET /v1/calls shows it: who, which trunk and codec, for how long, and its RTP figures so far. */
  live(): LiveCallInfo {
    const s = this.summary;
    return {
      callId: this.id,
      sipCallId: this.sipCallId,
      state: this.transfers?.bridged ? 'bridged' : 'answered',
      direction: s?.direction ?? 'inbound',
      ...(s?.trunk !== undefined ? { trunk: s.trunk } : {}),
      ...(s ? { bot: s.bot, from: s.from, to: s.to, answeredAt: new Date(s.answeredAtMs).toISOString() } : {}),
      ...(s?.codec !== undefined ? { codec: s.codec } : {}),
      durationSec: Math.round((this.clock.now() - this.startedAt) / 100) / 10,
      media: liveMediaStats(this.media.stats, this.media.quality),
      ...liveLevels(this.media.levels),
    };
  }

  /** Runs a transfer (bot command or HTTP API); resolves with the final transfer event. */
  transfer(cmd: Omit<TransferCommand, 'type'>): Promise<TransferEvent> {
    if (!this.transfers || this.endReason) {
      const e: TransferEvent = { type: 'transfer', status: 'failed', reason: this.endReason ? 'call-ended' : 'transfer-unavailable' };
      this.bot.sendEvent(e);
      this.recordTransfer(cmd, e);
      return Promise.resolve(e);
    }
    const outcome = this.transfers.run(cmd);
    outcome.then((e) => this.afterTransfer(e), () => {}); // a rejection is the caller's to handle
    return outcome;
  }

  /** A transfer settled after the bot left during it: if it failed, the bot's leaving is acted on now. */
  private afterTransfer(e: TransferEvent): void {
    const gone = this.botGoneDuringTransfer;
    if (!gone || e.status !== 'failed' || this.endReason) return;
    this.botGoneDuringTransfer = undefined;
    this.log.info({ reason: e.reason }, 'the transfer failed after the bot left');
    this.onBotClose(gone);
  }

  /** A transfer's outcome, for the call's record. */
  private recordTransfer(cmd: Pick<TransferCommand, 'to' | 'method'>, e: TransferEvent): void {
    if (e.status === 'ringing') return;
    this.observer.record?.({
      type: 'transfer-ended', callId: this.id, to: cmd.to, ...(cmd.method ? { method: cmd.method } : {}), status: e.status,
      ...(e.sipStatus !== undefined ? { sipStatus: e.sipStatus } : {}), ...(e.reason !== undefined ? { reason: e.reason } : {}),
    });
  }

  /**
   * Connects the three parts: caller and bot hear each other. Call once, right after the ACK. Without a bot the
   * fallback starts at once.
   */
  start(): void {
    if (this.hasBot) void this.joinBot();
    else this.join();
    this.bot.on('command', (cmd) => this.onBotCommand(cmd));
    this.bot.on('protocol-error', (err: Error) => {
      this.observer.botProtocolError();
      this.log.warn({ err: err.message }, 'bot sent an invalid message');
    });
    this.bot.on('close', (info) => this.onBotClose(info));
    this.bot.on('link', (e: BotLinkEvent) => {
      this.observer.botLink?.(e.state);
      if (e.state === 'reconnecting') this.log.warn({ code: e.code, reason: e.reason }, 'bot connection dropped; the engine is reconnecting');
      else this.log.info({ downMs: Math.round(e.downMs), attempts: e.attempts }, e.state === 'resumed' ? 'bot connection resumed' : 'bot connection lost');
    });
    this.media.on('dtmf', (p: { digit: string; durationMs: number }) => this.onDtmf(p.digit, p.durationMs, 'rfc4733'));
    this.dialog.on('info', (contentType: string, body: string) => {
      const press = parseInfoDtmf(contentType, body);
      if (press) this.onDtmf(press.digit, press.durationMs, 'sip-info');
      else this.log.debug({ contentType }, 'SIP INFO without DTMF ignored');
    });
    this.media.on('rtp-timeout', () => {
      if (this.endReason) return;
      this.log.warn('no RTP from the caller; hanging up');
      this.end('rtp-timeout');
    });
    this.media.on('failed', (why: string) => {
      if (this.endReason) return;
      this.log.error({ why }, 'media engine failed; hanging up');
      this.end('error');
    });
    this.media.on('rtcp', (input: { rttMs?: number }) => {
      if (input.rttMs !== undefined) this.log.debug({ rttMs: input.rttMs }, 'RTCP round-trip time');
    });
    this.dialog.on('bye', () => this.end('caller-hangup'));
    // A carrier that vanished does not answer our BYE: the call ends now, not when the BYE times out.
    this.dialog.on('expired', () => this.end('session-expired'));
    this.dialog.on('terminated', (why: string) => {
      if (!this.endReason) this.end(why === 'ack-timeout' ? 'ack-timeout' : 'caller-hangup');
    });
    this.media.start();
    if (!this.hasBot) void runFallback(this.fallback, this.fallbackHost(), 'bot-unavailable');
  }

  /** Controls the call's recording (the HTTP API; the bot sends `record`). */
  record(action: RecordAction): Promise<RecordingStatus> {
    if (this.endReason) return Promise.reject(new RecordingError('recording-state', 'the call has ended'));
    return this.recording.control(action);
  }

  /**
   * Caller and bot hear each other; first the consent prompt when the call may be recorded, then the recording
   * when it is `always`. A prompt that cannot be played is logged and skipped: the call goes on.
   */
  private async joinBot(): Promise<void> {
    const consent = this.recording.consentFile;
    if (consent !== undefined) {
      try {
        await this.group.play(this.media.id, consent);
        this.log.info({ file: consent }, 'recording consent prompt played');
      } catch (err) {
        this.log.warn({ err: (err as Error).message }, 'recording consent prompt not played');
      }
      if (this.endReason) return this.join();
    }
    this.group.route({ [this.media.id]: [BOT_ENDPOINT], [BOT_ENDPOINT]: [this.media.id] });
    this.join();
    await this.recording.startAlways();
  }

  private fallbackHost(): FallbackHost {
    return { log: this.log, media: this.media, group: this.group, transfers: this.transfers, end: (reason) => this.end(reason) };
  }

  /** A bot that hung up ends the call; a bot whose connection was lost (no reconnect in time) gets the fallback. */
  private onBotClose(info: BotCloseInfo): void {
    // After a bridged transfer the caller talks to the destination: a bot leaving does not end that.
    if (this.endReason || this.botReleased || this.transfers?.bridged) return;
    if (this.transfers?.running) {
      // The bot handed the caller over and left (its socket dropped, or it hung up as Pipecat does after a
      // transfer): the destination may still answer. Hanging up now would strand a caller already on the way.
      this.botGoneDuringTransfer = info;
      this.log.info({ code: info.code, reason: info.reason }, 'bot left during a transfer; the transfer goes on');
      return;
    }
    if (isDropClose(info)) {
      this.log.warn({ code: info.code, reason: info.reason, fallback: this.fallback.action }, 'bot connection lost; running the fallback');
      void runFallback(this.fallback, this.fallbackHost(), 'bot-lost');
      return;
    }
    this.log.info({ code: info.code, reason: info.reason }, 'bot closed its socket; hanging up');
    this.end('bot-closed');
  }

  get ended(): boolean {
    return this.endReason !== undefined;
  }

  /** Resolves once our BYE (if any) got its final response or timed out, and the call's end was reported. */
  get hangupDone(): Promise<void> {
    return Promise.all([this.byeSent, this.endReported]).then(() => undefined);
  }

  onEnded(listener: (reason: EndReason, durationSeconds: number) => void): void {
    this.on('ended', listener);
  }

  /**
   * Ends the call for `reason`: BYE unless the caller already left, `stop` to the bot, media released. Idempotent.
   * Its figures (log line, record, metrics) follow once the media's last figures are in: {@link hangupDone} waits.
   */
  end(reason: EndReason): void {
    if (this.endReason) return;
    this.endReason = reason;
    const durationSeconds = (this.clock.now() - this.startedAt) / 1000;
    this.transfers?.close();
    // `stop` before the media closes: an engine on another thread takes the final figures from the live leg.
    const quality = this.media.quality;
    if (quality) this.bot.stop(reason, { quality });
    else this.bot.stop(reason);
    this.media.close();
    this.group.close();
    const reported = this.reportEnd(reason, durationSeconds);
    if (reason !== 'caller-hangup' && !this.dialog.terminated) {
      this.byeSent = this.dialog.hangup().catch((err: unknown) => this.log.warn({ err }, 'BYE failed'));
    }
    this.endReported = reported;
    this.emit('ended', reason, durationSeconds);
  }

  /** The call's figures at its end, with the media's last ones (a worker engine's come back from its thread). */
  private async reportEnd(reason: EndReason, durationSeconds: number): Promise<void> {
    await legsFinalFigures([this.media], this.clock, this.log);
    const quality = this.media.quality;
    const stats = { ...this.media.stats };
    this.log.info({ reason, durationSeconds: Math.round(durationSeconds * 10) / 10, rtp: stats, ...(quality ? { quality } : {}) }, 'call ended');
    this.observer.record?.({ type: 'ended', callId: this.id, reason, rtp: { packetsReceived: stats.packetsReceived, packetsSent: stats.packetsSent }, ...(quality ? { quality } : {}) });
    reportQuality(this.observer, stats, quality);
    countLeg(this.observer, stats);
  }

  private onDtmf(digit: string, durationMs: number, via: 'rfc4733' | 'sip-info'): void {
    if (this.endReason) return;
    this.log.info({ digit, durationMs, via }, 'DTMF received');
    this.bot.sendEvent({ type: 'dtmf', digit, durationMs });
  }

  private onBotCommand(cmd: BotControlCommand): void {
    switch (cmd.type) {
      case 'hangup':
        this.log.info({ botReason: cmd.reason }, 'bot asked to hang up');
        this.end('bot-hangup');
        return;
      case 'transfer':
        this.transfer(cmd).catch((err: unknown) => this.log.error({ err }, 'transfer crashed'));
        return;
      case 'dtmf':
        try {
          this.media.sendDtmf(cmd.digits, cmd.durationMs);
          this.log.info({ digits: cmd.digits, durationMs: cmd.durationMs }, 'bot sends DTMF');
        } catch (err) {
          // Only RFC 4733 today: without telephone-event in the offer there is no in-band way to send keys.
          this.log.warn({ err: (err as Error).message }, 'bot DTMF not sent');
          this.bot.sendEvent({ type: 'error', message: `dtmf not sent: ${(err as Error).message}` });
        }
        return;
      case 'record':
        void this.recording.fromBot(cmd.action, (e) => this.bot.sendEvent(e));
        return;
      default: {
        const unknown: never = cmd;
        this.log.warn({ cmd: unknown }, 'bot command not handled');
      }
    }
  }
}
