import type { Clock, TimerHandle } from '../../core/clock.js';
import type { SipMessage } from '../message/types.js';

/**
 * RFC 3261 timer base values (§17.1.1.1, Table 4). T1 = RTT estimate, T2 = max retransmit interval for
 * non-INVITE requests and INVITE responses, T4 = max time a message stays in the network.
 * Timer D is ">32s for UDP" independent of T1.
 */
export interface SipTimerConfig {
  t1: number;
  t2: number;
  t4: number;
  timerD: number;
}

export const DEFAULT_SIP_TIMERS: Readonly<SipTimerConfig> = { t1: 500, t2: 4000, t4: 5000, timerD: 32_000 };

/** Fills unset timer values with the RFC defaults. */
export function sipTimers(partial: Partial<SipTimerConfig> = {}): SipTimerConfig {
  return { ...DEFAULT_SIP_TIMERS, ...partial };
}

/** How a transaction puts its messages on the wire. */
export interface TransactionChannel {
  /** Reliable transports (TCP/TLS) disable retransmission timers and zero the wait timers (§17). */
  readonly reliable: boolean;
  send(msg: SipMessage): Promise<void>;
}

/** Named one-shot timers on the injected Clock, all cancellable at once when a transaction ends. */
export class TimerSet<Name extends string> {
  private readonly handles = new Map<Name, TimerHandle>();

  constructor(private readonly clock: Clock) {}

  /** (Re)starts timer `name`; a running one with the same name is cancelled first. */
  start(name: Name, ms: number, fn: () => void): void {
    this.stop(name);
    const handle = this.clock.setTimeout(() => {
      this.handles.delete(name);
      fn();
    }, ms);
    this.handles.set(name, handle);
  }

  stop(name: Name): void {
    this.handles.get(name)?.cancel();
    this.handles.delete(name);
  }

  stopAll(): void {
    for (const h of this.handles.values()) h.cancel();
    this.handles.clear();
  }

  isRunning(name: Name): boolean {
    return this.handles.has(name);
  }
}
