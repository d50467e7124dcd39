import type { Clock } from '../../core/clock.js';
import type { Logger } from 'pino';
import type { Dialog } from '../dialog/dialog.js';
import type { SipRequest, SipResponse } from '../message/types.js';
import type { ClientTransaction } from '../transaction/layer.js';

/** Result of a REFER (structurally calls/ ReferOutcome). */
export interface ReferResult {
  ok: boolean;
  sipStatus: number;
}

/** What sending a REFER needs from its dialog. */
export interface ReferContext {
  dialog: Dialog;
  clock: Clock;
  logger: Logger;
  /** Our Contact header value (REFER is a target refresh and needs one, RFC 3515 §2.4.? / RFC 3261 §12). */
  contact: string;
  send(req: SipRequest): ClientTransaction;
  /** Subscribes to in-dialog NOTIFYs with Event: refer; returns an unsubscribe function. */
  onNotify(listener: (notify: SipRequest) => void): () => void;
}

/** Status code of a message/sipfrag body ("SIP/2.0 200 OK"), or undefined (RFC 3420). */
export function sipfragStatus(body: string): number | undefined {
  const m = /^SIP\/2\.0\s+(\d{3})\b/.exec(body.trimStart());
  return m ? Number(m[1]) : undefined;
}

/**
 * Sends REFER (RFC 3515) with Refer-To and Referred-By (RFC 3892), and follows the implicit subscription:
 * rejected REFER → its status; accepted → the sipfrag of NOTIFYs until a final (>= 200) status, or the
 * subscription ends without one (→ 487), or `timeoutMs` passes (→ 408).
 */
export function sendRefer(ctx: ReferContext, referTo: string, referredBy: string, timeoutMs: number): Promise<ReferResult> {
  const refer = ctx.dialog.createRequest('REFER', {
    headers: [
      ['Refer-To', `<${referTo}>`],
      ['Referred-By', `<${referredBy}>`],
      ['Contact', ctx.contact],
      ['Event', 'refer'],
    ],
  });
  return new Promise<ReferResult>((resolve) => {
    let done = false;
    let unsubscribe: () => void = () => {};
    const finish = (r: ReferResult): void => {
      if (done) return;
      done = true;
      timer.cancel();
      unsubscribe();
      resolve(r);
    };
    const timer = ctx.clock.setTimeout(() => finish({ ok: false, sipStatus: 408 }), timeoutMs);
    // NOTIFYs may overtake the 202 on UDP: listen before sending.
    unsubscribe = ctx.onNotify((notify) => {
      const status = sipfragStatus(notify.body.toString('utf8'));
      const terminated = /^\s*terminated/i.test(notify.headers.get('Subscription-State') ?? '');
      if (status !== undefined && status >= 200) finish({ ok: status < 300, sipStatus: status });
      else if (terminated) finish({ ok: false, sipStatus: 487 });
    });
    let tx: ClientTransaction;
    try {
      tx = ctx.send(refer);
    } catch (err) {
      ctx.logger.error({ err, sipCallId: ctx.dialog.callId }, 'could not send REFER');
      finish({ ok: false, sipStatus: 500 });
      return;
    }
    tx.on('response', (res: SipResponse) => {
      if (res.status >= 300) finish({ ok: false, sipStatus: res.status });
    });
    tx.once('timeout', () => finish({ ok: false, sipStatus: 408 }));
    tx.once('transportError', () => finish({ ok: false, sipStatus: 503 }));
  });
}
