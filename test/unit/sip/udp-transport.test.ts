import { createSocket } from 'node:dgram';
import { readdirSync, readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger, silentLogger } from '../../../src/core/logger.js';
import { SipIngress } from '../../../src/sip/security/ingress.js';
import type { SipMessage } from '../../../src/sip/message/types.js';
import { parseSipMessage } from '../../../src/sip/parser/parse.js';
import { UdpTransport } from '../../../src/sip/transport/udp.js';
import type { SipEndpoint } from '../../../src/sip/transport/transport.js';
import { waitFor } from '../../helpers/wait-for.js';

const options = readFileSync(join(import.meta.dirname, '../../../fixtures/sip/valid/options.sip'));
const open: Array<{ close(): unknown }> = [];

afterEach(async () => {
  for (const o of open.splice(0)) await o.close();
});

async function transport(host = '127.0.0.1', maxMessageBytes?: number) {
  const t = new UdpTransport({ host, port: 0, logger: silentLogger(), ...(maxMessageBytes ? { maxMessageBytes } : {}) });
  await t.listen();
  open.push(t);
  const got: Array<{ msg: SipMessage; source: SipEndpoint }> = [];
  t.onMessage((msg, source) => got.push({ msg, source }));
  return { t, got };
}

async function client(type: 'udp4' | 'udp6' = 'udp4', host = '127.0.0.1') {
  const s = createSocket(type);
  await new Promise<void>((r) => s.bind(0, host, () => r()));
  open.push({ close: () => new Promise<void>((r) => s.close(() => r())) });
  const received: Buffer[] = [];
  s.on('message', (b) => received.push(b));
  return { s, received, port: s.address().port };
}

async function until(cond: () => boolean, ms = 2000) {
  await waitFor(cond, { timeoutMs: ms, intervalMs: 5 });
}

describe('UdpTransport', () => {
  it('binds port 0 and reports the real port; delivers messages with received/rport stamped', async () => {
    const { t, got } = await transport();
    const local = t.localAddress();
    expect(local.port).toBeGreaterThan(0);
    const c = await client();
    const text = options.toString().replace('branch=z9hG4bKopt01', 'branch=z9hG4bKopt01;rport');
    c.s.send(Buffer.from(text), local.port, '127.0.0.1');
    await until(() => got.length === 1);
    expect(got[0].source).toEqual({ address: '127.0.0.1', port: c.port, transport: 'udp' });
    expect(got[0].msg.headers.get('Via')).toBe(`SIP/2.0/UDP 192.0.2.30:5060;branch=z9hG4bKopt01;rport=${c.port};received=127.0.0.1`);
  });

  it('drops oversized datagrams, keep-alives and garbage, answers 400 to a routable bad request, keeps serving', async () => {
    const { t, got } = await transport('127.0.0.1', 2000);
    const c = await client();
    const port = t.localAddress().port;
    c.s.send(Buffer.alloc(3000, 0x41), port, '127.0.0.1');
    c.s.send(Buffer.from('\r\n\r\n'), port, '127.0.0.1');
    c.s.send(Buffer.from([1, 2, 3, 255]), port, '127.0.0.1');
    const bad = options
      .toString()
      .replace('192.0.2.30:5060;branch=z9hG4bKopt01', `127.0.0.1:${c.port};branch=z9hG4bKopt01`)
      .replace('Max-Forwards: 70', 'Max-Forwards: many');
    c.s.send(Buffer.from(bad), port, '127.0.0.1');
    await until(() => c.received.length === 1);
    const res = parseSipMessage(c.received[0]);
    expect(res.kind === 'response' && res.status).toBe(400);
    expect(res.headers.get('To')).toMatch(/;tag=/);
    c.s.send(options, port, '127.0.0.1');
    await until(() => got.length === 1);
    expect(got).toHaveLength(1);
  });

  it('sends messages and rejects after close; close is idempotent', async () => {
    const { t } = await transport();
    const c = await client();
    const msg = parseSipMessage(options);
    await t.send(msg, { address: '127.0.0.1', port: c.port });
    await until(() => c.received.length === 1);
    expect(c.received[0].toString()).toContain('Content-Length: 0\r\n\r\n');
    await t.close();
    await t.close();
    await expect(t.send(msg, { address: '127.0.0.1', port: c.port })).rejects.toThrow();
  });

  it('works over IPv6 loopback', async () => {
    let t: UdpTransport;
    let got: Array<{ msg: SipMessage; source: SipEndpoint }>;
    try {
      ({ t, got } = await transport('::1'));
    } catch {
      return; // no IPv6 on this host
    }
    const c = await client('udp6', '::1');
    c.s.send(options, t.localAddress().port, '::1');
    await until(() => got.length === 1);
    expect(got[0].source.address).toBe('::1');
    expect(got[0].msg.headers.get('Via')).toContain('received=::1');
    await t.send(got[0].msg, { address: '::1', port: c.port });
    await until(() => c.received.length === 1);
  });

  /** Every raw fixture of a broken or hostile message (RFC 4475-style and the fuzzers' crash classes). */
  const hostile = ['sip/invalid', 'fuzz/sip'].flatMap((dir) => {
    const root = join(import.meta.dirname, '../../../fixtures', dir);
    return readdirSync(root).map((f) => [`${dir}/${f}`, readFileSync(join(root, f))] as const);
  });

  it.each(hostile)('survives %s with throwing listeners and observer: logged at error level, socket keeps serving', async (_name, raw) => {
    const lines: Array<{ level: number; msg: string }> = [];
    const logger = createLogger({
      level: 'debug',
      destination: new Writable({ write: (c: Buffer, _e, cb) => (lines.push(JSON.parse(c.toString()) as { level: number; msg: string }), cb()) }),
    });
    // A bug in what the transport calls out to (metrics observer, malformed listener, the UA) must stay a log line.
    const ingress = new SipIngress({ logger, serverName: 't', observer: { rejected: () => { throw new Error('observer bug'); } } });
    const t = new UdpTransport({ host: '127.0.0.1', port: 0, logger, ingress });
    await t.listen();
    open.push(t);
    const got: SipMessage[] = [];
    t.onMalformed(() => { throw new Error('listener bug'); });
    t.onMessage((msg) => {
      got.push(msg);
      throw new Error('handler bug');
    });
    const c = await client();
    const port = t.localAddress().port;
    c.s.send(raw, port, '127.0.0.1');
    c.s.send(options, port, '127.0.0.1');
    await until(() => got.some((m) => m.headers.get('Call-ID') === parseSipMessage(options).headers.get('Call-ID')));
    expect(lines.filter((l) => l.level >= 50).length).toBeGreaterThan(0);
    expect(lines.filter((l) => l.level >= 50).every((l) => /handler threw|listener threw|could not be checked/.test(l.msg))).toBe(true);
  });
});
