import type { SipRequest, SipResponse } from '../message/types.js';
import { BaseTransaction, type ServerTransactionEvents } from './base-transaction.js';

/**
 * RFC 3261 §17.2.1 INVITE server transaction states, plus RFC 6026 §7.1 "Accepted": after a 2xx the
 * transaction lives on for Timer L (64*T1) so retransmitted INVITEs are absorbed instead of looking like
 * new calls; the TU retransmits the 2xx itself (§13.3.1.4).
 */
export type InviteServerState = 'proceeding' | 'completed' | 'confirmed' | 'accepted' | 'terminated';

type InviteServerEvent =
  | { type: 'retransmission' }
  | { type: 'ack'; ack: SipRequest }
  | { type: 'respond'; response: SipResponse }
  | { type: 'timerG' }
  | { type: 'timerH' }
  | { type: 'timerI' }
  | { type: 'timerL' }
  | { type: 'transportError'; error: unknown };

/**
 * Events: 'timeout' (Timer H: no ACK for a non-2xx final), 'transportError', 'terminated' (once).
 * ACKs for a 2xx never reach this machine: the layer hands them to the TU (RFC 6026 §7.1).
 */
export class InviteServerTransaction extends BaseTransaction<InviteServerState, 'G' | 'H' | 'I' | 'L', ServerTransactionEvents> {
  state: InviteServerState = 'proceeding';
  /**
   * Last response sent: retransmitted on request retransmissions (Proceeding, Completed). Dropped in
   * "Accepted", where INVITE retransmissions are absorbed and the TU retransmits the 2xx itself.
   */
  lastResponse: SipResponse | undefined;
  private timerGInterval = this.config.t1;
  private finalStatus: number | undefined;

  readonly isInvite = true;

  /** Whether a final response has been sent. */
  get finalSent(): boolean {
    return this.finalStatus !== undefined;
  }

  /** The TU sends a response through the transaction. */
  respond(response: SipResponse): void {
    this.handle({ type: 'respond', response });
  }

  /** The transport delivered a retransmission of the INVITE. */
  receiveRetransmission(): void {
    this.handle({ type: 'retransmission' });
  }

  /** The transport delivered an ACK matching this transaction. */
  receiveAck(ack: SipRequest): void {
    this.handle({ type: 'ack', ack });
  }

  protected override handle(ev: InviteServerEvent): void {
    switch (this.state) {
      case 'proceeding':
        return this.inProceeding(ev);
      case 'completed':
        return this.inCompleted(ev);
      case 'confirmed':
        // §17.2.1: "The purpose of the "Confirmed" state is to absorb any additional ACK messages that arrive,
        // triggered from retransmissions of the final response." Timer I ends it.
        if (ev.type === 'timerI') this.terminate();
        return;
      case 'accepted':
        return this.inAccepted(ev);
      case 'terminated':
        return;
    }
  }

  private inProceeding(ev: InviteServerEvent): void {
    switch (ev.type) {
      case 'retransmission':
        // "If a request retransmission is received while in the "Proceeding" state, the most recent
        // provisional response that was received from the TU MUST be passed to the transport layer".
        if (this.lastResponse) this.transmit(this.lastResponse);
        return;
      case 'respond': {
        const status = ev.response.status;
        this.lastResponse = ev.response;
        this.transmit(ev.response);
        if (status < 200) return;
        this.finalStatus = status;
        this.lighten();
        if (status < 300) {
          // RFC 6026 §7.1: 2xx moves to "Accepted" and starts Timer L = 64*T1.
          this.state = 'accepted';
          this.lastResponse = undefined;
          this.timers.start('L', 64 * this.config.t1, () => this.handle({ type: 'timerL' }));
          return;
        }
        // "the server transaction MUST transition to the "Completed" state. For unreliable transports, timer G
        // is set to fire in T1 seconds ... When the "Completed" state is entered, timer H MUST be set to fire
        // in 64*T1 seconds for all transports."
        this.state = 'completed';
        if (!this.channel.reliable) this.timers.start('G', this.timerGInterval, () => this.handle({ type: 'timerG' }));
        this.timers.start('H', 64 * this.config.t1, () => this.handle({ type: 'timerH' }));
        return;
      }
      case 'transportError':
        this.failTransport(ev.error);
        return;
      default:
        return;
    }
  }

  private inCompleted(ev: InviteServerEvent): void {
    switch (ev.type) {
      case 'retransmission':
        // "while in the "Completed" state, if a request retransmission is received, the server SHOULD pass
        // the response to the transport for retransmission."
        if (this.lastResponse) this.transmit(this.lastResponse);
        return;
      case 'timerG':
        // "If timer G fires, the response is passed to the transport layer once more for retransmission, and
        // timer G is set to fire in MIN(2*T1, T2) seconds. From then on, ... MIN(2*previous, T2)".
        if (this.lastResponse) this.transmit(this.lastResponse);
        this.timerGInterval = Math.min(2 * this.timerGInterval, this.config.t2);
        this.timers.start('G', this.timerGInterval, () => this.handle({ type: 'timerG' }));
        return;
      case 'timerH':
        // "If timer H fires while in the "Completed" state, it implies that the ACK was never received. In
        // this case, the server transaction MUST transition to the "Terminated" state, and MUST indicate to
        // the TU that a transaction failure has occurred."
        this.emit('timeout');
        this.terminate();
        return;
      case 'ack':
        // "If an ACK is received while the server transaction is in the "Completed" state, the server
        // transaction MUST transition to the "Confirmed" state." Timer I: T4 unreliable, zero reliable.
        this.timers.stop('G');
        this.timers.stop('H');
        this.state = 'confirmed';
        this.timers.start('I', this.channel.reliable ? 0 : this.config.t4, () => this.handle({ type: 'timerI' }));
        return;
      case 'transportError':
        this.failTransport(ev.error);
        return;
      default:
        return;
    }
  }

  private inAccepted(ev: InviteServerEvent): void {
    switch (ev.type) {
      case 'retransmission':
        // RFC 6026 §7.1: INVITE retransmissions in "Accepted" are absorbed (not passed to the TU); the TU's
        // own 2xx retransmission (Timer G of §13.3.1.4) answers them.
        return;
      case 'respond':
        // RFC 6026: 2xx retransmissions from the TU are sent through the transaction.
        if (ev.response.status >= 200 && ev.response.status < 300) this.transmit(ev.response);
        return;
      case 'timerL':
        this.terminate();
        return;
      case 'transportError':
        // RFC 6026 §7.1: a transport error in "Accepted" is reported but does not end the transaction.
        this.emit('transportError', ev.error);
        return;
      default:
        return;
    }
  }
}
