/**
 * WebSocket keepalive for one bot socket: a ping every `intervalMs`, and a bot that sends nothing back (no pong,
 * no frame at all: a pong may queue behind the bot's own audio) within `timeoutMs` of a ping is dead. A socket
 * can stay "open" for minutes after its bot froze or its host vanished; this notices it in at most
 * intervalMs + timeoutMs, on the injected clock.
 */
import type { Clock, TimerHandle } from '../core/clock.js';

/** What a {@link Keepalive} pings and whom it tells. */
export interface KeepaliveOptions {
  clock: Clock;
  intervalMs: number;
  timeoutMs: number;
  /** Sends one ping. */
  ping(): void;
  /** No answer within timeoutMs of a ping: called once, then the keepalive stops. */
  onDead(): void;
}

/** Pings on a fixed period; one unanswered ping past its timeout ends it. */
export class Keepalive {
  private pingTimer: TimerHandle | undefined;
  private deadline: TimerHandle | undefined;
  private stopped = false;
  private pings = 0;

  constructor(private readonly o: KeepaliveOptions) {}

  /** Pings sent so far. */
  get pingsSent(): number {
    return this.pings;
  }

  /** Starts pinging (the first ping after one interval). Does nothing when the interval is 0. */
  start(): void {
    if (this.stopped || this.pingTimer || this.o.intervalMs <= 0) return;
    this.schedule();
  }

  /** The bot sent something (a pong or any frame): it is alive. */
  alive(): void {
    this.deadline?.cancel();
    this.deadline = undefined;
  }

  stop(): void {
    this.stopped = true;
    this.pingTimer?.cancel();
    this.deadline?.cancel();
    this.pingTimer = undefined;
    this.deadline = undefined;
  }

  private schedule(): void {
    this.pingTimer = this.o.clock.setTimeout(() => this.tick(), this.o.intervalMs);
  }

  private tick(): void {
    if (this.stopped) return;
    // A ping still unanswered keeps its own deadline: another one would not make the bot answer sooner.
    if (!this.deadline) {
      this.pings++;
      this.deadline = this.o.clock.setTimeout(() => this.expire(), this.o.timeoutMs);
      this.o.ping();
    }
    if (!this.stopped) this.schedule();
  }

  private expire(): void {
    if (this.stopped) return;
    this.stop();
    this.o.onDead();
  }
}
