import { describe, expect, it } from 'vitest';
import { parseTestCallArgs } from '../../../src/testcall/args.js';

describe('test-call arguments', () => {
  it('defaults: udp, 440 Hz for 5 s, PCMU then PCMA, loopback bind for a loopback target, port 5060', () => {
    expect(parseTestCallArgs(['sip:+15550100@127.0.0.1'])).toEqual({
      ok: true,
      args: {
        uri: 'sip:+15550100@127.0.0.1', user: '+15550100', host: '127.0.0.1', port: 5060, transport: 'udp', from: '+15550000',
        codecs: ['PCMU', 'PCMA'], toneHz: 440, seconds: 5, expectEcho: false, localHost: '127.0.0.1', ringTimeoutSec: 30, verbose: false,
      },
    });
  });

  it('every option', () => {
    const r = parseTestCallArgs([
      'sip:1000@pbx.example.com:5080', '--transport', 'tcp', '--user', 'alice', '--password', 's3cret', '--tone', '1000', '--seconds', '3',
      '--expect-echo', '--codecs', 'PCMA', '--from', '+15551230001', '--rtp-port', '30000', '--ring-timeout', '9', '-v',
    ]);
    expect(r).toMatchObject({
      ok: true,
      args: {
        host: 'pbx.example.com', port: 5080, transport: 'tcp', credentials: { username: 'alice', password: 's3cret' }, toneHz: 1000, seconds: 3,
        expectEcho: true, codecs: ['PCMA'], from: '+15551230001', rtpPort: 30000, ringTimeoutSec: 9, localHost: '0.0.0.0', verbose: true,
      },
    });
    expect(parseTestCallArgs(['sip:1@[::1]:5062'])).toMatchObject({ ok: true, args: { host: '::1', port: 5062, localHost: '127.0.0.1' } });
    expect(parseTestCallArgs(['sip:1@h', '--wav', '/tmp/x.wav'])).toMatchObject({ ok: true, args: { wavFile: '/tmp/x.wav' } });
    expect(parseTestCallArgs(['sip:1@h', '--transport', 'tls', '--cert', 'c.pem', '--key', 'k.pem'])).toMatchObject({
      ok: true, args: { transport: 'tls', port: 5061, tls: { certFile: 'c.pem', keyFile: 'k.pem' } },
    });
  });

  it.each([
    [[], 'give exactly one target: sip:NUMBER@HOST[:PORT]'],
    [['tel:+1555'], 'target "tel:+1555" is not sip:NUMBER@HOST[:PORT]'],
    [['sip:1@h:70000'], 'port 70000 out of range'],
    [['sip:1@h', '--transport', 'sctp'], '--transport must be udp, tcp or tls, got "sctp"'],
    [['sip:1@h', '--transport', 'tls'], '--transport tls needs --cert and --key'],
    [['sip:1@h', '--cert', 'c.pem'], '--cert and --key go together'],
    [['sip:1@h', '--cert', 'c.pem', '--key', 'k.pem'], '--cert and --key are for --transport tls'],
    [['sip:1@h', '--user', 'a'], '--user and --password go together'],
    [['sip:1@h', '--tone', '440', '--wav', 'f.wav'], '--tone and --wav exclude each other'],
    [['sip:1@h', '--tone', '5'], '--tone must be an integer 50..3900, got "5"'],
    [['sip:1@h', '--seconds', 'x'], '--seconds must be an integer 1..3600, got "x"'],
    [['sip:1@h', '--from', 'bad from'], '--from "bad from" is not a SIP user like +15550100'],
    [['sip:1@h', '--bogus'], "Unknown option '--bogus'"],
  ])('%j -> %s', (argv, error) => {
    const r = parseTestCallArgs(argv);
    expect(r.ok).toBe(false);
    expect(r.ok === false && !r.help ? r.error : '').toContain(error);
  });

  it('--help asks for the usage', () => {
    expect(parseTestCallArgs(['--help'])).toEqual({ ok: false, help: true });
  });
});
