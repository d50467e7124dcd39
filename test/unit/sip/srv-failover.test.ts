/**
 * RFC 3263 next-hop resolution and failover of an outgoing INVITE: the real UA on loopback with two raw UDP
 * peers as the SRV targets, DNS answered by an injected client, ManualClock for Timer B.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/logger.js';
import { buildResponse } from '../../../src/sip/message/build.js';
import { serializeSipMessage } from '../../../src/sip/message/serialize.js';
import type { SipRequest } from '../../../src/sip/message/types.js';
import { SipServerResolver, type DnsClient } from '../../../src/sip/resolve/sip-resolver.js';
import type { SrvRecord } from '../../../src/sip/resolve/srv-order.js';
import { SipUserAgent } from '../../../src/sip/ua/user-agent.js';
import { RawPeer, SDP_ANSWER, SDP_OFFER } from './helpers/raw-uac.js';
import { reservePort } from '../../helpers/ports.js';

class FakeDns implements DnsClient {
  readonly asked: string[] = [];
  constructor(
    private readonly srvs: Record<string, SrvRecord[]>,
    private readonly hosts: Record<string, string[]>,
  ) {}
  async srv(name: string): Promise<SrvRecord[]> {
    this.asked.push(`SRV ${name}`);
    return this.srvs[name] ?? [];
  }
  async addresses(name: string): Promise<string[]> {
    this.asked.push(`A ${name}`);
    return this.hosts[name] ?? [];
  }
}

describe('SipServerResolver', () => {
  const srv = { '_sip._udp.carrier.test': [{ name: 'sip2.carrier.test', port: 5070, priority: 20, weight: 50 }, { name: 'sip1.carrier.test', port: 5060, priority: 10, weight: 50 }] };
  const hosts = { 'sip1.carrier.test': ['127.0.0.1', '::1'], 'sip2.carrier.test': ['127.0.0.2'], 'carrier.test': ['127.0.0.9'] };

  it('SRV targets by priority, each expanded to its addresses', async () => {
    const r = new SipServerResolver(new FakeDns(srv, hosts), silentLogger());
    expect(await r.resolve({ host: 'carrier.test', port: 5060, transport: 'udp', explicitPort: false })).toEqual([
      { address: '127.0.0.1', port: 5060 },
      { address: '::1', port: 5060 },
      { address: '127.0.0.2', port: 5070 },
    ]);
  });

  it('no SRV records for the transport: A/AAAA of the host at the given port', async () => {
    const dns = new FakeDns(srv, hosts);
    const r = new SipServerResolver(dns, silentLogger());
    expect(await r.resolve({ host: 'carrier.test', port: 5060, transport: 'tcp', explicitPort: false })).toEqual([{ address: '127.0.0.9', port: 5060 }]);
    expect(dns.asked).toEqual(['SRV _sip._tcp.carrier.test', 'A carrier.test']);
  });

  it('an explicit port skips SRV; an IP literal skips DNS', async () => {
    const dns = new FakeDns(srv, hosts);
    const r = new SipServerResolver(dns, silentLogger());
    expect(await r.resolve({ host: 'carrier.test', port: 5080, transport: 'udp', explicitPort: true })).toEqual([{ address: '127.0.0.9', port: 5080 }]);
    expect(await r.resolve({ host: '127.0.0.5', port: 5060, transport: 'udp', explicitPort: false })).toEqual([{ address: '127.0.0.5', port: 5060 }]);
    expect(dns.asked).toEqual(['A carrier.test']);
  });

  it('a name with no address fails with a message naming it', async () => {
    const r = new SipServerResolver(new FakeDns({}, {}), silentLogger());
    await expect(r.resolve({ host: 'nowhere.test', port: 5060, transport: 'udp', explicitPort: false })).rejects.toThrow(/nowhere\.test/);
  });
});

let ua: SipUserAgent | undefined;
const peers: RawPeer[] = [];

afterEach(async () => {
  await ua?.stop();
  ua = undefined;
  await Promise.all(peers.splice(0).map((p) => p.close()));
});

async function setup() {
  const clock = new ManualClock();
  const first = new RawPeer();
  const second = new RawPeer();
  peers.push(first, second);
  await first.bind();
  await second.bind();
  const dns = new FakeDns(
    {
      '_sip._udp.carrier.test': [
        { name: 'sip1.carrier.test', port: first.port, priority: 10, weight: 50 },
        { name: 'sip2.carrier.test', port: second.port, priority: 20, weight: 50 },
      ],
    },
    { 'sip1.carrier.test': ['127.0.0.1'], 'sip2.carrier.test': ['127.0.0.1'] },
  );
  ua = new SipUserAgent({ clock, logger: silentLogger(), listen: [{ transport: 'udp', host: '127.0.0.1', port: 0 }], dns });
  ua.onIncomingCall(() => {});
  await ua.start();
  const uaPort = ua.boundAddresses()[0].port;
  const reply = (p: RawPeer, req: SipRequest, status: number, body?: string) =>
    p.send(
      serializeSipMessage(
        buildResponse(req, status, {
          toTag: `t${p.port}`,
          headers: [['Contact', `<sip:callee@127.0.0.1:${p.port}>`]],
          ...(body ? { body, contentType: 'application/sdp' } : {}),
        }),
      ),
      uaPort,
    );
  const call = () =>
    (ua as SipUserAgent).placeCall({
      requestUri: 'sip:+15557654321@carrier.test;user=phone',
      fromUri: 'sip:+15550100@carrier.test',
      nextHop: { host: 'carrier.test', port: 5060, transport: 'udp', explicitPort: false },
      sdp: SDP_OFFER,
      ringTimeoutMs: 60_000,
    });
  return { clock, first, second, reply, call, dns };
}

const branchOf = (r: SipRequest) => /branch=([^;]+)/.exec(r.headers.get('Via') ?? '')?.[1];

describe('OutgoingCall failover (RFC 3263 §4.3)', () => {
  it('a 503 from the first SRV target: the same request with a new branch goes to the second, which answers', async () => {
    const { first, second, reply, call } = await setup();
    const out = call();
    const inv1 = await first.request('INVITE');
    reply(first, inv1, 503);
    expect((await first.request('ACK')).headers.get('CSeq')).toBe('1 ACK');
    const inv2 = await second.request('INVITE');
    expect(inv2.headers.get('Call-ID')).toBe(inv1.headers.get('Call-ID'));
    expect(inv2.headers.get('CSeq')).toBe('1 INVITE');
    expect(inv2.uri).toBe(inv1.uri);
    expect(branchOf(inv2)).not.toBe(branchOf(inv1));
    reply(second, inv2, 200, SDP_ANSWER);
    const answered = await out.answered;
    expect(answered.sdp).toBe(SDP_ANSWER);
    await second.request('ACK');
    void answered.dialog.hangup();
    await second.request('BYE');
  });

  it('no answer from the first target: Timer B (64*T1) moves to the second', async () => {
    const { clock, first, second, reply, call } = await setup();
    const out = call();
    await first.request('INVITE');
    clock.advance(64 * 500);
    const inv2 = await second.request('INVITE');
    reply(second, inv2, 486);
    await expect(out.answered).rejects.toMatchObject({ sipStatus: 486 });
  });

  it('a 503 after ringing is final: the callee is not rung twice', async () => {
    const { first, second, reply, call } = await setup();
    const out = call();
    const inv1 = await first.request('INVITE');
    reply(first, inv1, 180);
    reply(first, inv1, 503);
    await expect(out.answered).rejects.toMatchObject({ sipStatus: 503 });
    await expect(second.next((m) => m.kind === 'request', 300)).rejects.toThrow(/timed out/);
  });

  it('every target failing gives the last status', async () => {
    const { first, second, reply, call } = await setup();
    const out = call();
    reply(first, await first.request('INVITE'), 503);
    reply(second, await second.request('INVITE'), 503);
    await expect(out.answered).rejects.toMatchObject({ sipStatus: 503 });
  });
});

describe('OutgoingCall failover over TCP', () => {
  it('a refused TCP connection to the first SRV target moves the INVITE to the second at once', async () => {
    // A reserved port with nothing listening (connection refused), and a live TCP "carrier" that records what it gets.
    const deadPort = await reservePort();
    let received = '';
    const gotInvite = new Promise<void>((resolve) => {
      live.on('connection', (sock) => {
        liveSockets.push(sock);
        sock.setEncoding('utf8').on('data', (d: string) => {
          received += d;
          if (received.includes('\r\n\r\n')) resolve();
        });
      });
    });
    await new Promise<void>((r) => live.listen(0, '127.0.0.1', () => r()));
    const livePort = (live.address() as { port: number }).port;
    const dns = new FakeDns(
      { '_sip._tcp.carrier.test': [{ name: '127.0.0.1', port: deadPort, priority: 1, weight: 0 }, { name: 'sip2.carrier.test', port: livePort, priority: 2, weight: 0 }] },
      { 'sip2.carrier.test': ['127.0.0.1'] },
    );
    ua = new SipUserAgent({ clock: new ManualClock(), logger: silentLogger(), listen: [{ transport: 'tcp', host: '127.0.0.1', port: 0 }], dns });
    ua.onIncomingCall(() => {});
    await ua.start();
    const out = ua.placeCall({
      requestUri: 'sip:+15557654321@carrier.test;transport=tcp',
      fromUri: 'sip:+15550100@carrier.test',
      nextHop: { host: 'carrier.test', port: 5060, transport: 'tcp', explicitPort: false },
      sdp: SDP_OFFER,
      ringTimeoutMs: 60_000,
    });
    await gotInvite;
    expect(received).toMatch(/^INVITE sip:\+15557654321@carrier\.test;transport=tcp SIP\/2\.0\r\n/);
    expect(received).toMatch(/Via: SIP\/2\.0\/TCP /);
    out.cancel();
    await expect(out.answered).rejects.toMatchObject({ sipStatus: 487 });
  });
});

const live = (await import('node:net')).createServer();
const liveSockets: import('node:net').Socket[] = [];
afterEach(async () => {
  for (const s of liveSockets.splice(0)) s.destroy();
  if (live.listening) await new Promise<void>((r) => live.close(() => r()));
});
