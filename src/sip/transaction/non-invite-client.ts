import type { SipRequest, SipResponse } from '../message/types.js';
import { BaseTransaction, type ClientTransactionEvents } from './base-transaction.js';

/** RFC 3261 §17.1.2 non-INVITE client transaction states. */
export type NonInviteClientState = 'trying' | 'proceeding' | 'completed' | 'terminated';

type NonInviteClientEvent =
  | { type: 'response'; response: SipResponse }
  | { type: 'timerE' }
  | { type: 'timerF' }
  | { type: 'timerK' }
  | { type: 'transportError'; error: unknown };

/** Events: 'response', 'timeout' (Timer F), 'transportError', 'terminated' (once). */
export class NonInviteClientTransaction extends BaseTransaction<NonInviteClientState, 'E' | 'F' | 'K', ClientTransactionEvents> {
  state: NonInviteClientState = 'trying';
  private timerEInterval = this.config.t1;

  /**
   * §17.1.2.2: "The "Trying" state is entered when the TU initiates a new client transaction with a request.
   * When entering this state, the client transaction SHOULD set timer F to fire in 64*T1 seconds. The request
   * MUST be passed to the transport layer for transmission. If an unreliable transport is in use, the client
   * transaction MUST set timer E to fire in T1 seconds."
   */
  start(): void {
    this.timers.start('F', 64 * this.config.t1, () => this.handle({ type: 'timerF' }));
    this.transmit(this.request);
    if (!this.channel.reliable) this.timers.start('E', this.timerEInterval, () => this.handle({ type: 'timerE' }));
  }

  receiveResponse(response: SipResponse): void {
    this.handle({ type: 'response', response });
  }

  protected override handle(ev: NonInviteClientEvent): void {
    switch (this.state) {
      case 'trying':
      case 'proceeding':
        return this.inTryingOrProceeding(ev);
      case 'completed':
        // §17.1.2.2: "The "Completed" state exists to buffer any additional response retransmissions";
        // they are absorbed. Timer K ends it.
        if (ev.type === 'timerK') this.terminate();
        return;
      case 'terminated':
        return;
    }
  }

  private inTryingOrProceeding(ev: NonInviteClientEvent): void {
    switch (ev.type) {
      case 'timerE':
        // "If timer E fires while still in this state, the timer is reset, but this time with a value of
        // MIN(2*T1, T2) ... If Timer E fires while in the "Proceeding" state, the request MUST be passed to
        // the transport layer for retransmission, and Timer E MUST be reset with a value of T2 seconds."
        this.transmit(this.request);
        this.timerEInterval = this.state === 'proceeding' ? this.config.t2 : Math.min(2 * this.timerEInterval, this.config.t2);
        this.timers.start('E', this.timerEInterval, () => this.handle({ type: 'timerE' }));
        return;
      case 'timerF':
        // "If Timer F fires while the client transaction is still in the "Trying" [or "Proceeding"] state,
        // the client transaction SHOULD inform the TU about the timeout, and then it SHOULD enter the
        // "Terminated" state."
        this.emit('timeout');
        this.terminate();
        return;
      case 'transportError':
        this.failTransport(ev.error);
        return;
      case 'response':
        if (ev.response.status < 200) {
          this.state = 'proceeding';
          this.emit('response', ev.response);
          return;
        }
        // "If a final response (status codes 200-699) is received while in the "Trying" [or "Proceeding"]
        // state, the response MUST be passed to the TU, and the client transaction MUST transition to the
        // "Completed" state." Timer K: T4 for unreliable, zero for reliable transports.
        this.timers.stop('E');
        this.timers.stop('F');
        this.lighten();
        this.state = 'completed';
        this.emit('response', ev.response);
        this.timers.start('K', this.channel.reliable ? 0 : this.config.t4, () => this.handle({ type: 'timerK' }));
        return;
      default:
        return;
    }
  }
}
