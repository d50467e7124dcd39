/** A bare UDP peer on 127.0.0.1 that speaks raw SIP text, for UA tests. */
import { createSocket, type Socket } from 'node:dgram';
import type { SipMessage, SipRequest, SipResponse } from '../../../../src/sip/message/types.js';
import { parseSipMessage } from '../../../../src/sip/parser/parse.js';

export class RawPeer {
  private socket: Socket;
  private queue: SipMessage[] = [];
  private waiters: Array<{ match: (m: SipMessage) => boolean; resolve: (m: SipMessage) => void }> = [];
  port = 0;

  constructor() {
    this.socket = createSocket('udp4');
    this.socket.on('message', (buf) => {
      const msg = parseSipMessage(buf);
      const w = this.waiters.findIndex((x) => x.match(msg));
      if (w >= 0) {
        const [waiter] = this.waiters.splice(w, 1);
        waiter.resolve(msg);
      } else this.queue.push(msg);
    });
  }

  async bind(): Promise<void> {
    await new Promise<void>((r) => this.socket.bind(0, '127.0.0.1', () => r()));
    this.port = this.socket.address().port;
  }

  send(text: string | Buffer, port: number): void {
    const data = typeof text === 'string' ? Buffer.from(text.replace(/\r?\n/g, '\r\n')) : text;
    this.socket.send(data, port, '127.0.0.1');
  }

  /** Next message matching `match` (already queued or arriving within `ms`, real time). */
  next<T extends SipMessage = SipMessage>(match: (m: SipMessage) => boolean = () => true, ms = 2000): Promise<T> {
    const idx = this.queue.findIndex(match);
    if (idx >= 0) return Promise.resolve(this.queue.splice(idx, 1)[0] as T);
    return new Promise<T>((resolve, reject) => {
      const waiter = { match, resolve: (m: SipMessage) => { clearTimeout(timer); resolve(m as T); } };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error('timed out waiting for SIP message'));
      }, ms);
      this.waiters.push(waiter);
    });
  }

  response(status?: number, method?: string, ms?: number): Promise<SipResponse> {
    return this.next<SipResponse>(
      (m) =>
        m.kind === 'response' &&
        (status === undefined || m.status === status) &&
        (method === undefined || (m.headers.get('CSeq') ?? '').endsWith(` ${method}`)),
      ms,
    );
  }

  request(method: string, ms?: number): Promise<SipRequest> {
    return this.next<SipRequest>((m) => m.kind === 'request' && m.method === method, ms);
  }

  /** Messages received and not yet consumed. */
  pending(): SipMessage[] {
    return [...this.queue];
  }

  /** Waits for in-flight datagrams on loopback to land (a round trip through the event loop). */
  async settle(ms = 30): Promise<void> {
    await new Promise((r) => setTimeout(r, ms));
  }

  close(): Promise<void> {
    return new Promise((r) => this.socket.close(() => r()));
  }
}

export const SDP_OFFER = [
  'v=0',
  'o=carrier 1 1 IN IP4 127.0.0.1',
  's=-',
  'c=IN IP4 127.0.0.1',
  't=0 0',
  'm=audio 40000 RTP/AVP 0 8 101',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:101 telephone-event/8000',
  '',
].join('\r\n');

export const SDP_ANSWER = [
  'v=0',
  'o=trunkbridge 1 1 IN IP4 127.0.0.1',
  's=-',
  'c=IN IP4 127.0.0.1',
  't=0 0',
  'm=audio 20000 RTP/AVP 0 101',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:101 telephone-event/8000',
  '',
].join('\r\n');

export interface RequestText {
  method: string;
  uri?: string;
  branch: string;
  callId: string;
  cseq: number;
  cseqMethod?: string;
  fromTag?: string;
  toTag?: string;
  port: number;
  extra?: string[];
  body?: string;
  maxForwards?: number;
  rport?: boolean;
}

/** Raw request text as a carrier would send it. */
export function requestText(r: RequestText): string {
  const lines = [
    `${r.method} ${r.uri ?? 'sip:+15550100@127.0.0.1'} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${r.port};branch=${r.branch}${r.rport === false ? '' : ';rport'}`,
    `Max-Forwards: ${r.maxForwards ?? 70}`,
    `From: "Alice" <sip:%2B15550199@127.0.0.1>;tag=${r.fromTag ?? 'alice1'}`,
    `To: <sip:+15550100@127.0.0.1>${r.toTag ? `;tag=${r.toTag}` : ''}`,
    `Call-ID: ${r.callId}`,
    `CSeq: ${r.cseq} ${r.cseqMethod ?? r.method}`,
    `Contact: <sip:alice@127.0.0.1:${r.port}>`,
    ...(r.extra ?? []),
  ];
  const body = r.body ?? '';
  if (body) lines.push('Content-Type: application/sdp');
  lines.push(`Content-Length: ${Buffer.byteLength(body)}`, '', '');
  return lines.join('\r\n') + body;
}
