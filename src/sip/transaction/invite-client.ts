import type { SipRequest, SipResponse } from '../message/types.js';
import { buildAckForNon2xx } from './ack.js';
import { BaseTransaction, type ClientTransactionEvents } from './base-transaction.js';

/**
 * RFC 3261 §17.1.1 INVITE client transaction, with the RFC 6026 "Accepted" state so 2xx retransmissions
 * reach the TU instead of being strays.
 */
export type InviteClientState = 'calling' | 'proceeding' | 'accepted' | 'completed' | 'terminated';

type InviteClientEvent =
  | { type: 'response'; response: SipResponse }
  | { type: 'timerA' }
  | { type: 'timerB' }
  | { type: 'timerD' }
  | { type: 'timerM' }
  | { type: 'transportError'; error: unknown };

/**
 * Events: 'response' (every response the TU must see), 'timeout' (Timer B), 'transportError',
 * 'terminated' (once).
 */
export class InviteClientTransaction extends BaseTransaction<InviteClientState, 'A' | 'B' | 'D' | 'M', ClientTransactionEvents> {
  state: InviteClientState = 'calling';
  private timerAInterval = this.config.t1;
  private ack: SipRequest | undefined;

  /**
   * §17.1.1.2: "the client transaction MUST pass the request to the transport layer ... If an unreliable
   * transport is being used, the client transaction MUST start timer A with a value of T1 ... For any
   * transport, the client transaction MUST start timer B with a value of 64*T1".
   */
  start(): void {
    this.transmit(this.request);
    if (!this.channel.reliable) this.timers.start('A', this.timerAInterval, () => this.handle({ type: 'timerA' }));
    this.timers.start('B', 64 * this.config.t1, () => this.handle({ type: 'timerB' }));
  }

  /** Feeds a response matched to this transaction. */
  receiveResponse(response: SipResponse): void {
    this.handle({ type: 'response', response });
  }

  protected override handle(ev: InviteClientEvent): void {
    switch (this.state) {
      case 'calling':
      case 'proceeding':
        return this.inCallingOrProceeding(ev);
      case 'accepted':
        // RFC 6026 §8.4: in Accepted, 2xx retransmissions go to the TU; Timer M ends it.
        if (ev.type === 'response' && ev.response.status >= 200 && ev.response.status < 300) this.emit('response', ev.response);
        else if (ev.type === 'timerM') this.terminate();
        return;
      case 'completed':
        // §17.1.1.2: "Any retransmissions of the final response that are received while in the
        // "Completed" state MUST cause the ACK to be re-passed to the transport layer".
        if (ev.type === 'response' && ev.response.status >= 300 && this.ack) this.transmit(this.ack);
        else if (ev.type === 'timerD') this.terminate();
        else if (ev.type === 'transportError') this.failTransport(ev.error);
        return;
      case 'terminated':
        return;
    }
  }

  private inCallingOrProceeding(ev: InviteClientEvent): void {
    switch (ev.type) {
      case 'timerA':
        if (this.state !== 'calling') return;
        // §17.1.1.2: retransmit and reset timer A with twice the previous value (no T2 cap for INVITE).
        this.transmit(this.request);
        this.timerAInterval *= 2;
        this.timers.start('A', this.timerAInterval, () => this.handle({ type: 'timerA' }));
        return;
      case 'timerB':
        if (this.state !== 'calling') return;
        // "If the client transaction is still in the "Calling" state when timer B fires, the client
        // transaction SHOULD inform the TU that a timeout has occurred."
        this.emit('timeout');
        this.terminate();
        return;
      case 'transportError':
        this.failTransport(ev.error);
        return;
      case 'response': {
        const status = ev.response.status;
        this.timers.stop('A');
        if (status >= 200) this.lighten();
        if (status < 200) {
          this.state = 'proceeding';
          this.emit('response', ev.response);
        } else if (status < 300) {
          this.timers.stop('B');
          this.state = 'accepted';
          this.emit('response', ev.response);
          this.timers.start('M', 64 * this.config.t1, () => this.handle({ type: 'timerM' }));
        } else {
          // "the client transaction MUST transition to the "Completed" state ... MUST generate an ACK ...
          // The client transaction SHOULD start timer D ... with a value of at least 32 seconds for
          // unreliable transports, and a value of zero seconds for reliable transports."
          this.timers.stop('B');
          this.state = 'completed';
          this.ack = buildAckForNon2xx(this.request, ev.response);
          this.transmit(this.ack);
          this.emit('response', ev.response);
          this.timers.start('D', this.channel.reliable ? 0 : this.config.timerD, () => this.handle({ type: 'timerD' }));
        }
        return;
      }
      default:
        return;
    }
  }
}
