import type { Clock, TimerHandle } from '../../core/clock.js';
import type { SipTimerConfig } from '../transaction/common.js';

/**
 * UAS core retransmission of a 2xx to INVITE (RFC 3261 §13.3.1.4): "The 2xx response is passed to the
 * transport with an interval that starts at T1 seconds and doubles for each retransmission until it reaches
 * T2 seconds ... Response retransmissions cease when an ACK request for the response is received ... If the
 * server retransmits the 2xx response for 64*T1 seconds without receiving an ACK, the dialog is confirmed,
 * but the session SHOULD be terminated." On reliable transports only the 64*T1 wait applies.
 */
export class Uas2xxRetransmitter {
  private retransmitTimer: TimerHandle | undefined;
  private giveUpTimer: TimerHandle | undefined;
  private interval: number;
  private active = false;

  constructor(
    private readonly clock: Clock,
    private readonly config: SipTimerConfig,
    private readonly reliable: boolean,
    private readonly retransmit: () => void,
    private readonly onGiveUp: () => void,
  ) {
    this.interval = config.t1;
  }

  /** Starts after the first 2xx has been sent. */
  start(): void {
    this.active = true;
    if (!this.reliable) this.schedule();
    this.giveUpTimer = this.clock.setTimeout(() => {
      if (!this.active) return;
      this.stop();
      this.onGiveUp();
    }, 64 * this.config.t1);
  }

  /** The ACK arrived (or the dialog ended): no more retransmissions. */
  stop(): void {
    this.active = false;
    this.retransmitTimer?.cancel();
    this.giveUpTimer?.cancel();
    this.retransmitTimer = undefined;
    this.giveUpTimer = undefined;
  }

  get running(): boolean {
    return this.active;
  }

  private schedule(): void {
    this.retransmitTimer = this.clock.setTimeout(() => {
      if (!this.active) return;
      this.retransmit();
      this.interval = Math.min(2 * this.interval, this.config.t2);
      this.schedule();
    }, this.interval);
  }
}
