import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../../src/core/clock.js';
import { silentLogger } from '../../../../src/core/logger.js';
import { topViaOf } from '../../../../src/sip/message/accessors.js';
import type { SipMessage } from '../../../../src/sip/message/types.js';
import { parseSipMessage } from '../../../../src/sip/parser/parse.js';
import { SipStreamFramer } from '../../../../src/sip/parser/framer.js';
import { FloodGuard } from '../../../../src/sip/security/flood-guard.js';
import { SipIngress, type SipGuardReason } from '../../../../src/sip/security/ingress.js';
import { DEFAULT_SCANNER_USER_AGENTS } from '../../../../src/sip/security/scanners.js';
import { StreamTransport } from '../../../../src/sip/transport/stream.js';
import type { SipEndpoint } from '../../../../src/sip/transport/transport.js';
import { UdpTransport } from '../../../../src/sip/transport/udp.js';
import { waitFor } from '../../../helpers/wait-for.js';

const SOURCE: SipEndpoint = { address: '203.0.113.5', port: 40000, transport: 'udp' };

function request(o: { method?: string; via?: string; headers?: string[]; body?: string; callId?: string } = {}): Buffer {
  const method = o.method ?? 'OPTIONS';
  const body = o.body ?? '';
  return Buffer.from(
    [
      `${method} sip:bot@192.0.2.1 SIP/2.0`,
      `Via: ${o.via ?? 'SIP/2.0/UDP 203.0.113.5:5060;branch=z9hG4bKing1'}`,
      'Max-Forwards: 70',
      'From: <sip:a@example.com>;tag=1',
      'To: <sip:bot@example.com>',
      `Call-ID: ${o.callId ?? 'ing-1'}`,
      `CSeq: 1 ${method}`,
      ...(o.headers ?? []),
      `Content-Length: ${Buffer.byteLength(body)}`,
      '',
      body,
    ].join('\r\n'),
  );
}

function ingress(extra: { flood?: FloodGuard } = {}) {
  const seen: SipGuardReason[] = [];
  const banned: string[] = [];
  const ing = new SipIngress({
    logger: silentLogger(),
    serverName: 'tb',
    scannerUserAgents: DEFAULT_SCANNER_USER_AGENTS,
    observer: { rejected: (r) => seen.push(r), banned: (a) => banned.push(a) },
    ...extra,
  });
  return { ing, seen, banned };
}

describe('SipIngress: one path for every transport', () => {
  const table: Array<{ name: string; raw: Buffer; kind: string; reason?: SipGuardReason; status?: number }> = [
    { name: 'a good request', raw: request(), kind: 'message' },
    { name: 'a request without User-Agent', raw: request({ headers: [] }), kind: 'message' },
    { name: 'a normal User-Agent', raw: request({ headers: ['User-Agent: Asterisk PBX 20'] }), kind: 'message' },
    { name: 'sipvicious', raw: request({ headers: ['User-Agent: friendly-scanner'] }), kind: 'drop', reason: 'scanner' },
    { name: 'a malformed request', raw: request({ method: 'INVITE' }).toString().replace('CSeq: 1 INVITE', 'CSeq: abcdefg') as unknown as Buffer, kind: 'answer', reason: 'malformed', status: 400 },
    { name: 'a 20 KB request', raw: request({ headers: [`X-Pad: ${'p'.repeat(3000)}`, ...Array.from({ length: 6 }, (_, i) => `X-Pad${i}: ${'p'.repeat(3000)}`)] }), kind: 'answer', reason: 'oversize', status: 513 },
    { name: 'too many Vias', raw: request({ headers: Array.from({ length: 20 }, (_, i) => `Via: SIP/2.0/UDP 10.0.0.${i};branch=z9hG4bKv${i}`) }), kind: 'answer', reason: 'too-many-vias', status: 513 },
    { name: 'a big body', raw: request({ headers: ['Content-Type: text/plain'], body: 'x'.repeat(11_000) }), kind: 'answer', reason: 'body-too-large', status: 413 },
    { name: 'an ACK over a limit (never answered)', raw: request({ method: 'ACK', headers: Array.from({ length: 20 }, (_, i) => `Via: SIP/2.0/UDP 10.0.0.${i};branch=z9hG4bKa${i}`) }), kind: 'drop', reason: 'too-many-vias' },
    { name: 'a response in SIP/3.0', raw: Buffer.from('SIP/3.0 200 OK\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKr\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:c@d>;tag=2\r\nCall-ID: r\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n'), kind: 'drop', reason: 'bad-version' },
  ];
  for (const c of table) {
    it(`${c.name}: ${c.kind}${c.status ? ` ${c.status}` : ''}`, () => {
      const { ing, seen } = ingress();
      const raw = typeof c.raw === 'string' ? Buffer.from(c.raw) : c.raw;
      const out = ing.receive(raw, SOURCE, 'datagram');
      expect(out.kind).toBe(c.kind);
      if (out.kind === 'answer') expect(out.response.status).toBe(c.status);
      expect(seen).toEqual(c.reason ? [c.reason] : []);
    });
  }

  it('answers go to the source, not to a forged received or maddr', () => {
    const { ing } = ingress();
    const out = ing.receive(request({ via: 'SIP/2.0/UDP 203.0.113.5:5060;received=198.51.100.77;maddr=198.51.100.77;branch=z9hG4bKf', headers: Array.from({ length: 20 }, (_, i) => `Via: SIP/2.0/UDP 10.0.0.${i};branch=z9hG4bKv${i}`) }), SOURCE, 'datagram');
    expect(out.kind).toBe('answer');
    if (out.kind === 'answer') expect(topViaOf(out.response).params.get('received')).toBe('203.0.113.5');
  });

  it('a source over budget is banned: one ban, the rest dropped before parsing, other sources unaffected', () => {
    const clock = new ManualClock();
    const { ing, seen, banned } = ingress({ flood: new FloodGuard({ clock, untrusted: { rate: 1, burst: 3 } }) });
    const verdicts = Array.from({ length: 10 }, () => ing.receive(request(), SOURCE, 'datagram').kind);
    expect(verdicts).toEqual(['message', 'message', 'message', 'drop', 'drop', 'drop', 'drop', 'drop', 'drop', 'drop']);
    expect(seen).toEqual(['flood', ...Array(6).fill('banned')]);
    expect(banned).toEqual(['203.0.113.5']);
    // Garbage from a banned source is not even parsed (no 400, no 'malformed').
    expect(ing.receive(Buffer.from('garbage'), SOURCE, 'datagram')).toMatchObject({ kind: 'drop', reason: 'banned', closeConnection: true });
    expect(ing.receive(request(), { ...SOURCE, address: '203.0.113.6' }, 'datagram').kind).toBe('message');
    // Once we send requests to it (say, an outbound call), its answers get the trusted budget.
    ing.trustPeer('::ffff:203.0.113.5');
    expect(ing.receive(request(), SOURCE, 'datagram').kind).toBe('message');
  });
});

describe('UDP and TCP share one ingress', () => {
  let udp: UdpTransport | undefined;
  let tcp: StreamTransport | undefined;
  afterEach(async () => {
    await udp?.close();
    await tcp?.close();
  });

  it('one budget per source across transports (connections spend it too); scanners and limits answered alike; a banned source cannot connect', async () => {
    const clock = new ManualClock();
    const { ing, seen } = ingress({ flood: new FloodGuard({ clock, untrusted: { rate: 1, burst: 5 } }) });
    const got: SipMessage[] = [];
    udp = new UdpTransport({ host: '127.0.0.1', port: 0, logger: silentLogger(), ingress: ing });
    tcp = new StreamTransport({ transport: 'tcp', host: '127.0.0.1', port: 0, clock, logger: silentLogger(), ingress: ing });
    await udp.listen();
    await tcp.listen();
    udp.onMessage((m) => got.push(m));
    tcp.onMessage((m) => got.push(m));

    const peer = createSocket('udp4');
    await new Promise<void>((r) => peer.bind(0, '127.0.0.1', () => r()));
    const udpAnswers: SipMessage[] = [];
    peer.on('message', (b) => udpAnswers.push(parseSipMessage(b)));
    const via = (t: string, port: number) => `SIP/2.0/${t} 127.0.0.1:${port};branch=z9hG4bK${t}${Math.random().toString(36).slice(2)}`;
    const sendUdp = (raw: Buffer) => peer.send(raw, udp!.localAddress().port, '127.0.0.1');

    const conn = connect({ host: '127.0.0.1', port: tcp.localAddress().port });
    await new Promise<void>((r) => conn.once('connect', () => r()));
    const tcpAnswers: SipMessage[] = [];
    const framer = new SipStreamFramer();
    let tcpClosed = false;
    conn.on('data', (d: Buffer) => framer.push(d).forEach((i) => 'message' in i && tcpAnswers.push(i.message)));
    conn.on('close', () => (tcpClosed = true));
    conn.on('error', () => undefined);

    // The connection, 1 + 1 good messages, one scanner, one over a limit: 5 tokens, then the 6th bans.
    sendUdp(request({ via: via('UDP', peer.address().port), callId: 'u1' }));
    conn.write(request({ via: via('TCP', 5060), callId: 't1' }));
    await waitFor(() => (got.length === 2 ? true : undefined));
    sendUdp(request({ via: via('UDP', peer.address().port), headers: ['User-Agent: sipcli/v1.8'] }));
    conn.write(request({ via: via('TCP', 5060), body: 'x'.repeat(11_000), headers: ['Content-Type: text/plain'] }));
    await waitFor(() => (tcpAnswers.length === 1 && seen.length === 2 ? true : undefined));
    expect(tcpAnswers[0]).toMatchObject({ kind: 'response', status: 413 });
    expect([...seen].sort()).toEqual(['body-too-large', 'scanner']);
    conn.write(request({ via: via('TCP', 5060), callId: 't2' }));
    await waitFor(() => (tcpClosed ? true : undefined));
    expect(seen[2]).toBe('flood');
    sendUdp(request({ via: via('UDP', peer.address().port), callId: 'u2' }));
    await waitFor(() => (seen.length === 4 ? true : undefined));
    expect(seen[3]).toBe('banned');
    expect(got).toHaveLength(2);
    expect(udpAnswers).toEqual([]);
    // A new connection from the banned source is refused before any byte is read.
    const again = connect({ host: '127.0.0.1', port: tcp.localAddress().port });
    again.on('error', () => undefined);
    await new Promise<void>((r) => again.once('close', () => r()));
    await waitFor(() => (seen.length === 5 ? true : undefined));
    expect(seen[4]).toBe('banned-connection');
    peer.close();
  });
});

describe('a stream message over the size limit', () => {
  it('cuts the connection (framing is lost) and counts it as oversize', async () => {
    const { ing, seen } = ingress();
    const tcp = new StreamTransport({ transport: 'tcp', host: '127.0.0.1', port: 0, clock: new ManualClock(), logger: silentLogger(), ingress: ing });
    await tcp.listen();
    try {
      const conn = connect({ host: '127.0.0.1', port: tcp.localAddress().port });
      conn.on('error', () => undefined);
      const closed = new Promise<void>((r) => conn.once('close', () => r()));
      await new Promise<void>((r) => conn.once('connect', () => r()));
      conn.write(request({ via: 'SIP/2.0/TCP 127.0.0.1:5060;branch=z9hG4bKbig', headers: ['Content-Type: text/plain'], body: 'x'.repeat(17_000) }));
      await closed;
      expect(seen).toEqual(['oversize']);
    } finally {
      await tcp.close();
    }
  });
});
