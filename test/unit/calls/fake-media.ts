/**
 * A fake {@link MediaEngine}: each call's media is a {@link FakeCallGroup} that records allocate, connectBot, route
 * and close; its legs sit on made-up ports, named leg1, leg2... per call as the in-process engine names them, and
 * record open/release/close/start. The engine keeps every group and leg for the no-leak check: each leg opened
 * and closed once, or never opened and released once; each group closed once.
 *
 * The fake group never cleans up behind call control (the real one releases what a call still holds when it
 * closes): a leg or bot left behind shows up in {@link FakeMediaEngine.leaks} instead of being silently freed.
 * Like the real group, it refuses to allocate, connect a bot or open a leg once closed.
 */
import type { BotTarget } from '../../../src/bot/index.js';
import type {
  AudioRoutes, BotControl, CallMedia, CallMediaGroup, LegMediaOptions, MediaEngine, MediaLeg,
} from '../../../src/calls/media-engine.js';
import type { Logger } from '../../../src/core/logger.js';
import type { MediaQuality } from '../../../src/media/index.js';
import type { MediaDirection } from '../../../src/sdp/index.js';
import { Emitter, type Deferred } from './fake-util.js';

export class FakeCallMedia extends Emitter implements CallMedia {
  readonly stats = { packetsReceived: 0, packetsSent: 0, bytesReceived: 0, bytesSent: 0, packetsLost: 0, packetsIgnored: 0 };
  quality?: MediaQuality;
  canSendDtmf = true;
  startCalls = 0;
  closeCalls = 0;
  readonly dtmf: Array<[string, number]> = [];
  readonly remotes: Array<{ address: string; port: number }> = [];
  readonly directions: MediaDirection[] = [];
  constructor(readonly id: string, readonly port: number, private readonly journal: string[]) {
    super();
  }
  start(): void {
    this.startCalls++;
    this.journal.push(`media.start ${this.port}`);
  }
  sendDtmf(digits: string, durationMs: number): void {
    this.dtmf.push([digits, durationMs]);
  }
  updateRemote(remote: { address: string; port: number }): void {
    this.remotes.push(remote);
  }
  setDirection(direction: MediaDirection): void {
    this.directions.push(direction);
  }
  switchCodec(): void {}
  close(): void {
    this.closeCalls++;
    this.journal.push(`media.close ${this.port}`);
  }
  finalFigures(): Promise<void> {
    return Promise.resolve();
  }
}

export class FakeMediaLeg implements MediaLeg {
  answeredCalls = 0;
  releaseCalls = 0;
  opened: { options: LegMediaOptions; media: FakeCallMedia } | undefined;
  constructor(
    readonly id: string,
    readonly port: number,
    readonly group: FakeCallGroup,
    private readonly journal: string[],
  ) {}
  answered(): void {
    this.answeredCalls++;
  }
  open(options: LegMediaOptions): FakeCallMedia {
    // As the in-process engine: a leg is opened at most once, never after its port was given back, nor once its
    // call's media was closed (that released the port).
    if (this.opened || this.releaseCalls > 0) throw new Error(`leg ${this.port} cannot be opened again`);
    if (this.group.closed) throw new Error(`leg ${this.port}: the call media is closed`);
    const media = new FakeCallMedia(this.id, this.port, this.journal);
    this.opened = { options, media };
    this.journal.push(`leg.open ${this.port} ${options.codec.name}`);
    return media;
  }
  release(): void {
    this.releaseCalls++;
    this.journal.push(`leg.release ${this.port}`);
  }
  get media(): FakeCallMedia {
    if (!this.opened) throw new Error(`leg ${this.port} was never opened`);
    return this.opened.media;
  }
}

/** Opens a bot connection for a group (the harness's FakeBots). */
export type FakeBotConnector = (target: BotTarget, ctx: { callId: string; abort?: AbortSignal }) => Promise<BotControl>;

export class FakeCallGroup implements CallMediaGroup {
  readonly legs: FakeMediaLeg[] = [];
  /** Every routing table set, in order. */
  readonly routes: AudioRoutes[] = [];
  /** Every connectBot call (target name), in order. */
  readonly botRequests: string[] = [];
  bot: BotControl | undefined;
  closeCalls = 0;
  private nextLeg = 0;

  constructor(
    readonly callId: string,
    private readonly engine: FakeMediaEngine,
    private readonly connector: FakeBotConnector,
    private readonly journal: string[],
  ) {}

  get closed(): boolean {
    return this.closeCalls > 0;
  }

  async allocate(options?: { holdEarlyPackets?: boolean }): Promise<FakeMediaLeg> {
    if (this.closed) throw new Error('the call media is closed');
    const port = await this.engine.takePort(options);
    if (this.closed) throw new Error('the call ended while its RTP port was allocated');
    const leg = new FakeMediaLeg(`leg${++this.nextLeg}`, port, this, this.journal);
    this.legs.push(leg);
    this.engine.legs.push(leg);
    return leg;
  }

  async connectBot(target: BotTarget, options: { abort?: AbortSignal } = {}): Promise<BotControl> {
    if (this.closed) throw new Error('the call media is closed');
    // At most one per call, as the port says: a second request is refused even while the first is pending.
    if (this.botRequests.length > 0) throw new Error('this call already has a bot');
    this.botRequests.push(target.name);
    const bot = await this.connector(target, { callId: this.callId, ...(options.abort ? { abort: options.abort } : {}) });
    if (this.closed) {
      // As the engine does: a bot that connects after its call ended is stopped here, never handed out.
      bot.stop('error');
      throw new Error('the call ended while its bot was connecting');
    }
    this.bot = bot;
    return bot;
  }

  /** Every prompt played (leg id and file), in order. */
  readonly plays: Array<{ leg: string; file: string }> = [];
  async play(leg: string, file: string): Promise<void> {
    this.plays.push({ leg, file });
    this.journal.push(`group.play ${leg} ${file}`);
    // A prompt "plays" until the test opens the engine's play gate (at once without one).
    if (this.engine.playGate) await this.engine.playGate.promise;
  }

  route(routes: AudioRoutes): void {
    if (this.closed) {
      this.journal.push('group.route after close (ignored)');
      return;
    }
    this.routes.push(routes);
    this.journal.push(`group.route ${JSON.stringify(routes)}`);
  }

  close(): void {
    this.closeCalls++;
    this.journal.push(`group.close ${this.callId}`);
  }
}

export class FakeMediaEngine implements MediaEngine {
  readonly groups: FakeCallGroup[] = [];
  /** Every leg of every group, in allocation order. */
  readonly legs: FakeMediaLeg[] = [];
  /** The options of every allocate(), in order (failed ones too). */
  readonly requests: Array<{ holdEarlyPackets?: boolean } | undefined> = [];
  /** The next allocate() rejects with this (one shot). */
  failNext: Error | undefined;
  /** When set, allocate() waits for it (a slow port pool). */
  gate: Deferred<void> | undefined;
  /** Holds every prompt until resolved (see FakeCallGroup.play). */
  playGate: Deferred<void> | undefined;
  private nextPort = 40000;
  constructor(
    private readonly journal: string[],
    private readonly connector: FakeBotConnector,
  ) {}

  openCall(ctx: { callId: string; logger: Logger }): FakeCallGroup {
    const group = new FakeCallGroup(ctx.callId, this, this.connector, this.journal);
    this.groups.push(group);
    this.journal.push(`group.open ${ctx.callId}`);
    return group;
  }

  /** The one group a test opened. */
  get onlyGroup(): FakeCallGroup {
    if (this.groups.length !== 1) throw new Error(`${this.groups.length} call groups, expected 1`);
    return this.groups[0];
  }

  /** The port pool behind every group's allocate(). */
  async takePort(options?: { holdEarlyPackets?: boolean }): Promise<number> {
    this.requests.push(options);
    this.journal.push('media.allocate');
    const failure = this.failNext;
    this.failNext = undefined;
    if (failure) throw failure;
    if (this.gate) await this.gate.promise;
    const port = this.nextPort;
    this.nextPort += 2;
    return port;
  }

  /** The no-leak invariant: each leg opened and closed once, or never opened and released once; each group closed once. */
  leaks(): string[] {
    const legs = this.legs.flatMap((leg) => {
      if (leg.opened) return leg.opened.media.closeCalls === 1 ? [] : [`leg ${leg.port}: media closed ${leg.opened.media.closeCalls} times`];
      return leg.releaseCalls === 1 ? [] : [`leg ${leg.port}: never opened, released ${leg.releaseCalls} times`];
    });
    const groups = this.groups.flatMap((g) => (g.closeCalls === 1 ? [] : [`call media ${g.callId}: closed ${g.closeCalls} times`]));
    return [...legs, ...groups];
  }
}
