/** A transaction channel that records what was sent and when (ManualClock time). */
import type { Clock } from '../../../../src/core/clock.js';
import type { SipMessage, SipRequest } from '../../../../src/sip/message/types.js';
import type { TransactionChannel } from '../../../../src/sip/transaction/common.js';
import { parseSipMessage } from '../../../../src/sip/parser/parse.js';

export class FakeChannel implements TransactionChannel {
  sent: Array<{ at: number; msg: SipMessage }> = [];
  failNext = false;

  constructor(private readonly clock: Clock, readonly reliable = false) {}

  send(msg: SipMessage): Promise<void> {
    if (this.failNext) {
      this.failNext = false;
      return Promise.reject(new Error('ICMP unreachable'));
    }
    this.sent.push({ at: this.clock.now(), msg });
    return Promise.resolve();
  }

  times(): number[] {
    return this.sent.map((s) => s.at);
  }

  /** Sent items as short labels: "INVITE", "ACK", "200"... */
  labels(): string[] {
    return this.sent.map(({ msg }) => (msg.kind === 'request' ? msg.method : String(msg.status)));
  }
}

export function req(text: string): SipRequest {
  const msg = parseSipMessage(Buffer.from(text.replace(/\r?\n/g, '\r\n')));
  if (msg.kind !== 'request') throw new Error('not a request');
  return msg;
}

export function inviteRequest(branch = 'z9hG4bKinv1', method = 'INVITE'): SipRequest {
  return req(`${method} sip:bob@192.0.2.1 SIP/2.0
Via: SIP/2.0/UDP 192.0.2.9:5060;branch=${branch}
Route: <sip:proxy.example.com;lr>
Max-Forwards: 70
From: <sip:alice@example.com>;tag=a1
To: <sip:bob@example.com>
Call-ID: tx-test@192.0.2.9
CSeq: 10 ${method}
Contact: <sip:alice@192.0.2.9>
Content-Length: 0

`);
}
