/**
 * A fake {@link MediaEngine}: legs on made-up ports that record open/release/close/start, and the no-leak check
 * (each leg opened and closed once, or never opened and released once).
 */
import type { CallMedia, LegMediaOptions, MediaEngine, MediaLeg } from '../../../src/calls/media-engine.js';
import type { PlayoutClearResult } from '../../../src/media/index.js';
import type { MediaDirection } from '../../../src/sdp/index.js';
import { Emitter, type Deferred } from './fake-util.js';

export class FakeCallMedia extends Emitter implements CallMedia {
  readonly stats = { packetsReceived: 0, packetsSent: 0, bytesReceived: 0, bytesSent: 0, packetsLost: 0, packetsIgnored: 0 };
  startCalls = 0;
  closeCalls = 0;
  readonly played: Buffer[] = [];
  readonly remotes: Array<{ address: string; port: number }> = [];
  readonly directions: MediaDirection[] = [];
  constructor(readonly port: number, private readonly journal: string[]) {
    super();
  }
  start(): void {
    this.startCalls++;
    this.journal.push(`media.start ${this.port}`);
  }
  playAudio(pcm: Buffer): void {
    this.played.push(pcm);
  }
  mark(): void {}
  clear(): PlayoutClearResult {
    return { playedMs: 0, segmentPlayedMs: 0, discardedMs: 0, discardedMarks: [] };
  }
  sendDtmf(): void {}
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
}

export class FakeMediaLeg implements MediaLeg {
  answeredCalls = 0;
  releaseCalls = 0;
  opened: { options: LegMediaOptions; media: FakeCallMedia } | undefined;
  constructor(readonly port: number, private readonly journal: string[]) {}
  answered(): void {
    this.answeredCalls++;
  }
  open(options: LegMediaOptions): FakeCallMedia {
    // As the in-process engine: a leg is opened at most once, and never after its port was given back.
    if (this.opened || this.releaseCalls > 0) throw new Error(`leg ${this.port} cannot be opened again`);
    const media = new FakeCallMedia(this.port, this.journal);
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

export class FakeMediaEngine implements MediaEngine {
  readonly legs: FakeMediaLeg[] = [];
  readonly requests: Array<{ holdEarlyPackets?: boolean } | undefined> = [];
  /** The next allocate() rejects with this (one shot). */
  failNext: Error | undefined;
  /** When set, allocate() waits for it (a slow port pool). */
  gate: Deferred<void> | undefined;
  private nextPort = 40000;
  constructor(private readonly journal: string[]) {}

  async allocate(options?: { holdEarlyPackets?: boolean }): Promise<FakeMediaLeg> {
    this.requests.push(options);
    this.journal.push('media.allocate');
    const failure = this.failNext;
    this.failNext = undefined;
    if (failure) throw failure;
    if (this.gate) await this.gate.promise;
    const leg = new FakeMediaLeg(this.nextPort, this.journal);
    this.nextPort += 2;
    this.legs.push(leg);
    return leg;
  }

  /** The no-leak invariant: each leg opened and closed once, or never opened and released once. */
  leaks(): string[] {
    return this.legs.flatMap((leg) => {
      if (leg.opened) return leg.opened.media.closeCalls === 1 ? [] : [`leg ${leg.port}: media closed ${leg.opened.media.closeCalls} times`];
      return leg.releaseCalls === 1 ? [] : [`leg ${leg.port}: never opened, released ${leg.releaseCalls} times`];
    });
  }
}

