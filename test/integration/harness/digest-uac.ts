/**
 * A minimal SIP caller over UDP for the brute-force tests: sends INVITEs from one loopback address, answers
 * digest challenges correctly (for whatever password it is given) with the project's digest client, and
 * reports what came back, or nothing. Each exchange waits on the answer (or its absence) for a bounded time.
 */
import { createSocket, type Socket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { chooseDigestChallenge, computeDigestAnswer, formatDigestAnswer, type DigestChallenge } from '../../../src/sip/auth/digest-client.js';
import type { SipResponse } from '../../../src/sip/message/types.js';
import { parseSipMessage } from '../../../src/sip/parser/parse.js';

export interface Exchange {
  /** The final response, or undefined when none came within the wait. */
  final: SipResponse | undefined;
  /** Raw text of every response received for this request. */
  raw: string[];
}

export class DigestUac {
  private readonly socket: Socket;
  private readonly inbox: Array<{ text: string; msg: SipResponse }> = [];
  private port = 0;
  private nc = 0;

  private constructor(
    readonly localHost: string,
    private readonly target: { host: string; port: number },
    private readonly userAgent: string,
  ) {
    this.socket = createSocket('udp4');
    this.socket.on('message', (buf) => {
      try {
        const msg = parseSipMessage(buf);
        if (msg.kind === 'response') this.inbox.push({ text: buf.toString('latin1'), msg });
      } catch {
        // not ours to judge here
      }
    });
  }

  static async open(localHost: string, target: { host: string; port: number }, userAgent = 'Zoiper rv2.10.20.3'): Promise<DigestUac> {
    if (!/^127\./.test(localHost) || !/^127\./.test(target.host)) throw new Error('loopback only');
    const uac = new DigestUac(localHost, target, userAgent);
    await new Promise<void>((r) => uac.socket.bind(0, localHost, () => r()));
    uac.port = uac.socket.address().port;
    return uac;
  }

  /** INVITE without credentials: the 401 (with its challenges) or whatever else came, or nothing. */
  invite(callId: string, waitMs = 1500): Promise<Exchange> {
    return this.exchange(this.request(callId, 1), callId, 1, waitMs);
  }

  /** INVITE answering `challenge` with `password` (a correct digest for that password). */
  inviteWithAuth(callId: string, challenge: DigestChallenge, username: string, password: string, waitMs = 1500): Promise<Exchange> {
    const uri = this.uri();
    const answer = computeDigestAnswer(challenge, { username, password }, { method: 'INVITE', uri }, { nc: ++this.nc });
    return this.exchange(this.request(callId, 2, `Authorization: ${formatDigestAnswer(answer)}\r\n`), callId, 2, waitMs);
  }

  /** ACK for a non-2xx final (same branch as the INVITE, §17.1.1.3) or for a 2xx (new branch), then BYE for a 2xx. */
  async finish(callId: string, final: SipResponse): Promise<void> {
    const to = final.headers.get('To')!;
    const cseq = Number(final.headers.get('CSeq')!.split(' ')[0]);
    const via = final.headers.get('Via')!;
    const ack = [
      `ACK ${this.uri()} SIP/2.0`,
      final.status >= 300 ? `Via: ${via}` : `Via: SIP/2.0/UDP ${this.localHost}:${this.port};branch=z9hG4bK${randomBytes(6).toString('hex')};rport`,
      'Max-Forwards: 70',
      `From: <sip:caller@${this.localHost}>;tag=${callId}`,
      `To: ${to}`,
      `Call-ID: ${callId}`,
      `CSeq: ${cseq} ACK`,
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n');
    this.send(ack);
    if (final.status >= 300) return;
    const bye = ack
      .replace(/^ACK /, 'BYE ')
      .replace(/branch=z9hG4bK[0-9a-f]+/, `branch=z9hG4bK${randomBytes(6).toString('hex')}`)
      .replace(/CSeq: \d+ ACK/, `CSeq: ${cseq + 1} BYE`);
    await this.exchange(bye, callId, cseq + 1, 2000);
  }

  close(): void {
    this.socket.close();
  }

  private uri(): string {
    return `sip:+15550100@${this.target.host}:${this.target.port}`;
  }

  private request(callId: string, cseq: number, extra = ''): string {
    const sdp = ['v=0', `o=- 1 1 IN IP4 ${this.localHost}`, 's=-', `c=IN IP4 ${this.localHost}`, 't=0 0', 'm=audio 40000 RTP/AVP 0', 'a=rtpmap:0 PCMU/8000', ''].join('\r\n');
    return (
      `INVITE ${this.uri()} SIP/2.0\r\n` +
      `Via: SIP/2.0/UDP ${this.localHost}:${this.port};branch=z9hG4bK${randomBytes(6).toString('hex')};rport\r\n` +
      `Max-Forwards: 70\r\nFrom: <sip:caller@${this.localHost}>;tag=${callId}\r\nTo: <sip:+15550100@${this.target.host}>\r\n` +
      `Call-ID: ${callId}\r\nCSeq: ${cseq} INVITE\r\nContact: <sip:caller@${this.localHost}:${this.port}>\r\n` +
      `User-Agent: ${this.userAgent}\r\n${extra}Content-Type: application/sdp\r\nContent-Length: ${sdp.length}\r\n\r\n${sdp}`
    );
  }

  private send(text: string): void {
    this.socket.send(Buffer.from(text), this.target.port, this.target.host);
  }

  /** Sends and waits for a final response to (callId, cseq), or until `waitMs` passes without one. */
  private async exchange(text: string, callId: string, cseq: number, waitMs: number): Promise<Exchange> {
    this.send(text);
    const mine = () => this.inbox.filter((r) => r.msg.headers.get('Call-ID') === callId && r.msg.headers.get('CSeq')?.startsWith(`${cseq} `));
    const deadline = Date.now() + waitMs;
    while (Date.now() < deadline && !mine().some((r) => r.msg.status >= 200)) await new Promise((r) => setTimeout(r, 10));
    const got = mine();
    return { final: got.find((r) => r.msg.status >= 200)?.msg, raw: got.map((r) => r.text) };
  }
}

/** The challenge of a 401 a UAC would answer (MD5 or SHA-256, the first it supports). */
export function challengeOf(res: SipResponse): DigestChallenge {
  const c = chooseDigestChallenge(res.headers.getAll('WWW-Authenticate'));
  if (!c) throw new Error('no usable challenge');
  return c;
}
