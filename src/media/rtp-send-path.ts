/**
 * The send half of a media session: bot audio → PlayoutQueue → one packet per ptimeMs slot → resample to the codec
 * rate → encode → {@link RtpStreamSender}, with RFC 4733 DTMF keys taking the place of audio in their slots. The
 * slot timer also drives the session's other timed work through `onTick`, so a call has one timer.
 *
 * Timing (README, "Send-side latency"): slots sit on a drift-free grid (slot k due at anchor + k·ptime), which
 * - moves to bot audio that arrives after the queue ran dry: its first packet leaves at once, whatever the phase
 *   of the silence before it, the next ones every ptime from there (phase alignment);
 * - moves later to a late chunk: while the bot talks, a slot whose audio has not fully arrived waits up to a
 *   ptime and sends it as it comes (else the talkspurt has ended), and back earlier ({@link PhaseTrack});
 * - keeps its place through a late timer: I/O gets one turn (the bot's audio of the stall), then slots later than
 *   the {@link LateTimerPolicy} bound are dropped with their audio.
 * {@link BacklogTrim} drops the backlog a burst leaves a bot that streams in real time.
 */
import type { Clock, TimerHandle } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { AudioCodec } from './codecs/types.js';
import { Int16Blocks, L16Splitter } from './pcm.js';
import { PlayoutQueue, type PlayoutClearResult } from './playout-queue.js';
import { PacketEncoder } from './packet-encoder.js';
import { TelephoneEventSender } from './dtmf/telephone-event-sender.js';
import { PhaseTrack } from './phase-track.js';
import { BacklogTrim } from './backlog-trim.js';
import { WallTimestamps } from './wall-timestamps.js';
import type { RtpStreamSender } from './rtp-stream-sender.js';
import type { PlayoutDropped } from './media-session-types.js';
import { ClearToWire } from './clear-to-wire.js';
import { CATCH_UP_MS, DEFAULT_LATE_TIMER_POLICY, type LateTimerPolicy } from './late-timer-policy.js';

export { CATCH_UP_MS, DEFAULT_LATE_TIMER_POLICY, type LateTimerPolicy } from './late-timer-policy.js';

/**
 * Node timers fire up to about a millisecond early (libuv measures from its cached loop time) or late: a slot
 * that close is due, and a timer later than this found the loop busy.
 */
const TIMER_SLACK_MS = 1;
/** How often the grid may move towards chunks that come before their slots. */
const PHASE_WINDOW_MS = 200;
/** How long a bot keeping pace must leave each chunk waiting a packet or more before that wait is dropped. */
const BACKLOG_WINDOW_MS = 1000;

export interface RtpSendPathOptions {
  clock: Clock;
  logger: Logger;
  /** The negotiated codec, already at the app rate where it can be. */
  codec: AudioCodec;
  payloadType: number;
  ptimeMs: number;
  appSampleRate: number;
  idleFill: 'silence' | 'none';
  remoteFmtp: string | undefined;
  telephoneEvent: { payloadType: number; clockRate: number } | undefined;
  stream: RtpStreamSender;
  /** A playout mark was reached. */
  onMark: (name: string) => void;
  /** After each timer run's packets, unless closed meanwhile. */
  onTick: (now: number) => void;
  /** Added latency of each bot chunk, ms: its arrival → the packet carrying its first sample sent. */
  onLatency?: (ms: number) => void;
  /** After each {@link RtpSendPath.clear}: clear → the first slot played after it (old audio off the wire), ms. */
  onCleared?: (ms: number) => void;
  /** Default {@link DEFAULT_LATE_TIMER_POLICY}; the other one is kept for measuring. */
  lateTimer?: LateTimerPolicy;
}

export class RtpSendPath {
  private readonly o: RtpSendPathOptions;
  private readonly stream: RtpStreamSender;
  /** Only with onCleared: clear -> the next slot played. */
  private readonly clearToWire: ClearToWire | undefined;
  private readonly queue: PlayoutQueue;
  private overflowing = false;
  /** Queued chunks come from the call's own blocks: a shared slab would stay pinned by every chunk that waits. */
  private readonly blocks = new Int16Blocks();
  private readonly splitter = new L16Splitter(this.blocks);
  private readonly encoder: PacketEncoder;
  private dtmfTx: TelephoneEventSender | undefined;
  private readonly need: number;
  private readonly takeBuf: Int16Array;
  private readonly zeros: Int16Array;
  private readonly maxLateMs: number;
  private readonly phase: PhaseTrack;
  private readonly backlog: BacklogTrim;
  /** Slot k of the grid is due at anchor + k·ptime; `slot` is the next one. */
  private anchor = 0;
  private slot = 0;
  /** The due slot waits for the bot's audio until then. */
  private holdUntil: number | undefined;
  /** A late timer gave I/O one turn before deciding what the stall cost. */
  private deferred = false;
  /** A talkspurt of bot audio is on (its last slot carried audio, or waits for it). */
  private talking = false;
  /** The next audio packet starts a talkspurt (RFC 3551 marker bit). */
  private markNext = true;
  private firstPacket = true;
  /** Bot audio arrived while the queue was dry: the grid moves to it. */
  private dryArrival = false;
  private readonly wall: WallTimestamps;
  private timer: TimerHandle | undefined;
  private timerAt = 0;
  private running = false;
  private started = false;
  private closed = false;
  private lateDropped = 0;
  /** False while our negotiated direction forbids sending (hold). */
  sendEnabled = true;
  /** A recording's tap: the samples of each audio or idle packet sent (a reused buffer: copy, do not keep). */
  played: ((pcm: Int16Array) => void) | undefined;

  constructor(o: RtpSendPathOptions) {
    this.o = o;
    this.stream = o.stream;
    this.wall = new WallTimestamps(o.stream);
    this.clearToWire = o.onCleared ? new ClearToWire(o.onCleared) : undefined;
    if (o.telephoneEvent) this.dtmfTx = new TelephoneEventSender({ clockRate: o.telephoneEvent.clockRate, ptimeMs: o.ptimeMs });
    this.queue = new PlayoutQueue(o.appSampleRate, undefined, (chunk) => this.blocks.release(chunk));
    this.queue.onMark(o.onMark);
    this.encoder = new PacketEncoder(o.appSampleRate, o.ptimeMs, o.codec, o.remoteFmtp);
    this.need = (o.appSampleRate * o.ptimeMs) / 1000;
    this.takeBuf = new Int16Array(this.need);
    this.zeros = new Int16Array(this.need);
    this.maxLateMs = (o.lateTimer ?? DEFAULT_LATE_TIMER_POLICY) === 'skip' ? o.ptimeMs : CATCH_UP_MS;
    this.phase = new PhaseTrack(Math.max(1, Math.round(PHASE_WINDOW_MS / o.ptimeMs)), o.ptimeMs);
    this.backlog = new BacklogTrim(Math.max(1, Math.round(BACKLOG_WINDOW_MS / o.ptimeMs)), this.need, o.ptimeMs);
  }

  /** Milliseconds of bot audio queued and not yet sent. */
  get bufferedMs(): number {
    return this.queue.bufferedMs;
  }

  /** Bot audio dropped so far, ms (see {@link PlayoutDropped}). */
  get droppedMs(): PlayoutDropped {
    const rate = this.o.appSampleRate;
    return { late: (this.lateDropped * 1000) / rate, backlog: (this.backlog.dropped * 1000) / rate, overflow: (this.queue.droppedSamples * 1000) / rate };
  }

  /** True when telephone-event was negotiated. */
  get canSendDtmf(): boolean {
    return this.dtmfTx !== undefined;
  }

  /** Runs the first slot now; later ones follow on the clock. */
  start(now: number): void {
    this.started = true;
    this.anchor = now;
    this.timerAt = now;
    this.wall.anchor(now, this.o.codec.clockRate);
    this.tick();
  }

  /** Cancels the timer; nothing more is sent. */
  close(): void {
    this.closed = true;
    this.timer?.cancel();
    this.timer = undefined;
  }

  /** Queues L16 LE bytes of any length (an odd trailing byte waits for the next chunk). */
  playAudio(pcm: Buffer): void {
    const samples = this.splitter.push(pcm);
    if (samples.length === 0) return;
    const now = this.o.clock.now();
    const wasDry = this.queue.bufferedSamples === 0;
    const accepted = this.queue.push(samples, now);
    // Logged once per overflow episode: a bot far ahead of real time keeps overflowing with every message.
    if (accepted < samples.length && !this.overflowing) {
      this.o.logger.warn({ bufferedMs: Math.round(this.queue.bufferedMs) }, 'bot audio queue full; dropping audio');
    }
    this.overflowing = accepted < samples.length;
    if (accepted === 0) return;
    this.backlog.onPushed(accepted);
    if (wasDry && !this.talking && this.holdUntil === undefined) this.dryArrival = true;
    if (!this.running) this.serve(now, true);
  }

  mark(name: string): void {
    this.queue.mark(name);
  }

  /**
   * Switches to another codec mid-call (re-INVITE): new encoder and resampler, the next packet marked. The
   * queue, marks, a DTMF key in progress (when the telephone-event clock rate stays), the slot grid and the
   * stream's sequence numbers carry on; the caller moves the stream's timestamp step to the new clock rate.
   */
  switchCodec(codec: AudioCodec, payloadType: number, remoteFmtp: string | undefined, telephoneEvent: { payloadType: number; clockRate: number } | undefined): void {
    this.o.codec = codec;
    this.o.payloadType = payloadType;
    this.o.remoteFmtp = remoteFmtp;
    this.encoder.switchCodec(codec, remoteFmtp);
    if (!telephoneEvent) this.dtmfTx = undefined;
    else if (!this.dtmfTx || telephoneEvent.clockRate !== this.o.telephoneEvent?.clockRate) {
      this.dtmfTx = new TelephoneEventSender({ clockRate: telephoneEvent.clockRate, ptimeMs: this.o.ptimeMs });
    }
    this.o.telephoneEvent = telephoneEvent;
    this.wall.anchor(this.slotTime(), codec.clockRate);
    // RFC 3550 §5.1: the marker flags the discontinuity for the far end's playout.
    this.firstPacket = true;
  }

  /** Drops the queued audio and pending marks at once; the talkspurt ends. */
  clear(): PlayoutClearResult {
    this.clearToWire?.cleared(this.o.clock.now());
    this.splitter.reset();
    this.phase.reset();
    this.backlog.reset();
    if (this.talking) this.endSpurt();
    return this.queue.clear();
  }

  /** @throws RangeError when telephone-event was not negotiated (checked by the session) or for bad keys. */
  enqueueDtmf(digits: string, durationMs: number): void {
    this.dtmfTx!.enqueue(digits, durationMs);
  }

  private slotTime(): number {
    return this.anchor + this.slot * this.o.ptimeMs;
  }

  /** The timer: plays every slot due by now, then sleeps until the next slot (or the end of a hold). */
  private readonly tick = (): void => {
    this.timer = undefined;
    if (this.closed) return;
    const now = this.o.clock.now();
    const late = now - this.timerAt;
    // Late, the loop was busy: the bot's audio of that time may still sit in the socket (timers run before I/O).
    // Let it in first, so a hold does not take our delay for the bot's nor a stall's slots go without their audio.
    const short = this.queue.bufferedSamples < this.need && this.holdUntil === undefined; // a hold has waited
    if (!this.deferred && this.talking && (late >= this.o.ptimeMs || (late > TIMER_SLACK_MS && short))) {
      this.deferred = true;
      this.holdUntil = undefined;
      this.timerAt = now;
      this.timer = this.o.clock.setTimeout(this.tick, 0);
      return;
    }
    this.deferred = false;
    this.running = true;
    this.runDue(now, TIMER_SLACK_MS);
    if (!this.closed) this.o.onTick(now);
    this.running = false;
    if (this.closed) return;
    this.serve(now, false);
    if (!this.closed) this.arm(now);
  };

  private arm(now: number): void {
    const at = this.holdUntil ?? this.slotTime();
    // A hold's timer is usually still pending for about the new slot's time: keep it rather than make another.
    if (this.timer && at >= this.timerAt && at - this.timerAt <= TIMER_SLACK_MS) return;
    this.timer?.cancel();
    this.timerAt = at;
    this.timer = this.o.clock.setTimeout(this.tick, at - now);
  }

  /** Audio arrived between slots: the held slot's audio, or the first after the queue ran dry. */
  private serve(now: number, rearm: boolean): void {
    if (!this.started || this.closed || this.deferred || !this.sendEnabled) return;
    let slack = 0;
    if (this.holdUntil !== undefined) {
      if (this.queue.bufferedSamples < this.need) return;
      slack = Math.max(0, this.slotTime() - now); // a hold begun by a timer that fired a little early
    } else if (this.dryArrival) {
      this.dryArrival = false;
      if (this.talking || this.dtmfTx?.busy) return;
      // Phase alignment: the first packet leaves now, even just after a silence packet. A floor on that spacing
      // (half a ptime, tried) became the bot->caller p99 itself: frames come at any phase of the silence.
      this.rephase(now);
    } else {
      return;
    }
    this.running = true;
    this.runDue(now, slack);
    this.running = false;
    if (rearm && !this.closed) this.arm(now);
  }

  private rephase(at: number): void {
    this.anchor = at;
    this.slot = 0;
  }

  /** Plays each slot due by `now + slack`, dropping those later than the policy allows; stops at a held slot. */
  private runDue(now: number, slack: number): void {
    while (!this.closed && this.slotTime() <= now + slack) {
      const late = now - this.slotTime();
      if (this.holdUntil === undefined && late >= this.maxLateMs) this.dropSlot();
      else if (!this.playSlot(now, late, slack)) return;
      this.slot++;
    }
  }

  /** A slot the stalled loop missed: its packet is never sent, its audio (or a DTMF packet) is dropped. */
  private dropSlot(): void {
    const dtmf = this.sendEnabled ? this.dtmfTx?.next(this.stream.timestamp) : undefined;
    if (!dtmf && this.queue.bufferedSamples > 0) {
      this.lateDropped += this.queue.skip(this.need);
      this.markNext = true; // the timestamp jumps: receivers resynchronise on the marker
    } else if (!dtmf && this.talking) {
      this.endSpurt(); // the bot had no audio for this time either
    }
    this.stream.skip(1);
  }

  /** Fills the due slot; false when it waits for the bot's audio instead (the slot stays due). */
  private playSlot(now: number, late: number, slack: number): boolean {
    const queued = this.queue.bufferedSamples;
    if (this.holdUntil === undefined) {
      const waitable = this.sendEnabled && !this.dtmfTx?.busy && late < this.o.ptimeMs;
      if (waitable && queued < this.need && (this.talking || queued > 0)) {
        this.holdUntil = Math.max(this.slotTime() + this.o.ptimeMs, now);
        return false;
      }
    } else {
      if (now + slack < this.holdUntil && queued < this.need) return false;
      this.holdUntil = undefined;
      this.rephase(now); // the held slot goes now; the grid follows it
    }
    if (!this.sendEnabled) {
      // On hold: time passes for the stream, the audio due meanwhile is dropped, nothing goes on the wire.
      this.clearToWire?.slotPlayed(now);
      this.queue.skip(this.need);
      this.stream.skip(1);
      if (this.talking) this.endSpurt();
      return true;
    }
    const dtmf = this.dtmfTx?.next(this.stream.timestamp);
    if (dtmf) {
      // The key replaces audio in this slot; bot audio stays queued until the key is done.
      this.sendPacket(this.o.telephoneEvent!.payloadType, dtmf.marker, dtmf.timestamp, dtmf.payload, now);
      this.talking = false;
      this.markNext = true;
    } else if (queued > 0) {
      this.sendAudio(now);
      if (queued < this.need) this.endSpurt(); // a padded tail: nothing followed within the hold
    } else {
      this.sendIdle(now);
    }
    return true;
  }

  private sendAudio(now: number): void {
    if (!this.talking) {
      this.phase.reset();
      this.backlog.reset();
      // After silence suppression the timestamp says how much time passed (RFC 3550 §5.1).
      if (this.o.idleFill === 'none') this.wall.startSpurt(this.slotTime());
    } else {
      this.anchor -= this.backlog.trim(this.queue);
    }
    const pcm = this.queue.take(this.need, this.takeBuf)!;
    this.played?.(pcm);
    const started = this.queue.startedArrivals;
    const slotAt = this.slotTime();
    for (let i = 0; i < started.length; i++) {
      const arrived = started[i];
      if (Number.isNaN(arrived)) continue;
      // The trackers judge the grid (how long before its slot a chunk came), not how late a timer fired.
      this.phase.sample(slotAt - arrived);
      this.backlog.sample(slotAt - arrived);
      this.o.onLatency?.(now - arrived);
    }
    const payload = this.encoder.encode(pcm);
    this.sendPacket(this.o.payloadType, this.firstPacket || this.markNext, this.stream.timestamp, payload, now);
    this.talking = true;
    this.markNext = false;
    this.anchor -= this.phase.slot(); // chunks come before their slots: towards them
    this.backlog.slot();
  }

  private sendIdle(now: number): void {
    if (this.talking) this.endSpurt(); // the hold ran out with nothing queued
    this.played?.(this.zeros);
    if (this.o.idleFill === 'none') {
      this.clearToWire?.slotPlayed(now); // the slot stays empty: silence on the wire from now
      this.stream.skip(1);
      return;
    }
    // Talkspurts move the stream off the wall clock (a phase-aligned start goes early, late bot audio late, the
    // bot's clock paces them); silence comes back to it: the next packets go up to half a ptime early or a ptime
    // late, never jumping the timestamp.
    const behind = this.wall.behindMs(this.slotTime()); // the slot's time: a late timer is not the stream's doing
    const payload = this.encoder.encode(this.zeros);
    this.sendPacket(this.o.payloadType, this.firstPacket, this.stream.timestamp, payload, now);
    if (behind > TIMER_SLACK_MS) this.anchor -= Math.min(behind, this.o.ptimeMs / 2);
    else if (behind < -TIMER_SLACK_MS) this.anchor += Math.min(-behind, this.o.ptimeMs);
  }

  private endSpurt(): void {
    this.talking = false;
    this.markNext = true;
    if (this.o.idleFill === 'none') this.encoder.reset(); // a new talkspurt starts clean
  }

  private sendPacket(payloadType: number, marker: boolean, timestamp: number, payload: Buffer, now: number): void {
    this.clearToWire?.slotPlayed(now);
    this.firstPacket = false;
    this.stream.send(payloadType, marker, timestamp, payload, this.slotTime());
    this.wall.sent();
  }
}
