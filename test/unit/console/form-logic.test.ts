// The console's pure parts: form values <-> API items, API issues placed by field, the carrier text, the
// password advice and the number preview (the bridge's own code, bundled into the page).
import { describe, expect, it } from 'vitest';
import { fromFormValue, headersFromText, issuesByField, itemFromForm, toFormValue, writeOnlyBody, type FieldSpec } from '../../../console/src/form-values.js';
import { carrierText, passwordAdvice } from '../../../console/src/carrier.js';
import { previewText } from '../../../console/src/number-preview.js';
import { BOT_PROTOCOLS as CONSOLE_PROTOCOLS } from '../../../console/src/choices.js';
import { BOT_PROTOCOLS } from '../../../src/config/bot-schema.js';

const FIELDS: FieldSpec[] = [
  { name: 'name', label: 'Name' },
  { name: 'allow', label: 'Allow', type: 'list' },
  { name: 'port', label: 'Port', type: 'number' },
  { name: 'country', label: 'Country' },
  { name: 'auth.username', label: 'User' },
  { name: 'auth.password', label: 'Password', type: 'password' },
];

describe('form values', () => {
  it.each<[FieldSpec, unknown, unknown]>([
    [{ name: 'a', label: 'a', type: 'list' }, ' 10.0.0.1 \n\n10.0.0.0/8, host.example ', ['10.0.0.1', '10.0.0.0/8', 'host.example']],
    [{ name: 'a', label: 'a', type: 'list' }, '  ', undefined],
    [{ name: 'a', label: 'a', type: 'number' }, '5060', 5060],
    [{ name: 'a', label: 'a', type: 'number' }, 'five', 'five'],
    [{ name: 'a', label: 'a' }, '  US ', 'US'],
    [{ name: 'a', label: 'a' }, '', undefined],
    [{ name: 'a', label: 'a', type: 'checkbox' }, true, true],
    [{ name: 'a', label: 'a', type: 'checkbox' }, false, undefined],
  ])('%o: %j -> %j', (field, input, out) => {
    expect(fromFormValue(field, input)).toEqual(out);
  });

  it('shows an item in the form: lists one per line, nested fields by dotted name', () => {
    const item = { name: 't', allow: ['a', 'b'], port: 5070, auth: { username: 'u' } };
    expect(FIELDS.map((f) => toFormValue(f, item))).toEqual(['t', 'a\nb', '5070', '', 'u', '']);
  });

  it('builds a create body without empty fields, and a patch that removes them (but keeps a stored password)', () => {
    const values = { name: 'x', allow: '1.2.3.4', port: '', country: '', 'auth.username': 'u', 'auth.password': '' };
    expect(itemFromForm(FIELDS, values, false)).toEqual({ name: 'x', allow: ['1.2.3.4'], auth: { username: 'u' } });
    expect(itemFromForm(FIELDS, values, true)).toEqual({ name: 'x', allow: ['1.2.3.4'], port: null, country: null, auth: { username: 'u' } });
  });

  it.each<[string, Record<string, string>]>([
    ['allow[1]', { allow: 'allow[1]: bad' }],
    ['allow', { allow: 'bad' }],
    ['auth.username', { 'auth.username': 'bad' }],
    ['auth', { '': 'auth: bad' }],
    ['credentials[0].password', { credentials: 'credentials[0].password: bad' }],
    ['', { '': 'bad' }],
  ])('an issue on %j is shown at %j', (field, out) => {
    expect(issuesByField([{ field, message: 'bad' }], [...FIELDS.map((f) => f.name), 'credentials'])).toEqual(out);
  });

  it('joins two issues on one field', () => {
    expect(issuesByField([{ field: 'allow[0]', message: 'a' }, { field: 'allow[2]', message: 'b' }], ['allow'])).toEqual({ allow: 'allow[0]: a; allow[2]: b' });
  });
});

describe('carrier text', () => {
  it('names our SIP address as bound, the numbers, the users and the addresses', () => {
    const text = carrierText(
      { numbers: [{ number: '+15550100' }, { number: ' ' }], credentials: [{ username: 'pbx' }], allow: '203.0.113.0/24', domain: 'sip.example.com' },
      [{ transport: 'udp', host: '0.0.0.0', port: 5080 }, { transport: 'tls', host: '198.51.100.1', port: 5061 }],
      'bridge.example.com',
    );
    expect(text.split('\n')).toEqual([
      'SIP server: bridge.example.com:5080 (UDP)   URI: sip:bridge.example.com:5080;transport=udp',
      'SIP server: 198.51.100.1:5061 (TLS)   URI: sip:198.51.100.1:5061;transport=tls',
      'Numbers (send the dialled number in the Request-URI): +15550100',
      'SIP domain: sip.example.com',
      'Digest authentication: username pbx (password as set here)',
      'We accept calls from: 203.0.113.0/24',
      'Both apply: calls must come from those addresses and authenticate.',
    ]);
  });

  it('says when no authentication is set yet', () => {
    expect(carrierText({ numbers: [], credentials: [], allow: '' }, [], 'h')).toContain('Authentication: none set yet');
  });
});

describe('password advice (config\'s own policy)', () => {
  it.each<[string, boolean, string]>([
    ['', true, 'unchanged'],
    ['', false, 'required for a new user'],
    ['short', false, 'needs at least 12 characters, an upper case letter, a digit'],
    ['alllowercase1234', false, 'needs an upper case letter'],
    ['Good-Password-2026', false, 'meets the policy'],
  ])('%j -> %s', (pw, stored, advice) => {
    expect(passwordAdvice(pw, stored)).toBe(advice);
  });
});

describe('number preview', () => {
  it.each<[string, Record<string, string>, string]>([
    ['+1 202 555 0123', { host: 'sip.carrier.example' }, '+1 202 555 0123 is sent as sip:+12025550123@sip.carrier.example'],
    ['+1 202 555 0123', { host: 'h', numberFormat: 'e164-no-plus' }, '+1 202 555 0123 is sent as sip:12025550123@h'],
    ['+1 202 555 0123', { host: 'h', numberFormat: 'national', country: 'US' }, '+1 202 555 0123 is sent as sip:2025550123@h'],
    ['020 7946 0018', { host: 'h', numberFormat: 'e164', country: 'GB' }, '020 7946 0018 is sent as sip:+442079460018@h'],
    ['+44 20 7946 0018', { route: 'carrier.example:5060;transport=tcp', numberFormat: 'national', country: 'GB' }, '+44 20 7946 0018 is sent as sip:02079460018@carrier.example'],
  ])('%s with %j', (sample, values, text) => {
    expect(previewText(sample, values)).toBe(text);
  });

  it('tells why a number cannot be sent', () => {
    expect(previewText('12345', { host: 'h' })).toMatch(/^12345: .+/);
  });
});

describe('form choices', () => {
  it('offers the bot protocols the config accepts', () => {
    expect(CONSOLE_PROTOCOLS).toEqual([...BOT_PROTOCOLS]);
  });
});

describe('a bot\'s write-only fields (headers, secret)', () => {
  it.each([
    ['one header per line, spaces trimmed, empty lines skipped', 'Authorization: Bearer a:b\n\n  X-Tenant :acme ', { Authorization: 'Bearer a:b', 'X-Tenant': 'acme' }],
    ['a line without a colon is sent for the API to name', 'not a header', { 'not a header': '' }],
    ['nothing typed', '', {}],
  ])('%s', (_what, text, want) => {
    expect(headersFromText(text)).toEqual(want);
  });

  it.each([
    ['empty keeps what is stored', {}, true, {}],
    ['typed values replace', { headers: 'A: 1', secret: 'x'.repeat(16) }, true, { headers: { A: '1' }, secret: 'x'.repeat(16) }],
    ['remove sends null in a patch', { headers: 'A: 1', clearHeaders: true, clearSecret: true }, true, { headers: null, secret: null }],
    ['remove means nothing on a create', { clearHeaders: true, clearSecret: true }, false, {}],
  ])('%s', (_what, values, forPatch, want) => {
    expect(writeOnlyBody(values, forPatch)).toEqual(want);
  });
});
