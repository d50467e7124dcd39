import type { SipResponse } from '../message/types.js';
import { BaseTransaction, type ServerTransactionEvents } from './base-transaction.js';

/** RFC 3261 §17.2.2 non-INVITE server transaction states. */
export type NonInviteServerState = 'trying' | 'proceeding' | 'completed' | 'terminated';

type NonInviteServerEvent =
  | { type: 'retransmission' }
  | { type: 'respond'; response: SipResponse }
  | { type: 'timerJ' }
  | { type: 'transportError'; error: unknown };

/** Events: 'transportError', 'terminated' (once). */
export class NonInviteServerTransaction extends BaseTransaction<NonInviteServerState, 'J', ServerTransactionEvents> {
  state: NonInviteServerState = 'trying';
  lastResponse: SipResponse | undefined;

  readonly isInvite = false;

  get finalSent(): boolean {
    return this.lastResponse !== undefined && this.lastResponse.status >= 200;
  }

  respond(response: SipResponse): void {
    this.handle({ type: 'respond', response });
  }

  receiveRetransmission(): void {
    this.handle({ type: 'retransmission' });
  }

  protected override handle(ev: NonInviteServerEvent): void {
    if (ev.type === 'transportError') {
      if (this.state === 'terminated') return;
      // §17.2.2: "If the transport layer ... returns a failure ... the server transaction MUST transition
      // to the "Terminated" state" (informing the TU).
      this.failTransport(ev.error);
      return;
    }
    switch (this.state) {
      case 'trying':
        // "Once in the "Trying" state, any further request retransmissions are discarded."
        if (ev.type === 'respond') this.sendFromTu(ev.response);
        return;
      case 'proceeding':
        // "If a retransmission of the request is received while in the "Proceeding" state, the most
        // recently sent provisional response MUST be passed to the transport layer for retransmission."
        if (ev.type === 'retransmission' && this.lastResponse) this.transmit(this.lastResponse);
        else if (ev.type === 'respond') this.sendFromTu(ev.response);
        return;
      case 'completed':
        // "While in the "Completed" state, the server transaction MUST pass the final response to the
        // transport layer for retransmission whenever a retransmission of the request is received. Any
        // other final responses passed by the TU to the server transaction MUST be discarded".
        if (ev.type === 'retransmission' && this.lastResponse) this.transmit(this.lastResponse);
        else if (ev.type === 'timerJ') this.terminate();
        return;
      case 'terminated':
        return;
    }
  }

  private sendFromTu(response: SipResponse): void {
    this.lastResponse = response;
    this.transmit(response);
    if (response.status < 200) {
      this.state = 'proceeding';
      return;
    }
    this.lighten();
    // "the server transaction MUST enter the "Completed" state, and it MUST set Timer J to fire in 64*T1
    // seconds for unreliable transports, and zero seconds for reliable transports."
    this.state = 'completed';
    this.timers.start('J', this.channel.reliable ? 0 : 64 * this.config.t1, () => this.handle({ type: 'timerJ' }));
  }
}
