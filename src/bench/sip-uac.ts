/**
 * A minimal SIP UAC over UDP for the benchmark's probe calls: INVITE with a PCMU offer, ACK for the 2xx, BYE.
 * Hand-written rather than the bridge's own stack so that the probe measures the bridge from outside with
 * nothing of it inside. Loopback only: no DNS, no authentication, no forking; retransmits INVITE and BYE
 * (RFC 3261 timer A style, doubling from 500 ms) until answered or the deadline, ACKs every 2xx it gets,
 * and answers a BYE from the bridge with 200.
 */
import dgram from 'node:dgram';
import { randomBytes } from 'node:crypto';

/** An established probe call. */
export interface ProbeDialog {
  callId: string;
  fromTag: string;
  toTag: string;
  /** Where in-dialog requests go (the 2xx Contact). */
  remoteTarget: string;
  /** The bridge's RTP address from its SDP answer. */
  media: { address: string; port: number };
}

interface Parsed {
  status?: number;
  method?: string;
  headers: Map<string, string>;
  body: string;
}

function token(): string {
  return randomBytes(6).toString('hex');
}

/** Parses one SIP message (only what the UAC reads: start line, the first of each header, body). */
export function parseSip(text: string): Parsed {
  const split = text.indexOf('\r\n\r\n');
  const head = split >= 0 ? text.slice(0, split) : text;
  const lines = head.split('\r\n');
  const headers = new Map<string, string>();
  const compact: Record<string, string> = { i: 'call-id', t: 'to', f: 'from', m: 'contact', v: 'via', l: 'content-length' };
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const raw = line.slice(0, colon).trim().toLowerCase();
    const name = compact[raw] ?? raw;
    if (!headers.has(name)) headers.set(name, line.slice(colon + 1).trim());
  }
  const m = /^SIP\/2\.0 (\d{3})/.exec(lines[0]);
  return { status: m ? Number(m[1]) : undefined, method: m ? undefined : lines[0].split(' ')[0], headers, body: split >= 0 ? text.slice(split + 4) : '' };
}

/** The audio address in an SDP body (session or media c= line, first m=audio port). */
export function sdpAudio(body: string): { address: string; port: number } | undefined {
  const port = /^m=audio (\d+) /m.exec(body);
  const conn = [...body.matchAll(/^c=IN IP4 (\S+)/gm)].pop();
  return port && conn ? { address: conn[1], port: Number(port[1]) } : undefined;
}

/** One probe's SIP endpoint: its own UDP socket on `localHost`. */
export class ProbeUac {
  private readonly waiters = new Map<string, (m: Parsed) => void>();
  private constructor(
    private readonly socket: dgram.Socket,
    private readonly localHost: string,
    private readonly target: { host: string; port: number },
  ) {
    socket.on('message', (buf, rinfo) => this.onMessage(buf.toString('utf8'), rinfo));
  }

  static async open(localHost: string, target: { host: string; port: number }): Promise<ProbeUac> {
    const s = dgram.createSocket('udp4');
    await new Promise<void>((r) => s.bind(0, localHost, r));
    return new ProbeUac(s, localHost, target);
  }

  private get local(): string {
    return `${this.localHost}:${this.socket.address().port}`;
  }

  close(): void {
    this.socket.close();
  }

  /** Calls `number` offering PCMU at `rtpPort` on our host; resolves once the 2xx is ACKed. */
  async invite(number: string, rtpPort: number, timeoutMs = 15_000): Promise<ProbeDialog> {
    const callId = `${token()}@${this.localHost}`;
    const fromTag = token();
    const sdp = [`v=0`, `o=probe 1 1 IN IP4 ${this.localHost}`, `s=-`, `c=IN IP4 ${this.localHost}`, `t=0 0`, `m=audio ${rtpPort} RTP/AVP 0`, `a=rtpmap:0 PCMU/8000`, `a=ptime:20`, `a=sendrecv`, ``].join('\r\n');
    const uri = `sip:${number}@${this.target.host}:${this.target.port}`;
    const req = this.request('INVITE', uri, { callId, fromTag, toTag: '', cseq: 1 }, `Contact: <sip:probe@${this.local}>\r\nContent-Type: application/sdp\r\n`, sdp);
    const final = await this.transact(callId, 'INVITE', req, timeoutMs);
    if (final.status !== 200) throw new Error(`probe INVITE answered ${final.status}`);
    const toTag = /;tag=([^;>\s]+)/.exec(final.headers.get('to') ?? '')?.[1] ?? '';
    const remoteTarget = /<([^>]+)>/.exec(final.headers.get('contact') ?? '')?.[1] ?? uri;
    const media = sdpAudio(final.body);
    if (!media) throw new Error('probe: no audio in the SDP answer');
    const dialog: ProbeDialog = { callId, fromTag, toTag, remoteTarget, media };
    this.ack(dialog);
    return dialog;
  }

  /** Hangs up; resolves on the 200 (or the deadline: the bridge may have ended the call itself). */
  async bye(d: ProbeDialog, timeoutMs = 5000): Promise<number | undefined> {
    const req = this.request('BYE', d.remoteTarget, { ...d, cseq: 2 }, '', '');
    try {
      return (await this.transact(d.callId, 'BYE', req, timeoutMs)).status;
    } catch {
      return undefined;
    }
  }

  private ack(d: ProbeDialog): void {
    this.send(this.request('ACK', d.remoteTarget, { ...d, cseq: 1 }, '', ''));
  }

  private request(method: string, uri: string, d: { callId: string; fromTag: string; toTag: string; cseq: number }, extra: string, body: string): string {
    return (
      `${method} ${uri} SIP/2.0\r\nVia: SIP/2.0/UDP ${this.local};branch=z9hG4bK${token()};rport\r\nMax-Forwards: 70\r\n` +
      `From: <sip:+15551239999@${this.localHost}>;tag=${d.fromTag}\r\nTo: <${uri.replace(/;.*$/, '')}>${d.toTag ? `;tag=${d.toTag}` : ''}\r\n` +
      `Call-ID: ${d.callId}\r\nCSeq: ${d.cseq} ${method}\r\n${extra}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
    );
  }

  /** Sends `req`, retransmitting (500 ms doubling to 4 s) until a response; resolves with the final one. */
  private transact(callId: string, method: string, req: string, timeoutMs: number): Promise<Parsed> {
    const key = `${callId} ${method}`;
    return new Promise<Parsed>((resolve, reject) => {
      let interval = 500;
      let provisional = false;
      let retransmit: NodeJS.Timeout | undefined;
      const again = () => {
        if (provisional) return;
        this.send(req);
        retransmit = setTimeout(again, interval);
        interval = Math.min(interval * 2, 4000);
      };
      const deadline = setTimeout(() => {
        clearTimeout(retransmit);
        this.waiters.delete(key);
        reject(new Error(`probe ${method}: no final response in ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.set(key, (m) => {
        if (m.status! < 200) {
          provisional = true;
          clearTimeout(retransmit);
          return;
        }
        clearTimeout(retransmit);
        clearTimeout(deadline);
        this.waiters.delete(key);
        resolve(m);
      });
      again();
    });
  }

  private onMessage(text: string, from: dgram.RemoteInfo): void {
    const m = parseSip(text);
    const callId = m.headers.get('call-id') ?? '';
    if (m.status !== undefined) {
      const method = (m.headers.get('cseq') ?? '').split(/\s+/)[1] ?? '';
      const waiter = this.waiters.get(`${callId} ${method}`);
      if (waiter) waiter(m);
      else if (method === 'INVITE' && m.status >= 200 && m.status < 300) this.reAck(m); // a retransmitted 2xx
      return;
    }
    if (m.method === 'BYE' || m.method === 'OPTIONS') this.answer200(m, from);
  }

  private reAck(m: Parsed): void {
    const toTag = /;tag=([^;>\s]+)/.exec(m.headers.get('to') ?? '')?.[1] ?? '';
    const fromTag = /;tag=([^;>\s]+)/.exec(m.headers.get('from') ?? '')?.[1] ?? '';
    const remoteTarget = /<([^>]+)>/.exec(m.headers.get('contact') ?? '')?.[1] ?? `sip:${this.target.host}:${this.target.port}`;
    this.ack({ callId: m.headers.get('call-id') ?? '', fromTag, toTag, remoteTarget, media: { address: '', port: 0 } });
  }

  private answer200(m: Parsed, to: dgram.RemoteInfo): void {
    const h = (n: string) => m.headers.get(n) ?? '';
    this.socket.send(`SIP/2.0 200 OK\r\nVia: ${h('via')}\r\nFrom: ${h('from')}\r\nTo: ${h('to')}\r\nCall-ID: ${h('call-id')}\r\nCSeq: ${h('cseq')}\r\nContent-Length: 0\r\n\r\n`, to.port, to.address);
  }

  private send(text: string): void {
    this.socket.send(text, this.target.port, this.target.host);
  }
}
