import { describe, expect, it } from 'vitest';
import { SipParseError } from '../../../src/core/errors.js';
import { buildResponse, withTag } from '../../../src/sip/message/build.js';
import { canonicalHeaderName, headerKey } from '../../../src/sip/message/header-names.js';
import { SipHeaders } from '../../../src/sip/message/headers.js';
import { newBranch, newTag } from '../../../src/sip/message/ids.js';
import { reasonPhrase } from '../../../src/sip/message/status.js';
import { decodeUser, formatNameAddr, formatUri, parseNameAddr, parseUri } from '../../../src/sip/message/uri.js';
import { formatVia, parseVia } from '../../../src/sip/message/via.js';
import { req } from './helpers/fake-channel.js';

describe('SipHeaders', () => {
  it('is case-insensitive, understands compact forms and keeps order and spelling', () => {
    const h = new SipHeaders([
      ['v', 'SIP/2.0/UDP a;branch=z9hG4bK1'],
      ['VIA', 'SIP/2.0/UDP b;branch=z9hG4bK2, SIP/2.0/UDP c;branch=z9hG4bK3'],
      ['i', 'abc'],
      ['X-Agent-ID', 'sales'],
    ]);
    expect(h.get('Call-ID')).toBe('abc');
    expect(h.get('call-id')).toBe('abc');
    expect(h.getAll('Via')).toHaveLength(2);
    expect(h.getList('via')).toEqual(['SIP/2.0/UDP a;branch=z9hG4bK1', 'SIP/2.0/UDP b;branch=z9hG4bK2', 'SIP/2.0/UDP c;branch=z9hG4bK3']);
    expect(h.get('x-agent-id')).toBe('sales');
    h.prepend('Via', 'SIP/2.0/UDP top');
    expect(h.entries()[0]).toEqual(['Via', 'SIP/2.0/UDP top']);
    h.set('Call-ID', 'xyz');
    expect(h.getAll('i')).toEqual(['xyz']);
    expect(h.entries().findIndex(([n]) => n === 'Call-ID')).toBe(3);
    h.delete('v');
    expect(h.has('Via')).toBe(false);
    expect(h.size).toBe(2);
  });

  it('splits list headers on commas outside quotes and brackets only', () => {
    const h = new SipHeaders([
      ['Contact', '"Smith, John" <sip:j@example.com;x=a,b>, <sip:k@example.com>'],
      ['Subject', 'hello, world'],
    ]);
    expect(h.getList('m')).toEqual(['"Smith, John" <sip:j@example.com;x=a,b>', '<sip:k@example.com>']);
    expect(h.getList('Subject')).toEqual(['hello, world']);
  });

  it('canonical names expand compact forms and keep unknown spelling', () => {
    expect(canonicalHeaderName('i')).toBe('Call-ID');
    expect(canonicalHeaderName('cseq')).toBe('CSeq');
    expect(canonicalHeaderName('v')).toBe('Via');
    expect(canonicalHeaderName('content-type')).toBe('Content-Type');
    expect(canonicalHeaderName('X-Agent-ID')).toBe('X-Agent-ID');
    expect(headerKey('l')).toBe('content-length');
  });
});

describe('URI parsing (§19.1, RFC 3966)', () => {
  it.each([
    ['sip:alice@example.com', { scheme: 'sip', user: 'alice', host: 'example.com' }],
    ['SIP:Alice@Example.COM:5070', { scheme: 'sip', user: 'Alice', host: 'example.com', port: 5070 }],
    ['sips:%2B15550100@192.0.2.1;user=phone;transport=tls', { scheme: 'sips', user: '%2B15550100', host: '192.0.2.1' }],
    ['sip:[2001:db8::1]:5060;lr', { scheme: 'sip', host: '2001:db8::1', port: 5060 }],
    ['sip:alice:secret@example.com', { user: 'alice', password: 'secret' }],
    ['sip:+1555;npdi;rn=+1666@gw.example.com', { user: '+1555;npdi;rn=+1666', host: 'gw.example.com' }],
    ['tel:+1-555-0100;phone-context=example.com', { scheme: 'tel', user: '+1-555-0100', host: '' }],
    ['urn:service:sos', { scheme: 'urn', opaque: 'service:sos' }],
  ])('%s', (text, expected) => {
    expect(parseUri(text)).toMatchObject(expected);
  });

  it('keeps parameters and headers and formats back', () => {
    const u = parseUri('sip:bob@example.com;transport=udp;lr?subject=hi');
    expect(u.params.get('transport')).toBe('udp');
    expect(u.params.get('lr')).toBeNull();
    expect(u.headers).toBe('subject=hi');
    expect(formatUri(u)).toBe('sip:bob@example.com;transport=udp;lr?subject=hi');
    expect(formatUri(parseUri('sip:[2001:db8::1]:5060'))).toBe('sip:[2001:db8::1]:5060');
    expect(formatUri(parseUri('tel:+15550100;ext=1'))).toBe('tel:+15550100;ext=1');
  });

  it.each(['', 'nocolon', 'sip:', 'sip:bob@', 'sip:bob@exa mple.com', 'sip:bob@host:99999', 'sip:bob@[::1', 'sip:a<b@host', 'tel:'])(
    'rejects %j',
    (text) => {
      expect(() => parseUri(text)).toThrow(SipParseError);
    },
  );

  it('decodes escaped users leniently', () => {
    expect(decodeUser('%2B15550100')).toBe('+15550100');
    expect(decodeUser('bad%zz')).toBe('bad%zz');
    expect(decodeUser(undefined)).toBe('');
  });
});

describe('name-addr parsing (§20.10)', () => {
  it('quoted display names with escapes and header params', () => {
    const a = parseNameAddr('"Alice \\"The\\" Caller" <sip:alice@example.com;user=phone>;tag=abc;expires=60');
    expect(a.displayName).toBe('Alice "The" Caller');
    expect(a.uri.params.get('user')).toBe('phone');
    expect(a.params.get('tag')).toBe('abc');
    expect(a.params.get('expires')).toBe('60');
  });

  it('token display names, addr-spec form (params belong to the header)', () => {
    expect(parseNameAddr('Bob  Smith <sip:bob@example.com>').displayName).toBe('Bob Smith');
    const a = parseNameAddr('sip:bob@example.com;tag=xyz');
    expect(a.uri.params.size).toBe(0);
    expect(a.params.get('tag')).toBe('xyz');
    expect(a.angle).toBe(false);
  });

  it('formats with brackets and quotes when needed', () => {
    expect(formatNameAddr(parseNameAddr('"Smith, John" <sip:j@example.com>;tag=1'))).toBe('"Smith, John" <sip:j@example.com>;tag=1');
    expect(formatNameAddr(parseNameAddr('sip:j@example.com;tag=1'))).toBe('<sip:j@example.com>;tag=1');
  });

  it.each(['', '"unterminated <sip:a@b>', '<sip:a@b', 'Name sip:a@b', '<sip:a@b> junk', '"Quoted" sip:a@b'])('rejects %j', (t) => {
    expect(() => parseNameAddr(t)).toThrow(SipParseError);
  });

  it('withTag adds a tag only when missing', () => {
    expect(withTag('<sip:b@example.com>', 't1')).toBe('<sip:b@example.com>;tag=t1');
    expect(withTag('sip:b@example.com', 't1')).toBe('sip:b@example.com;tag=t1');
    expect(withTag('<sip:b@example.com>;tag=old', 't1')).toBe('<sip:b@example.com>;tag=old');
  });
});

describe('Via (§20.42)', () => {
  it('parses protocol, transport, sent-by and params with LWS around slashes', () => {
    const v = parseVia('SIP / 2.0 / udp 192.0.2.1:5062 ;branch=z9hG4bK1;rport;received=10.0.0.1');
    expect(v).toMatchObject({ protocol: 'SIP/2.0', transport: 'UDP', host: '192.0.2.1', port: 5062 });
    expect(v.params.get('rport')).toBeNull();
    expect(formatVia(v)).toBe('SIP/2.0/UDP 192.0.2.1:5062;branch=z9hG4bK1;rport;received=10.0.0.1');
    expect(parseVia('SIP/2.0/TCP [2001:db8::9];branch=z9hG4bKx').host).toBe('2001:db8::9');
  });

  it.each(['', 'SIP/2.0 host', 'SIP/2.0/UDP', 'SIP/2.0/UDP host:port', 'SIP/2.0/UDP host;=x'])('rejects %j', (t) => {
    expect(() => parseVia(t)).toThrow(SipParseError);
  });
});

describe('responses (§8.2.6.2)', () => {
  const invite = req(`INVITE sip:bob@example.com SIP/2.0
Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKa;received=192.0.2.2, SIP/2.0/UDP 192.0.2.3;branch=z9hG4bKb
Via: SIP/2.0/UDP 192.0.2.4;branch=z9hG4bKc
Record-Route: <sip:p1.example.com;lr>
Record-Route: <sip:p2.example.com;lr>
From: <sip:alice@example.com>;tag=a
To: <sip:bob@example.com>
Call-ID: r1
CSeq: 5 INVITE
Timestamp: 54
Contact: <sip:alice@192.0.2.1>
Content-Length: 0

`);

  it('copies Via lines in order, From, Call-ID, CSeq; tags To (not on 100); echoes Timestamp on 100', () => {
    const trying = buildResponse(invite, 100, { toTag: 'zz' });
    expect(trying.headers.get('To')).toBe('<sip:bob@example.com>');
    expect(trying.headers.get('Timestamp')).toBe('54');
    const ok = buildResponse(invite, 200, { toTag: 'zz', copyRecordRoute: true, body: 'v=0\r\n' });
    expect(ok.headers.getAll('Via')).toEqual(invite.headers.getAll('Via'));
    expect(ok.headers.getAll('Record-Route')).toEqual(['<sip:p1.example.com;lr>', '<sip:p2.example.com;lr>']);
    expect(ok.headers.get('To')).toBe('<sip:bob@example.com>;tag=zz');
    expect(ok.headers.get('From')).toBe('<sip:alice@example.com>;tag=a');
    expect(ok.headers.get('CSeq')).toBe('5 INVITE');
    expect(ok.headers.get('Content-Type')).toBe('application/sdp');
    expect(ok.reason).toBe('OK');
    expect(buildResponse(invite, 486).headers.has('Record-Route')).toBe(false);
  });

  it('reason phrases', () => {
    expect(reasonPhrase(487)).toBe('Request Terminated');
    expect(reasonPhrase(499)).toBe('Client Error');
    expect(reasonPhrase(699)).toBe('Global Failure');
  });

  it('ids: branch has the magic cookie, tags are random', () => {
    expect(newBranch()).toMatch(/^z9hG4bK[0-9a-f]{20}$/);
    expect(newTag()).not.toBe(newTag());
  });
});
