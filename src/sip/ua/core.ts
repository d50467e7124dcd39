import type { Logger } from 'pino';
import type { Clock } from '../../core/clock.js';
import type { Dialog } from '../dialog/dialog.js';
import type { ResponseOptions } from '../message/build.js';
import type { SipRequest, SipResponse } from '../message/types.js';
import type { SipTimerConfig } from '../transaction/common.js';
import type { ClientTransaction, ServerTransaction } from '../transaction/layer.js';
import type { Transport } from '../transport/transport.js';

/** Methods the UA serves (Allow header, §20.5). */
// NOTIFY: accepted in a dialog (the sipfrag reports of a REFER we sent, RFC 3515). REFER is sent, never
// served (an incoming REFER gets 405), so it is not listed.
export const ALLOWED_METHODS = ['INVITE', 'ACK', 'CANCEL', 'BYE', 'OPTIONS', 'UPDATE', 'INFO', 'NOTIFY'] as const;

/**
 * What the UA's call and dialog objects need from the user agent core. Keeps IncomingCall and DialogSession
 * free of sockets and maps.
 */
export interface UaCore {
  readonly clock: Clock;
  readonly timers: SipTimerConfig;
  readonly logger: Logger;
  /** How long an INVITE may wait for call control's final answer before the stack sends 408. */
  readonly pendingInviteTimeoutMs: number;
  /** Builds a response with Server (and Contact/Allow/Supported when `dialog` is set) and sends it on `tx`. */
  respond(tx: ServerTransaction, status: number, options?: ResponseOptions & { dialog?: boolean; transport?: Transport }): SipResponse;
  /** Standard headers for a dialog-creating or target-refresh response: Contact, Allow, Supported. */
  dialogHeaders(transport: Transport): Array<[string, string]>;
  /** Sends a response directly (2xx retransmission by the UAS core, §13.3.1.4). */
  resend(res: SipResponse, transport: Transport): void;
  /** Sends an in-dialog request via a new client transaction (adds Via/User-Agent). */
  sendInDialog(dialog: Dialog, req: SipRequest, transport: Transport): ClientTransaction;
  /** Waits for the ACK of a 2xx: `onAck` runs once when it arrives. Returns an unregister function. */
  expectAck(dialog: Dialog, cseq: number, onAck: (ack: SipRequest) => void): () => void;
  /** Makes a pending INVITE cancellable by CANCEL (§9.2). Returns an unregister function. */
  registerCancellable(tx: ServerTransaction, localTag: string, onCancel: () => void): () => void;
  /** Registers/forgets a dialog so in-dialog requests reach it. */
  addDialog(key: string, session: DialogRequestHandler): void;
  removeDialog(key: string): void;
}

/** A dialog as the request router sees it. */
export interface DialogRequestHandler {
  handleRequest(req: SipRequest, tx: ServerTransaction, transport: Transport): void;
  /** UA shutdown: end silently (no BYE), emitting 'terminated'. */
  shutdown(): void;
}
