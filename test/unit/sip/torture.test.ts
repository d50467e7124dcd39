/**
 * RFC 4475 (SIP torture messages) and RFC 5118 (IPv6 torture messages), written into fixtures/sip/rfc4475 and
 * fixtures/sip/rfc5118 with an expected.json per directory: the parser verdict for every message, the fields
 * a valid one must parse to, and the status a running SipUserAgent answers on UDP loopback.
 */
import { createSocket, type Socket } from 'node:dgram';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IncomingCallSignal } from '../../../src/calls/signaling.js';
import { ManualClock } from '../../../src/core/clock.js';
import { SipParseError } from '../../../src/core/errors.js';
import { silentLogger } from '../../../src/core/logger.js';
import {
  callIdOf,
  contactsOf,
  contentTypeOf,
  cseqOf,
  fromOf,
  maxForwardsOf,
  tagOf,
  toOf,
  viasOf,
} from '../../../src/sip/message/accessors.js';
import type { SipMessage } from '../../../src/sip/message/types.js';
import { decodeUser, parseUri } from '../../../src/sip/message/uri.js';
import { parseVia, viaBranch } from '../../../src/sip/message/via.js';
import { parseSipMessage } from '../../../src/sip/parser/parse.js';
import { splitHead } from '../../../src/sip/parser/head.js';
import { responseDestination } from '../../../src/sip/transport/response-routing.js';
import { SipUserAgent } from '../../../src/sip/ua/user-agent.js';
import { waitFor } from '../../helpers/wait-for.js';

interface Expectation {
  section: string;
  parse: 'ok' | 'error';
  /** Status the UA answers; null: no answer is possible; absent: not asserted (calls handed to the handler). */
  ua?: number | null;
  facts?: Record<string, unknown>;
}

const root = join(import.meta.dirname, '../../../fixtures/sip');

function load(dir: string) {
  const expected = JSON.parse(readFileSync(join(root, dir, 'expected.json'), 'utf8')) as Record<string, Expectation>;
  const files = readdirSync(join(root, dir)).filter((f) => f.endsWith('.sip')).sort();
  return files.map((f) => {
    const name = f.replace(/\.sip$/, '');
    return { name, raw: readFileSync(join(root, dir, f)), expect: expected[name] };
  });
}

function facts(msg: SipMessage): Record<string, unknown> {
  const from = fromOf(msg);
  const vias = viasOf(msg);
  const ruri = msg.kind === 'request' ? parseUri(msg.uri) : undefined;
  return {
    kind: msg.kind,
    method: msg.kind === 'request' ? msg.method : undefined,
    status: msg.kind === 'response' ? msg.status : undefined,
    reason: msg.kind === 'response' ? msg.reason : undefined,
    callId: callIdOf(msg),
    cseq: cseqOf(msg),
    fromTag: tagOf(from) ?? null,
    toTag: tagOf(toOf(msg)) ?? null,
    fromDisplayName: from.displayName,
    fromUser: decodeUser(from.uri.user),
    requestUser: ruri ? decodeUser(ruri.user) : undefined,
    requestHost: ruri?.host,
    requestPort: ruri ? (ruri.port ?? null) : undefined,
    viaCount: vias.length,
    topViaHost: vias[0].host,
    topViaBranch: viaBranch(vias[0]) ?? null,
    contentType: contentTypeOf(msg),
    bodyLength: msg.body.length,
    recordRoutes: msg.headers.getList('Record-Route').length,
    routes: msg.headers.getList('Route').length,
    contactHost: contactsOf(msg).contacts[0]?.uri.host,
    contactCount: contactsOf(msg).contacts.length,
    maxForwards: maxForwardsOf(msg),
  };
}

const suites = [
  { dir: 'rfc4475', count: 49 },
  { dir: 'rfc5118', count: 12 },
];

for (const { dir, count } of suites) {
  describe(`${dir} parser verdicts`, () => {
    const cases = load(dir);
    it(`has all ${count} messages, each with an expectation`, () => {
      expect(cases).toHaveLength(count);
      for (const c of cases) expect(c.expect, c.name).toBeDefined();
    });
    for (const c of cases) {
      it(`${c.name} (§${c.expect?.section}) → ${c.expect?.parse}`, () => {
        if (c.expect.parse === 'error') {
          expect(() => parseSipMessage(c.raw)).toThrow(SipParseError);
          return;
        }
        const got = facts(parseSipMessage(c.raw));
        for (const [key, value] of Object.entries(c.expect.facts ?? {})) expect(got[key], `${c.name}: ${key}`).toEqual(value);
      });
    }
  });
}

describe('torture messages against a running UA on UDP loopback', () => {
  // The messages' Vias name example hosts and no rport, so answers go to the packet source address with the
  // Via port (§18.2.2). The test sends from 127.77.0.1 and listens there on that port.
  const SOURCE = '127.77.0.1';
  let ua: SipUserAgent;
  let uaPort: number;
  const calls: IncomingCallSignal[] = [];

  beforeAll(async () => {
    ua = new SipUserAgent({ clock: new ManualClock(), logger: silentLogger(), listen: [{ transport: 'udp', host: '127.0.0.1', port: 0 }] });
    ua.onIncomingCall((c) => {
      calls.push(c);
      c.reject(480);
    });
    await ua.start();
    uaPort = ua.boundAddresses()[0].port;
  });
  afterAll(async () => {
    await ua.stop();
  });

  /** Port the UA will answer on: computed from the top Via as the UA would, 5060 when it does not parse. */
  function replyPort(raw: Buffer, ownPort: number): number {
    try {
      const head = splitHead(raw);
      const viaLine = head.headers.find(([n]) => /^(via|v)$/i.test(n));
      const via = parseVia(viaLine![1].split(',')[0]);
      if (via.params.has('rport')) return ownPort;
      return responseDestination(via).port;
    } catch {
      return 5060;
    }
  }

  async function exchange(raw: Buffer, waitMs: number): Promise<string[]> {
    const probe = createSocket('udp4');
    await new Promise<void>((r) => probe.bind(0, SOURCE, () => r()));
    const port = replyPort(raw, probe.address().port);
    let listener: Socket = probe;
    if (port !== probe.address().port) {
      listener = createSocket({ type: 'udp4', reuseAddr: true });
      // Fails fast (instead of hanging) when another process holds that port on all addresses.
      await new Promise<void>((r, j) => {
        listener.once('error', j);
        listener.bind(port, SOURCE, () => r());
      });
    }
    const got: string[] = [];
    listener.on('message', (m) => got.push(m.toString('utf8')));
    try {
      await new Promise<void>((r, j) => probe.send(raw, uaPort, '127.0.0.1', (e) => (e ? j(e) : r())));
      // No final response within waitMs is a result too (the caller checks what came back).
      await waitFor(() => got.some((m) => /^SIP\/2\.0 [2-6]/.test(m)), { timeoutMs: waitMs, intervalMs: 5, onTimeout: 'resolve' });
    } finally {
      probe.close();
      if (listener !== probe) listener.close();
    }
    return got;
  }

  const all = suites.flatMap(({ dir }) => load(dir).map((c) => ({ ...c, dir })));
  for (const c of all) {
    if (c.expect.ua === undefined) continue;
    it(`${c.dir}/${c.name} → ${c.expect.ua ?? 'no answer'}, then OPTIONS still answered`, async () => {
      const responses = await exchange(c.raw, c.expect.ua === null ? 150 : 2000);
      const finals = responses.filter((m) => /^SIP\/2\.0 [2-6]/.test(m)).map((m) => Number(m.slice(8, 11)));
      if (c.expect.ua === null) expect(finals).toEqual([]);
      else expect(finals[0], responses.join('\n---\n')).toBe(c.expect.ua);
      const health = await exchange(
        Buffer.from(
          `OPTIONS sip:health@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP ${SOURCE};branch=z9hG4bK${c.name.replace(/\W/g, '')}${Date.now()};rport\r\n` +
            `From: <sip:probe@example.com>;tag=1\r\nTo: <sip:health@127.0.0.1>\r\nCall-ID: health-${c.name}-${Date.now()}\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n`,
        ),
        2000,
      );
      expect(health.some((m) => m.startsWith('SIP/2.0 200'))).toBe(true);
    });
  }
});
