// What the UA tells operators about its traffic: responses by method and status, retransmitted requests, and
// every message at debug level with its secrets redacted.
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { createLogger } from '../../../src/core/logger.js';
import { SipUserAgent } from '../../../src/sip/ua/user-agent.js';
import { RawPeer, requestText } from './helpers/raw-uac.js';
import { waitFor } from '../../helpers/wait-for.js';

let ua: SipUserAgent;
let peer: RawPeer;
let uaPort: number;
let lines: Array<Record<string, unknown>>;
let events: string[];

beforeEach(async () => {
  lines = [];
  events = [];
  const out = new PassThrough();
  out.on('data', (chunk: Buffer) => {
    for (const l of chunk.toString('utf8').split('\n')) if (l) lines.push(JSON.parse(l) as Record<string, unknown>);
  });
  ua = new SipUserAgent({
    clock: new ManualClock(),
    logger: createLogger({ level: 'debug', destination: out, format: 'json' }),
    listen: [{ transport: 'udp', host: '127.0.0.1', port: 0 }],
    traffic: {
      messageReceived: (m) => events.push(`in ${m}`),
      malformedReceived: () => events.push('malformed'),
      response: (dir, method, status) => events.push(`${dir} ${status} ${method}`),
      retransmissionReceived: (m) => events.push(`retransmission ${m}`),
      retransmissionSent: (m) => events.push(`resent ${m}`),
    },
  });
  await ua.start();
  uaPort = ua.boundAddresses()[0].port;
  peer = new RawPeer();
  await peer.bind();
});

afterEach(async () => {
  await ua.stop();
  await peer.close();
});

describe('SipUserAgent traffic', () => {
  it('counts responses sent by method and status, and a retransmitted request once as such', async () => {
    const req = requestText({
      method: 'OPTIONS', cseq: 1, port: peer.port, callId: 'traffic-1@127.0.0.1', branch: 'z9hG4bKtraffic1',
      extra: ['Authorization: Digest username="alice", realm="r", nonce="n", uri="sip:x@y", response="0123456789abcdef0123456789abcdef"'],
    });
    peer.send(req, uaPort);
    await peer.response(200, 'OPTIONS');
    peer.send(req, uaPort);
    await peer.response(200, 'OPTIONS');
    // The transaction answers the retransmission with its last response: a response we sent again.
    expect(events).toEqual(['in OPTIONS', 'sent 200 OPTIONS', 'in OPTIONS', 'retransmission OPTIONS', 'resent OPTIONS', 'sent 200 OPTIONS']);
  });

  it('logs each message in and out at debug with its Call-ID, peer and redacted text', async () => {
    peer.send(
      requestText({
        method: 'OPTIONS', cseq: 1, port: peer.port, callId: 'traffic-2@127.0.0.1', branch: 'z9hG4bKtraffic2',
        extra: ['Authorization: Digest username="alice", realm="r", nonce="n", uri="sip:x@y", response="0123456789abcdef0123456789abcdef"'],
      }),
      uaPort,
    );
    await peer.response(200, 'OPTIONS');
    const sip = await waitFor(() => {
      const found = lines.filter((l) => l.msg === 'SIP message' && l.sipCallId === 'traffic-2@127.0.0.1');
      return found.length === 2 ? found : undefined;
    }, { timeoutMs: 2000, what: 'two SIP message lines' });
    expect(sip.map((l) => [l.direction, l.peer, l.transport])).toEqual([
      ['received', `127.0.0.1:${peer.port}`, 'udp'],
      ['sent', `127.0.0.1:${peer.port}`, 'udp'],
    ]);
    expect(sip[0].sip).toMatch(/^OPTIONS sip:\+15550100@127\.0\.0\.1 SIP\/2\.0\r\n/);
    expect(sip[0].sip).toContain('response="[redacted]"');
    expect(JSON.stringify(lines)).not.toContain('0123456789abcdef0123456789abcdef');
    expect(sip[1].sip).toMatch(/^SIP\/2\.0 200 OK\r\n/);
    expect(lines.every((l) => l.level === 20 || l.msg !== 'SIP message')).toBe(true);
  });
});
