import { describe, expect, it } from 'vitest';
import { parseSipMessage } from '../../../../src/sip/parser/parse.js';
import { checkMessageLimits, DEFAULT_MESSAGE_LIMITS } from '../../../../src/sip/security/limits.js';
import { DEFAULT_SCANNER_USER_AGENTS, isScannerUserAgent, scannerPatterns } from '../../../../src/sip/security/scanners.js';

function options(extraHeaders: string[] = [], body = ''): Buffer {
  return Buffer.from(
    [
      'OPTIONS sip:bot@192.0.2.1 SIP/2.0',
      'Via: SIP/2.0/UDP 192.0.2.9:5060;branch=z9hG4bKlim1',
      'Max-Forwards: 70',
      'From: <sip:a@example.com>;tag=1',
      'To: <sip:bot@example.com>',
      'Call-ID: lim-1',
      'CSeq: 1 OPTIONS',
      ...extraHeaders,
      `Content-Length: ${Buffer.byteLength(body)}`,
      '',
      body,
    ].join('\r\n'),
  );
}

describe('checkMessageLimits', () => {
  const cases: Array<{ name: string; raw: Buffer; reason?: string; status?: number }> = [
    { name: 'a plain request', raw: options() },
    { name: '128 headers in all', raw: options(Array.from({ length: 121 }, (_, i) => `X-H${i}: v`)) },
    { name: '129 headers', raw: options(Array.from({ length: 122 }, (_, i) => `X-H${i}: v`)), reason: 'too-many-headers', status: 513 },
    { name: 'a 4096-byte value', raw: options([`X-Long: ${'a'.repeat(4096)}`]) },
    { name: 'a 4097-byte value', raw: options([`X-Long: ${'a'.repeat(4097)}`]), reason: 'header-too-long', status: 513 },
    { name: '20 Vias over 2 lines', raw: options([Array.from({ length: 19 }, (_, i) => `SIP/2.0/UDP 10.0.0.${i};branch=z9hG4bK${i}`).join(', ').replace(/^/, 'Via: ')]) },
    {
      name: '21 Vias, one per line',
      raw: options(Array.from({ length: 20 }, (_, i) => `Via: SIP/2.0/UDP 10.0.0.${i};branch=z9hG4bK${i}`)),
      reason: 'too-many-vias',
      status: 513,
    },
    { name: 'a 10 KiB body', raw: options(['Content-Type: text/plain'], 'b'.repeat(10 * 1024)) },
    { name: 'a body one byte over', raw: options(['Content-Type: text/plain'], 'b'.repeat(10 * 1024 + 1)), reason: 'body-too-large', status: 413 },
  ];
  for (const c of cases) {
    it(`${c.name}: ${c.reason ?? 'passes'}`, () => {
      const breach = checkMessageLimits(parseSipMessage(c.raw), DEFAULT_MESSAGE_LIMITS);
      if (c.reason === undefined) expect(breach).toBeUndefined();
      else expect(breach).toMatchObject({ reason: c.reason, status: c.status });
    });
  }

  it('a comma inside a quoted Via parameter is not a second Via', () => {
    const raw = options([]).toString().replace('branch=z9hG4bKlim1', 'branch=z9hG4bKlim1;x="a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q,r,s,t,u"');
    expect(checkMessageLimits(parseSipMessage(Buffer.from(raw)), { ...DEFAULT_MESSAGE_LIMITS, maxVias: 1 })).toBeUndefined();
  });
});

describe('scanner User-Agents', () => {
  const patterns = scannerPatterns(DEFAULT_SCANNER_USER_AGENTS);
  const table: Array<[string | undefined, boolean]> = [
    ['friendly-scanner', true],
    ['sipvicious', true],
    ['SIPVicious/0.3.3', true],
    ['sipcli/v1.8', true],
    ['VaxSIPUserAgent/3.1', true],
    ['pplsip', true],
    ['sundayddr', true],
    ['Linphone/5.2.0 (belle-sip/5.2.0)', false],
    ['baresip v3.10.1 (x86_64/linux)', false],
    ['Asterisk PBX 20.5.0', false],
    ['FPBX-16.0.40(18.13.0)', false],
    ['sipsak 0.9.8', false],
    // Requests without a User-Agent are legitimate.
    [undefined, false],
  ];
  for (const [ua, scanner] of table) {
    it(`${ua ?? '(none)'} -> ${scanner ? 'scanner' : 'allowed'}`, () => expect(isScannerUserAgent(ua, patterns)).toBe(scanner));
  }

  it('an empty list turns the filter off', () => expect(isScannerUserAgent('friendly-scanner', scannerPatterns([]))).toBe(false));
});
