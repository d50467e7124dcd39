/**
 * Fuzz targets for SIP: the datagram parser with every header view the user agent reads, the stateless 400
 * builder, and the stream framer fed the same bytes in random chunks.
 */
import fc from 'fast-check';
import { SipParseError } from '../../src/core/errors.js';
import {
  callIdOf,
  contactsOf,
  contentLengthOf,
  contentTypeOf,
  cseqOf,
  fromOf,
  maxForwardsOf,
  optionTagsOf,
  tagOf,
  toOf,
  viasOf,
} from '../../src/sip/message/accessors.js';
import { serializeSipMessage } from '../../src/sip/message/serialize.js';
import type { SipMessage } from '../../src/sip/message/types.js';
import { decodeUser, formatNameAddr, parseNameAddr, parseUri } from '../../src/sip/message/uri.js';
import { SipStreamFramer } from '../../src/sip/parser/framer.js';
import { parseSipMessage } from '../../src/sip/parser/parse.js';
import { badRequestFor } from '../../src/sip/transport/bad-request.js';
import { responseDestination, stampReceived } from '../../src/sip/transport/response-routing.js';
import { sdpOf } from '../../src/sip/ua/body.js';
import { decideSessionTimer } from '../../src/sip/ua/session-timer.js';
import { sipfragStatus } from '../../src/sip/ua/refer.js';
import { parseInfoDtmf } from '../../src/calls/dtmf-info.js';
import { sipCorpus } from './corpus.js';
import { fuzzBytes } from './mutator.js';
import { only, type FuzzTarget } from './runner.js';

const TYPED = [SipParseError];
const SOURCE = { address: '127.0.0.1', port: 5099, transport: 'udp' as const };

function fail(what: string): never {
  throw new Error(what);
}

/** Every view of a parsed message the UA reads: each answers or refuses with SipParseError, nothing else. */
function readViews(msg: SipMessage): void {
  const views: Array<[string, () => unknown]> = [
    ['Via', () => viasOf(msg)],
    ['From', () => fromOf(msg)],
    ['To', () => toOf(msg)],
    ['Call-ID', () => callIdOf(msg)],
    ['CSeq', () => cseqOf(msg)],
    ['Contact', () => contactsOf(msg)],
    ['Max-Forwards', () => maxForwardsOf(msg)],
    ['Content-Length', () => contentLengthOf(msg)],
    ['Content-Type', () => contentTypeOf(msg)],
    ['Supported', () => optionTagsOf(msg, 'Supported')],
    ['body', () => sdpOf(msg)],
    ['Record-Route', () => msg.headers.getList('Record-Route').map(parseNameAddr)],
    ['P-Asserted-Identity', () => msg.headers.getList('P-Asserted-Identity').map(parseNameAddr)],
    ['Refer-To', () => msg.headers.getList('Refer-To').map(parseNameAddr)],
    ['INFO dtmf', () => parseInfoDtmf(msg.headers.get('Content-Type') ?? '', msg.body.toString('utf8'))],
    ['sipfrag', () => sipfragStatus(msg.body.toString('utf8'))],
    ['serialize', () => serializeSipMessage(msg)],
  ];
  for (const [what, view] of views) only(view, TYPED, what);
  const from = only(() => fromOf(msg), TYPED, 'From');
  if (from) {
    // The caller's number as the bot sees it, and the name-addr as we echo it.
    only(() => decodeUser(from.uri.user), TYPED, 'From user');
    only(() => parseNameAddr(formatNameAddr(from)), TYPED, 'From round trip');
    tagOf(from);
  }
  if (msg.kind === 'request') {
    only(() => parseUri(msg.uri), TYPED, 'Request-URI');
    only(() => decideSessionTimer(msg), TYPED, 'Session-Expires');
    // The message parsed, so its Vias did: our own rewrite (received/rport) must leave them readable.
    stampReceived(msg, SOURCE);
    const dest = responseDestination(viasOf(msg)[0]);
    if (!Number.isInteger(dest.port) || dest.port < 0 || dest.port > 65535) fail(`response port ${dest.port} out of range`);
  }
}

/** parseSipMessage plus the views, or the stateless 400 that the transport would send instead. */
export const sipParseTarget: FuzzTarget<Buffer> = {
  name: 'sip-parse',
  arbitrary: fuzzBytes(sipCorpus()),
  check(buf) {
    let msg: SipMessage | undefined;
    try {
      msg = parseSipMessage(buf);
    } catch (err) {
      if (!(err instanceof SipParseError)) fail(`parseSipMessage threw ${(err as Error)?.name}: ${(err as Error)?.message}`);
      // The 400 path never throws and, when it answers, routes to a real port.
      const res = badRequestFor(buf, err, SOURCE, 'trunkbridge');
      if (res) {
        if (res.status !== 400) fail(`stateless answer ${res.status}`);
        const via = viasOf(res)[0];
        const dest = responseDestination(via);
        if (!Number.isInteger(dest.port) || dest.port < 0 || dest.port > 65535) fail(`400 goes to port ${dest.port}`);
        serializeSipMessage(res);
      }
      return;
    }
    readViews(msg);
  },
};

/** The same messages over a stream: any chunking frames the same messages, buffering stays bounded. */
export const sipFramerTarget: FuzzTarget<{ stream: Buffer; cuts: number[] }> = {
  name: 'sip-framer',
  arbitrary: fc
    .array(fuzzBytes(sipCorpus()), { minLength: 1, maxLength: 4 })
    .chain((msgs) => {
      const stream = Buffer.concat(msgs.flatMap((m) => [m, Buffer.from('\r\n')]));
      return fc.record({ stream: fc.constant(stream), cuts: fc.uniqueArray(fc.nat({ max: Math.max(0, stream.length - 1) }), { maxLength: 12 }) });
    }),
  check({ stream, cuts }) {
    const maxMessageBytes = 4096;
    const whole = frameAll(stream, [], maxMessageBytes);
    const chunked = frameAll(stream, cuts, maxMessageBytes);
    // Messages framed before a break come out with it, so any chunking gives exactly the same items and breaks
    // at the same point.
    if (JSON.stringify(whole) !== JSON.stringify(chunked)) {
      fail(`chunking changed the framing: ${JSON.stringify(whole)} vs ${JSON.stringify(chunked)}`);
    }
  },
};

/** Frames `stream` cut at `cuts`; returns one label per item ("msg:<len>", "err:<len>", "broken"). */
function frameAll(stream: Buffer, cuts: number[], maxMessageBytes: number): string[] {
  const framer = new SipStreamFramer({ maxMessageBytes });
  const labels: string[] = [];
  const points = [...cuts, stream.length].sort((a, b) => a - b);
  let from = 0;
  for (const to of points) {
    if (to <= from) continue;
    let items;
    try {
      items = framer.push(stream.subarray(from, to));
    } catch (err) {
      fail(`framer threw ${(err as Error)?.name}: ${(err as Error)?.message}`);
      return labels;
    }
    for (const item of items) {
      if (!('message' in item) && !(item.error instanceof SipParseError)) fail('framer item error is untyped');
      if ('fatal' in item) {
        labels.push('broken');
        return labels;
      }
      labels.push('message' in item ? `msg:${item.raw.length}` : `err:${item.raw.length}`);
      if ('message' in item) readViews(item.message);
    }
    // Bounded memory: what waits for the rest of a message never exceeds the limit (plus the chunk just read).
    if (framer.pendingBytes > maxMessageBytes + (to - from)) fail(`framer holds ${framer.pendingBytes} bytes`);
    from = to;
  }
  return labels;
}
