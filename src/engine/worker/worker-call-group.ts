/**
 * Call control's handles on a call whose media runs in a worker: the group, its legs, their media and the bot,
 * each forwarding control to the worker and surfacing the worker's events. Figures (stats, quality) are the ones
 * the worker last reported.
 */
import type { BotCloseInfo, BotCommand, BotLinkEvent, BotTarget, BridgeEvent, CallQuality, StartMessage, StartOptions } from '../../bot/index.js';
import { BotConnectError, PortPoolExhaustedError, RecordingError } from '../../core/errors.js';
import type { RecordingAction, RecordingState } from '../recording/settings.js';
import { TypedEmitter } from '../../core/typed-emitter.js';
import type { Logger } from '../../core/logger.js';
import type { AudioLevels, CodecSwitch, MediaQuality, MediaSessionStats } from '../../media/index.js';
import type { LegMediaOptions } from '../call-group.js';
import type { ControlCommand } from '../bot-control-view.js';
import { toWireCodecSwitch, toWireLegOptions, type FromWorker, type LegStats, type ToWorker, type WireError } from './protocol.js';

/** The worker a group lives on, as the group needs it. */
export interface WorkerLink {
  send(msg: ToWorker): void;
  /** Sends a request; resolves with the reply (rejects with the rebuilt error). */
  request(msg: ToWorker & { req: number }): Promise<Extract<FromWorker, { op: 'reply' }>>;
  nextRequestId(): number;
}

/** Rebuilds the typed error the worker reported, so call control classifies it as it would in process. */
export function errorFromWorker(e: WireError): Error {
  if (e.name === 'BotConnectError') return new BotConnectError(e.message);
  if (e.name === 'PortPoolExhaustedError') return new PortPoolExhaustedError(e.message);
  if (e.name === 'RecordingError') return new RecordingError((e.reason ?? 'recording-state') as ConstructorParameters<typeof RecordingError>[0], e.message);
  const err = new Error(e.message);
  err.name = e.name;
  return err;
}

const NO_STATS: MediaSessionStats = { packetsReceived: 0, packetsSent: 0, bytesReceived: 0, bytesSent: 0, packetsLost: 0, packetsIgnored: 0 };

interface MediaEvents {
  dtmf: (press: { digit: string; durationMs: number }) => void;
  'rtp-timeout': () => void;
  rtcp: (input: { rttMs?: number; bye: number[] }) => void;
  failed: (reason: string) => void;
}

/** A leg's media in a worker. */
export class WorkerCallMedia extends TypedEmitter<MediaEvents> {
  stats: MediaSessionStats = NO_STATS;
  quality: MediaQuality | undefined;
  /** Audio levels as last reported (about once a second). */
  levels: AudioLevels | undefined;
  private closed = false;
  private settle: () => void = () => {};
  /** Settles when no more figures come for this leg. */
  private readonly final = new Promise<void>((resolve) => (this.settle = resolve));

  constructor(
    readonly id: string,
    private readonly g: number,
    private readonly link: WorkerLink,
    readonly canSendDtmf: boolean,
    log: Logger,
  ) {
    super({ onListenerError: (err, event) => log.error({ err, event }, 'media listener failed') });
  }

  start(): void {
    this.link.send({ op: 'media', g: this.g, leg: this.id, m: 'start' });
  }

  /** Throws RangeError at once when telephone-event was not negotiated (known when the leg opened). */
  sendDtmf(digits: string, durationMs: number): void {
    if (!this.canSendDtmf) throw new RangeError('the far end did not negotiate telephone-event');
    this.link.send({ op: 'media', g: this.g, leg: this.id, m: 'sendDtmf', digits, durationMs });
  }

  updateRemote(remote: { address: string; port: number }): void {
    this.link.send({ op: 'media', g: this.g, leg: this.id, m: 'updateRemote', remote });
  }

  setDirection(direction: 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive'): void {
    this.link.send({ op: 'media', g: this.g, leg: this.id, m: 'setDirection', direction });
  }

  switchCodec(change: CodecSwitch): void {
    this.link.send({ op: 'media', g: this.g, leg: this.id, m: 'switchCodec', change: toWireCodecSwitch(change) });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.link.send({ op: 'media', g: this.g, leg: this.id, m: 'close' });
  }

  /**
   * Resolves once `stats` and `quality` hold the leg's last figures: the worker's answer to its close (or to the
   * group's), or the worker is gone.
   */
  finalFigures(): Promise<void> {
    return this.final;
  }

  /** @internal The group: no more figures come for this leg (safe twice). */
  settleFigures(): void {
    this.settle();
  }
}

/** A bound port in a worker, on its way to becoming a leg's media. */
export class WorkerMediaLeg {
  private state: 'allocated' | 'open' | 'released' = 'allocated';

  constructor(
    readonly id: string,
    readonly port: number,
    private readonly group: WorkerCallGroup,
  ) {}

  answered(): void {
    this.group.link.send({ op: 'leg', g: this.group.g, leg: this.id, m: 'answered' });
  }

  open(options: LegMediaOptions): WorkerCallMedia {
    if (this.state !== 'allocated') throw new Error(`media leg on port ${this.port} is already ${this.state}`);
    const ptimes = [options.ptimeMs, options.frameMs ?? 20];
    // Checked here as the in-process session would, so a bad value fails the call now, not in the worker.
    if (ptimes.some((v) => !Number.isInteger(v) || v <= 0 || v % 10 !== 0)) throw new RangeError(`ptime must be a positive multiple of 10, got ${options.ptimeMs}`);
    this.state = 'open';
    return this.group.openMedia(this.id, options);
  }

  release(): void {
    if (this.state !== 'allocated') return;
    this.state = 'released';
    this.group.link.send({ op: 'leg', g: this.group.g, leg: this.id, m: 'release' });
  }
}

interface BotEvents {
  command: (cmd: ControlCommand) => void;
  close: (info: BotCloseInfo) => void;
  'protocol-error': (err: Error) => void;
  link: (e: BotLinkEvent) => void;
}

/** The bot of a call in a worker: control only. */
export class WorkerBotControl extends TypedEmitter<BotEvents> {
  private closeInfo: BotCloseInfo | undefined;

  constructor(
    private readonly group: WorkerCallGroup,
    log: Logger,
  ) {
    super({ onListenerError: (err, event) => log.error({ err, event }, 'bot listener failed') });
  }

  sendStart(msg: StartMessage, options?: StartOptions): void {
    this.group.link.send({ op: 'bot', g: this.group.g, m: 'sendStart', msg, ...(options?.beforeAnswer === true ? { beforeAnswer: true as const } : {}) });
  }

  sendEvent(event: BridgeEvent): void {
    this.group.link.send({ op: 'bot', g: this.group.g, m: 'sendEvent', event });
  }

  stop(reason: string, extra?: { quality?: CallQuality }): void {
    this.group.link.send({ op: 'bot', g: this.group.g, m: 'stop', reason, ...(extra?.quality ? { quality: extra.quality } : {}) });
  }

  /** A 'close' listener added after the close is called at once (on a microtask), as in process. */
  override on<K extends keyof BotEvents>(event: K, listener: BotEvents[K]): this {
    const info = this.closeInfo;
    if (event === 'close' && info) {
      queueMicrotask(() => (listener as BotEvents['close'])(info));
      return this;
    }
    return super.on(event, listener);
  }

  /** From the worker. */
  deliver(msg: Extract<FromWorker, { op: 'botEvent' }>): void {
    if (msg.e === 'command') this.emit('command', msg.cmd as BotCommand as ControlCommand);
    else if (msg.e === 'protocol-error') this.emit('protocol-error', new Error(msg.message));
    else if (msg.e === 'link') this.emit('link', msg.link);
    else if (!this.closeInfo) {
      this.closeInfo = msg.info;
      this.emit('close', msg.info);
    }
  }
}

/** One call's media group in a worker. */
export class WorkerCallGroup {
  private readonly media = new Map<string, WorkerCallMedia>();
  private readonly pendingLegs = new Set<number>();
  bot: WorkerBotControl | undefined;
  private closed = false;

  constructor(
    readonly g: number,
    readonly link: WorkerLink,
    private readonly log: Logger,
    private readonly onClosed: () => void,
  ) {}

  async allocate(options: { holdEarlyPackets?: boolean } = {}): Promise<WorkerMediaLeg> {
    if (this.closed) throw new Error('the call media is closed');
    const req = this.link.nextRequestId();
    this.pendingLegs.add(req);
    try {
      const reply = await this.link.request({ op: 'allocate', g: this.g, req, hold: options.holdEarlyPackets === true });
      if (!reply.ok || !reply.leg) throw new Error('no leg in the reply');
      return new WorkerMediaLeg(reply.leg.id, reply.leg.port, this);
    } finally {
      this.pendingLegs.delete(req);
    }
  }

  async connectBot(target: BotTarget, options: { abort?: AbortSignal } = {}): Promise<WorkerBotControl> {
    if (this.closed) throw new Error('the call media is closed');
    if (this.bot) throw new Error('this call already has a bot');
    const req = this.link.nextRequestId();
    const onAbort = (): void => this.link.send({ op: 'abortBot', g: this.g, req });
    options.abort?.addEventListener('abort', onAbort, { once: true });
    try {
      // The proxy exists before the reply so no event the worker sends right after it is lost.
      const bot = new WorkerBotControl(this, this.log);
      this.bot = bot;
      try {
        await this.link.request({ op: 'connectBot', g: this.g, req, target });
      } catch (err) {
        this.bot = undefined;
        throw err;
      }
      return bot;
    } finally {
      options.abort?.removeEventListener('abort', onAbort);
    }
  }

  route(routes: Readonly<Record<string, readonly string[]>>): void {
    if (!this.closed) this.link.send({ op: 'route', g: this.g, routes: { ...routes } });
  }

  /** Plays a prompt file to a leg in the worker (which reads it); resolves once played or the leg closed. */
  async play(leg: string, file: string): Promise<void> {
    if (this.closed) return;
    await this.link.request({ op: 'play', g: this.g, req: this.link.nextRequestId(), leg, file });
  }

  /** Controls the call's recording in the worker; resolves with its state (rejects with RecordingError). */
  async record(action: RecordingAction): Promise<RecordingState> {
    if (this.closed) throw new RecordingError('recording-state', 'the call media is closed');
    const reply = await this.link.request({ op: 'record', g: this.g, req: this.link.nextRequestId(), action });
    return (reply.ok ? reply.state : 'idle') as RecordingState;
  }

  /** The engine forgets the group when the worker answers (its legs' last figures come with the answer). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.link.send({ op: 'close', g: this.g });
  }

  /** The worker closed the group: its legs' last figures. */
  closedInWorker(legs: readonly LegStats[]): void {
    for (const l of legs) this.updateStats(l.leg, l.stats, l.quality, l.levels);
    for (const media of this.media.values()) media.settleFigures();
    this.onClosed();
  }

  openMedia(id: string, options: LegMediaOptions): WorkerCallMedia {
    const media = new WorkerCallMedia(id, this.g, this.link, options.telephoneEvent !== undefined, this.log);
    this.media.set(id, media);
    this.link.send({ op: 'legOpen', g: this.g, leg: id, options: toWireLegOptions(options) });
    return media;
  }

  /** Routes one worker message about this group. */
  deliver(msg: FromWorker): void {
    if (msg.op === 'botEvent') {
      this.bot?.deliver(msg);
      return;
    }
    if (msg.op !== 'legEvent') return;
    const media = this.media.get(msg.leg);
    if (!media) return;
    if (msg.e === 'dtmf') media.emit('dtmf', msg.press);
    else if (msg.e === 'rtp-timeout') media.emit('rtp-timeout');
    else media.emit('rtcp', msg.input);
  }

  /** The worker's latest figures for a leg (`final`: its last, the leg closed). */
  updateStats(leg: string, stats: MediaSessionStats, quality: MediaQuality, levels?: AudioLevels, final?: boolean): void {
    const media = this.media.get(leg);
    if (!media) return;
    media.stats = stats;
    media.quality = quality;
    if (levels) media.levels = levels;
    if (final) media.settleFigures();
  }

  /**
   * The worker died: every leg reports 'failed' so its call ends with reason "error" (BYE to the caller), and
   * the bot a close (the worker told it `stop` on its way down when it could).
   */
  workerLost(reason: string): void {
    for (const media of this.media.values()) media.settleFigures();
    if (this.closed) return;
    for (const media of this.media.values()) media.emit('failed', reason);
    this.bot?.deliver({ op: 'botEvent', g: this.g, e: 'close', info: { code: 1011, reason: 'media worker failed', initiatedByBot: false } });
  }
}
