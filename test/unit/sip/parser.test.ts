import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SipParseError } from '../../../src/core/errors.js';
import { serializeSipMessage } from '../../../src/sip/message/serialize.js';
import { SipStreamFramer } from '../../../src/sip/parser/framer.js';
import { parseSipMessage } from '../../../src/sip/parser/parse.js';

const fixtures = join(import.meta.dirname, '../../../fixtures/sip/valid');
const invite = readFileSync(join(fixtures, 'invite-carrier.sip'));
const bye = readFileSync(join(fixtures, 'bye.sip'));
const options = readFileSync(join(fixtures, 'options.sip'));

describe('parseSipMessage edge cases', () => {
  it('accepts bare LF line ends', () => {
    const lf = Buffer.from(options.toString('latin1').replace(/\r\n/g, '\n'), 'latin1');
    const msg = parseSipMessage(lf);
    expect(msg.kind === 'request' && msg.method).toBe('OPTIONS');
  });

  it('without Content-Length on a datagram the body is the rest; with exact framing it is an error', () => {
    const text = options.toString().replace('Content-Length: 0\r\n', '') + 'body';
    expect(parseSipMessage(Buffer.from(text)).body.toString()).toBe('body');
    expect(() => parseSipMessage(Buffer.from(text), { framing: 'exact' })).toThrow(SipParseError);
  });

  it('serializes with CRLF and a computed Content-Length', () => {
    const msg = parseSipMessage(invite);
    msg.body = Buffer.from('v=0\r\n');
    const out = serializeSipMessage(msg).toString();
    expect(out).toMatch(/\r\nContent-Length: 5\r\n\r\nv=0\r\n$/);
    expect(out.match(/Content-Length/g)).toHaveLength(1);
    expect(out.split('\r\n')[0]).toBe('INVITE sip:%2B15550100@trunk.example.com:5060;user=phone SIP/2.0');
  });

  it('keeps non-2.0 versions for the UA to answer 505', () => {
    const msg = parseSipMessage(Buffer.from(options.toString().replace('SIP/2.0\r\n', 'SIP/7.0\r\n')));
    expect(msg.version).toBe('SIP/7.0');
  });

  it('rejects duplicate conflicting Call-ID / Content-Length', () => {
    const dupCallId = options.toString().replace('CSeq:', 'Call-ID: other\r\nCSeq:');
    expect(() => parseSipMessage(Buffer.from(dupCallId))).toThrow(SipParseError);
  });

  it('throws only SipParseError on random and mutated input (bounded fuzz)', () => {
    let seed = 12345;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed;
    };
    for (let i = 0; i < 2000; i++) {
      const base = i % 2 === 0 ? invite : bye;
      const buf = Buffer.from(base);
      const edits = 1 + (rand() % 8);
      for (let e = 0; e < edits; e++) buf[rand() % buf.length] = rand() % 256;
      const cut = i % 5 === 0 ? buf.subarray(0, rand() % buf.length) : buf;
      try {
        parseSipMessage(cut);
      } catch (err) {
        expect(err).toBeInstanceOf(SipParseError);
      }
    }
    for (let i = 0; i < 500; i++) {
      const buf = Buffer.alloc(rand() % 300);
      for (let j = 0; j < buf.length; j++) buf[j] = rand() % 256;
      expect(() => parseSipMessage(buf)).toThrow(SipParseError);
    }
  });
});

describe('SipStreamFramer', () => {
  const two = Buffer.concat([invite, Buffer.from('\r\n\r\n'), bye]);

  it('emits coalesced messages in order, skipping CRLF keep-alives', () => {
    const framer = new SipStreamFramer();
    const out = framer.push(two);
    expect(out.map((o) => ('message' in o && o.message.kind === 'request' ? o.message.method : 'error'))).toEqual(['INVITE', 'BYE']);
    expect(framer.pendingBytes).toBe(0);
  });

  it('reassembles messages split at every byte boundary', () => {
    for (const size of [1, 7, 64, 333]) {
      const framer = new SipStreamFramer();
      const got: string[] = [];
      for (let i = 0; i < two.length; i += size) {
        for (const item of framer.push(two.subarray(i, i + size))) {
          if ('message' in item && item.message.kind === 'request') got.push(item.message.method);
        }
      }
      expect(got).toEqual(['INVITE', 'BYE']);
      const first = parseSipMessage(invite);
      expect(first.body.length).toBeGreaterThan(100);
    }
  });

  it('keeps the body bytes exact across chunks', () => {
    const framer = new SipStreamFramer();
    const a = framer.push(invite.subarray(0, invite.length - 10));
    expect(a).toEqual([]);
    const [item] = framer.push(invite.subarray(invite.length - 10));
    expect('message' in item && item.message.body.equals(parseSipMessage(invite).body)).toBe(true);
  });

  it('a framed but malformed message is returned as an error item; the stream continues', () => {
    const bad = Buffer.from(options.toString().replace('CSeq: 1 OPTIONS', 'CSeq: x'));
    const out = new SipStreamFramer().push(Buffer.concat([bad, bye]));
    expect('error' in out[0]).toBe(true);
    expect('message' in out[1]).toBe(true);
  });

  /** Labels of what a framer fed `chunks` returns: method, 'error' (400 and go on) or 'lost: <reason>'. */
  function frame(chunks: Buffer[], maxMessageBytes?: number): string[] {
    const framer = new SipStreamFramer({ maxMessageBytes });
    return chunks.flatMap((c) =>
      framer.push(c).map((i) => ('message' in i ? (i.message.kind === 'request' ? i.message.method : String(i.message.status)) : i.fatal ? `lost: ${i.error.message}` : 'error')),
    );
  }
  const noLength = Buffer.from(bye.toString('latin1').replace('Content-Length: 0\r\n', ''), 'latin1');
  const badLength = Buffer.from(bye.toString('latin1').replace('Content-Length: 0', 'Content-Length: -5'), 'latin1');
  const malformed = Buffer.from(options.toString('latin1').replace('CSeq: 1 OPTIONS', 'CSeq: x'), 'latin1');
  const cat = (...b: Buffer[]) => Buffer.concat(b);

  it.each([
    ['no Content-Length alone', [noLength], undefined, ['lost: missing Content-Length on stream transport']],
    ['oversize head alone', [Buffer.alloc(200, 0x41)], 100, ['lost: message head too large']],
    ['two good messages, then no Content-Length, one chunk', [cat(invite, bye, noLength)], undefined, ['INVITE', 'BYE', 'lost: missing Content-Length on stream transport']],
    ['a good message, then a bad Content-Length, one chunk', [cat(options, badLength)], undefined, ['OPTIONS', 'lost: bad Content-Length "-5"']],
    ['malformed, good, then oversize body, one chunk', [cat(malformed, bye, invite)], bye.length + 1, ['error', 'BYE', 'lost: message of ' + invite.length + ' bytes too large']],
    ['a good message split, its tail and the break in one chunk', [invite.subarray(0, 50), cat(invite.subarray(50), noLength)], undefined, ['INVITE', 'lost: missing Content-Length on stream transport']],
    ['after the break, later chunks give nothing more', [cat(bye, noLength), options], undefined, ['BYE', 'lost: missing Content-Length on stream transport', 'lost: missing Content-Length on stream transport']],
  ] as Array<[string, Buffer[], number | undefined, string[]]>)('%s', (_name, chunks, max, expected) => {
    expect(frame(chunks, max)).toEqual(expected);
  });

  it('the fatal item carries the bytes from the break on', () => {
    const items = new SipStreamFramer().push(cat(bye, noLength));
    const last = items[items.length - 1];
    expect('fatal' in last && last.fatal && last.raw.equals(noLength)).toBe(true);
  });
});
