/** app/tools.ts: an API test-call body becomes the CLI's arguments, checked by the CLI's own parser. */
import { describe, expect, it } from 'vitest';
import { testCallArgv } from '../../../src/app/tools.js';
import { parseTestCallArgs } from '../../../src/testcall/args.js';

describe('POST /v1/test-calls bodies as test-call arguments', () => {
  it('the example body: loopback, 2 s, expect the echo, the CLI defaults for the rest', () => {
    const parsed = parseTestCallArgs(testCallArgv({ uri: 'sip:+15550100@127.0.0.1:5060', seconds: 2, expectEcho: true }));
    expect(parsed).toMatchObject({ ok: true, args: { uri: 'sip:+15550100@127.0.0.1:5060', host: '127.0.0.1', port: 5060, transport: 'udp', seconds: 2, expectEcho: true, toneHz: 440, from: '+15550000', localHost: '127.0.0.1', ringTimeoutSec: 30 } });
  });

  it('every optional field reaches its option; the credentials go together', () => {
    const parsed = parseTestCallArgs(testCallArgv({ uri: 'sip:100@pbx.example.com', seconds: 5, expectEcho: false, toneHz: 1000, from: '+15551230000', transport: 'tcp', user: 'carrier1', password: 's3cret with spaces' }));
    expect(parsed).toMatchObject({ ok: true, args: { host: 'pbx.example.com', port: 5060, transport: 'tcp', toneHz: 1000, from: '+15551230000', expectEcho: false, localHost: '0.0.0.0', credentials: { username: 'carrier1', password: 's3cret with spaces' } } });
  });

  it('a URI the API schema lets through but the CLI refuses is a usage error, not a crash', () => {
    // A port over 65535 matches the API's shape (\d{1,5}); the CLI's parser names it.
    expect(parseTestCallArgs(testCallArgv({ uri: 'sip:1@h:99999', seconds: 1, expectEcho: false }))).toEqual({ ok: false, help: false, error: 'port 99999 out of range' });
  });
});
