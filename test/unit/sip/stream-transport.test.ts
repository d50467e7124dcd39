import { SipIngress } from '../../../src/sip/security/ingress.js';
import { DEFAULT_MESSAGE_LIMITS } from '../../../src/sip/security/limits.js';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/logger.js';
import { buildResponse } from '../../../src/sip/message/build.js';
import type { SipMessage, SipRequest } from '../../../src/sip/message/types.js';
import { SipStreamFramer } from '../../../src/sip/parser/framer.js';
import { StreamTransport } from '../../../src/sip/transport/stream.js';
import type { SipEndpoint } from '../../../src/sip/transport/transport.js';
import { makeTestCert, type TestCert } from './helpers/test-cert.js';
import { waitFor } from '../../helpers/wait-for.js';

function request(callId: string, extra = '', body = ''): string {
  return (
    `OPTIONS sip:bridge@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:5999;branch=z9hG4bK${callId}\r\n` +
    `From: <sip:carrier@127.0.0.1>;tag=a1\r\nTo: <sip:bridge@127.0.0.1>\r\nCall-ID: ${callId}\r\nCSeq: 1 OPTIONS\r\n` +
    `Max-Forwards: 70\r\nContact: <sip:carrier@127.0.0.1:5999;transport=tcp>\r\n${extra}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
  );
}

/** A raw client connection that collects framed SIP messages. */
class RawStreamClient {
  readonly messages: SipMessage[] = [];
  readonly raw: Buffer[] = [];
  closed = false;
  private readonly framer = new SipStreamFramer();
  constructor(readonly socket: Socket) {
    socket.on('data', (d: Buffer) => {
      this.raw.push(d);
      if (/^(\r\n)+$/.test(d.toString('latin1'))) return;
      for (const item of this.framer.push(d)) if ('message' in item) this.messages.push(item.message);
    });
    socket.on('close', () => (this.closed = true));
    socket.on('error', () => undefined);
  }
  static async open(port: number): Promise<RawStreamClient> {
    const s = connect({ host: '127.0.0.1', port });
    await new Promise<void>((r, j) => s.once('connect', () => r()).once('error', j));
    return new RawStreamClient(s);
  }
  write(text: string | Buffer): void {
    this.socket.write(text);
  }
  async waitFor<T>(get: () => T | undefined, ms = 2000): Promise<NonNullable<T>> {
    return waitFor(get, { timeoutMs: ms, intervalMs: 5 });
  }
}

let transport: StreamTransport | undefined;
let clients: RawStreamClient[] = [];
let cert: TestCert | undefined;
afterEach(async () => {
  for (const c of clients) c.socket.destroy();
  clients = [];
  await transport?.close();
  transport = undefined;
  cert?.cleanup();
  cert = undefined;
});

async function start(clock = new ManualClock(), extra: Partial<ConstructorParameters<typeof StreamTransport>[0]> = {}) {
  transport = new StreamTransport({ transport: 'tcp', host: '127.0.0.1', port: 0, clock, logger: silentLogger(), ...extra });
  const got: Array<{ msg: SipMessage; source: SipEndpoint }> = [];
  transport.onMessage((msg, source) => got.push({ msg, source }));
  await transport.listen();
  return { transport, got, port: transport.localAddress().port, clock };
}

async function client(port: number) {
  const c = await RawStreamClient.open(port);
  clients.push(c);
  return c;
}

describe('StreamTransport (TCP)', () => {
  it('frames messages split byte by byte and coalesced in one chunk, and stamps received', async () => {
    const { got, port } = await start();
    const c = await client(port);
    const one = Buffer.from(request('split-1', '', 'hello'));
    for (let i = 0; i < one.length; i += 7) c.write(one.subarray(i, i + 7));
    await c.waitFor(() => got.length === 1);
    expect((got[0].msg as SipRequest).body.toString()).toBe('hello');
    expect(got[0].source.transport).toBe('tcp');
    c.write(request('co-2') + '\r\n\r\n' + request('co-3', '', 'xy') + request('co-4'));
    await c.waitFor(() => got.length === 4);
    expect(got.map((g) => g.msg.headers.get('Call-ID'))).toEqual(['split-1', 'co-2', 'co-3', 'co-4']);
    expect(got[2].msg.body.toString()).toBe('xy');
  });

  it('answers a double-CRLF ping with a CRLF pong (RFC 5626)', async () => {
    const { port } = await start();
    const c = await client(port);
    c.write('\r\n\r\n');
    await c.waitFor(() => c.raw.some((d) => d.toString() === '\r\n'));
  });

  it('sends responses back on the connection the request came on, and requests to its Via/Contact address over it', async () => {
    const { transport: t, got, port } = await start();
    const c = await client(port);
    c.write(request('reuse-1'));
    await c.waitFor(() => got.length === 1);
    const req = got[0].msg as SipRequest;
    await t.send(buildResponse(req, 200), { address: got[0].source.address, port: got[0].source.port });
    await c.waitFor(() => c.messages.length === 1);
    expect(c.messages[0].kind === 'response' && c.messages[0].status).toBe(200);
    // An in-dialog request to the Contact address 127.0.0.1:5999 (nothing listens there) reuses the connection.
    const bye = { ...req, method: 'BYE', headers: req.headers.clone() };
    bye.headers.set('CSeq', '2 BYE');
    await t.send(bye, { address: '127.0.0.1', port: 5999 });
    await c.waitFor(() => c.messages.length === 2);
    expect(c.messages[1].kind === 'request' && c.messages[1].method).toBe('BYE');
    expect(t.connectionCount).toBe(1);
  });

  it('answers 400 to a framed but malformed request and keeps the connection', async () => {
    const { got, port } = await start();
    const c = await client(port);
    c.write(request('bad-1').replace('CSeq: 1 OPTIONS', 'CSeq: 1 INVITE'));
    await c.waitFor(() => c.messages.length === 1);
    expect(c.messages[0].kind === 'response' && c.messages[0].status).toBe(400);
    c.write(request('good-2'));
    await c.waitFor(() => got.length === 1);
    expect(c.closed).toBe(false);
  });

  it('cuts a stream without Content-Length, an oversized message and an endless head', async () => {
    const { got, port } = await start(new ManualClock(), {
      ingress: new SipIngress({ logger: silentLogger(), serverName: 't', limits: { ...DEFAULT_MESSAGE_LIMITS, maxMessageBytes: 4096 } }),
    });
    const noLength = await client(port);
    noLength.write(request('nolen').replace(/Content-Length: 0\r\n/, ''));
    await noLength.waitFor(() => noLength.closed);
    const big = await client(port);
    big.write(request('big', '', 'x'.repeat(5000)));
    await big.waitFor(() => big.closed);
    const endless = await client(port);
    for (let i = 0; i < 10 && !endless.closed; i++) endless.write(`X-Filler-${i}: ${'y'.repeat(1000)}\r\n`);
    await endless.waitFor(() => endless.closed);
    expect(got).toHaveLength(0);
  });

  it('delivers the messages before a framing error in the same chunk, answers a malformed one, then cuts', async () => {
    const { got, port } = await start();
    const c = await client(port);
    const malformed = request('bad-x').replace('CSeq: 1 OPTIONS', 'CSeq: 1 INVITE');
    c.write(request('before-1') + malformed + request('before-2') + request('nolen').replace(/Content-Length: 0\r\n/, ''));
    await c.waitFor(() => (c.closed ? true : undefined));
    expect(got.map((g) => g.msg.headers.get('Call-ID'))).toEqual(['before-1', 'before-2']);
    expect(c.messages.map((m) => m.kind === 'response' && m.status)).toEqual([400]);
  });

  it('closes idle connections and stalled partial messages on the injected clock', async () => {
    const clock = new ManualClock();
    const { transport: t, port } = await start(clock, { idleTimeoutMs: 60_000, incompleteMessageTimeoutMs: 10_000 });
    const idle = await client(port);
    const stalled = await client(port);
    stalled.write(request('stall').slice(0, 40));
    await stalled.waitFor(() => t.connectionCount === 2 && clock.pending() >= 3);
    clock.advance(10_001);
    await stalled.waitFor(() => stalled.closed);
    expect(idle.closed).toBe(false);
    clock.advance(60_000);
    await idle.waitFor(() => idle.closed);
    await idle.waitFor(() => t.connectionCount === 0);
  });

  it('refuses connections over the per-source limit', async () => {
    const { transport: t, port } = await start(new ManualClock(), { maxConnectionsPerSource: 2 });
    const a = await client(port);
    const b = await client(port);
    await a.waitFor(() => t.connectionCount === 2);
    const c = await client(port);
    await c.waitFor(() => c.closed);
    expect(a.closed || b.closed).toBe(false);
    a.socket.destroy();
    await a.waitFor(() => t.connectionCount === 1);
    const d = await client(port);
    d.write(request('after-limit'));
    await new Promise((r) => setTimeout(r, 50));
    expect(d.closed).toBe(false);
  });
});

describe('StreamTransport (TLS)', () => {
  it('serves SIP over TLS with a cert/key from files', async () => {
    cert = makeTestCert();
    const { got, transport: t } = await start(new ManualClock(), { transport: 'tls', certFile: cert.certFile, keyFile: cert.keyFile });
    const port = t.localAddress().port;
    const socket = tlsConnect({ host: '127.0.0.1', port, ca: [readFileSync(cert.certFile)], servername: 'localhost' });
    await new Promise<void>((r, j) => socket.once('secureConnect', () => r()).once('error', j));
    const c = new RawStreamClient(socket);
    clients.push(c);
    c.write(request('tls-1').replace('SIP/2.0/TCP', 'SIP/2.0/TLS'));
    await c.waitFor(() => got.length === 1);
    expect(got[0].source.transport).toBe('tls');
    await t.send(buildResponse(got[0].msg as SipRequest, 200), got[0].source);
    await c.waitFor(() => c.messages.length === 1);
  });

  it('refuses to listen without cert and key', async () => {
    const t = new StreamTransport({ transport: 'tls', host: '127.0.0.1', port: 0, clock: new ManualClock(), logger: silentLogger() });
    await expect(t.listen()).rejects.toThrow(/certFile/);
  });
});
