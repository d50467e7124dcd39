/**
 * The shipped edge's guards (deploy/kamailio/kamailio.cfg), before any node sees a request: a scanner's
 * User-Agent gets no answer at all, a flood from one address is cut off by pike while another address is still
 * served, and a new call with no node up is answered 503.
 */
import { createSocket, type Socket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reservePort } from '../helpers/ports.js';
import { waitFor } from '../helpers/wait-for.js';
import { startKamailioEdge, type KamailioEdge } from './harness/kamailio-edge.js';

let edge: KamailioEdge;

beforeAll(async () => {
  // One node that never answers: the dispatcher marks it down after its first probe.
  edge = await startKamailioEdge(await reservePort(), [await reservePort()], { pikeReqs: 20 });
}, 20_000);

afterAll(async () => {
  await edge?.stop();
});

/** A UDP client on `host` that counts the responses it gets, by Call-ID. */
async function client(host: string): Promise<{ socket: Socket; replies: string[]; send(method: string, ua?: string): string }> {
  const socket = createSocket('udp4');
  await new Promise<void>((r) => socket.bind(0, host, () => r()));
  const port = socket.address().port;
  const replies: string[] = [];
  socket.on('message', (m) => replies.push(m.toString('latin1')));
  const send = (method: string, ua = 'carrier-sbc/1.0'): string => {
    const tag = randomBytes(6).toString('hex');
    const uri = method === 'INVITE' ? `sip:+15550100@127.0.0.1:${edge.port}` : `sip:127.0.0.1:${edge.port}`;
    const body = method === 'INVITE' ? 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n' : '';
    const msg = [
      `${method} ${uri} SIP/2.0`,
      `Via: SIP/2.0/UDP ${host}:${port};branch=z9hG4bK${tag};rport`,
      'Max-Forwards: 70',
      `From: <sip:probe@${host}>;tag=${tag}`,
      `To: <${uri}>`,
      `Call-ID: ${tag}@${host}`,
      `CSeq: 1 ${method}`,
      `Contact: <sip:probe@${host}:${port}>`,
      `User-Agent: ${ua}`,
      ...(body ? ['Content-Type: application/sdp'] : []),
      `Content-Length: ${body.length}`,
      '',
      body,
    ].join('\r\n');
    socket.send(msg, edge.port, '127.0.0.1');
    return tag;
  };
  return { socket, replies, send };
}

describe('Kamailio edge guards (shipped config)', () => {
  it("answers a carrier's OPTIONS, and never a scanner's", async () => {
    const c = await client('127.0.0.11');
    try {
      const scanner = c.send('OPTIONS', 'friendly-scanner');
      const sv = c.send('OPTIONS', 'SIPVicious 0.3.4');
      const ok = c.send('OPTIONS');
      await waitFor(() => c.replies.some((r) => r.includes(ok)), { timeoutMs: 3000, what: "the carrier's 200" });
      expect(c.replies.find((r) => r.includes(ok))).toMatch(/^SIP\/2\.0 200 /);
      // Requests are handled in order per source by one worker: once the later one is answered, the scanners'
      // were dropped, not merely slow.
      expect(c.replies.filter((r) => r.includes(scanner) || r.includes(sv))).toEqual([]);
    } finally {
      c.socket.close();
    }
  });

  it('a new call with no node up is answered 503', async () => {
    const c = await client('127.0.0.12');
    try {
      await waitFor(
        () => {
          const id = c.send('INVITE');
          return waitFor(() => c.replies.find((r) => r.includes(id) && !/^SIP\/2\.0 1\d\d /.test(r)), { timeoutMs: 4000, onTimeout: 'resolve' }).then((r) => r && /^SIP\/2\.0 503 /.test(r));
        },
        { timeoutMs: 15_000, intervalMs: 200, what: 'a 503 once the dead node is marked down', detail: () => c.replies.map((r) => r.split('\r\n')[0]).join(' | ') + edge.log().slice(-3000) },
      );
    } finally {
      c.socket.close();
    }
  });

  it('a flood from one address is cut off by pike; another address is still served', async () => {
    const flood = await client('127.0.0.13');
    const other = await client('127.0.0.14');
    try {
      const ids = Array.from({ length: 200 }, () => flood.send('OPTIONS'));
      const last = ids[ids.length - 1];
      const ok = other.send('OPTIONS');
      await waitFor(() => other.replies.some((r) => r.includes(ok)), { timeoutMs: 3000, what: 'the other address answered' });
      // The probe from the flooding address after the burst: still blocked.
      const after = flood.send('OPTIONS');
      const probe = other.send('OPTIONS');
      await waitFor(() => other.replies.some((r) => r.includes(probe)), { timeoutMs: 3000, what: 'the second answer to the other address' });
      const answered = flood.replies.length;
      expect(answered).toBeGreaterThan(0);
      expect(answered).toBeLessThan(100);
      expect(flood.replies.some((r) => r.includes(last) || r.includes(after))).toBe(false);
    } finally {
      flood.socket.close();
      other.socket.close();
    }
  });
});
