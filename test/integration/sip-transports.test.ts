/**
 * End-to-end over stream transports against the real bridge with the builtin echo bot: SIPp as a carrier on
 * one TCP connection (-t t1), and baresip over TLS with a certificate generated here by openssl (the installed
 * SIPp is built without OpenSSL, so `-t l1` is not available). The caller hangs up in both; every response and
 * the BYE's 200 must come back on the caller's own connection.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BridgeProcess } from './harness/bridge-process.js';
import { describeSipp, runSipp } from './harness/sipp.js';
import { reservePorts } from '../helpers/ports.js';
import { testConfig } from './harness/config.js';
import { RtpListener } from './harness/rtp-listener.js';
import { runBaresip } from './harness/baresip.js';
import { makeTestCert, type TestCert } from '../unit/sip/helpers/test-cert.js';

let bridge: BridgeProcess;
let listener: RtpListener;
let cert: TestCert;
let tcpPort: number;
let tlsPort: number;

beforeAll(async () => {
  cert = makeTestCert('localhost');
  const rtpBase = await reservePorts(4);
  listener = await RtpListener.start();
  bridge = new BridgeProcess(
    testConfig({
      rtpPortMin: rtpBase,
      rtpPortMax: rtpBase + 3,
      extraListen: [
        '{ transport: tcp, host: 127.0.0.1, port: 0 }',
        `{ transport: tls, host: 127.0.0.1, port: 0, certFile: "${cert.certFile}", keyFile: "${cert.keyFile}" }`,
      ],
      bots: { echo: '{ builtin: echo }' },
      numbers: { '+15550100': 'echo' },
    }),
  );
  await bridge.start();
  tcpPort = bridge.sipPort('tcp');
  tlsPort = bridge.sipPort('tls');
});

afterAll(async () => {
  await bridge?.stop();
  listener?.close();
  cert?.cleanup();
});

describe('SIP over TCP and TLS with SIPp', () => {
  it('completes a call over one TCP connection (-t t1)', async () => {
    const run = await runSipp({
      scenario: 'uac-call-caller-hangup.xml',
      target: { host: '127.0.0.1', port: tcpPort },
      service: '+15550100',
      keys: { rtp_port: listener.port },
      transport: 't1',
      timeoutMs: 15_000,
    });
    expect(run.code, describeSipp(run)).toBe(0);
    // The 200 OK names our TCP listener in Contact and echoes SIPp's TCP Via.
    expect(run.messages).toMatch(/SIP\/2\.0 200 OK[\s\S]*Via: SIP\/2\.0\/TCP [\s\S]*Contact: <sip:127\.0\.0\.1:\d+;transport=tcp>/);
  });

  it('completes a call over TLS with baresip as the caller, certificate from files (the installed SIPp has no OpenSSL)', async () => {
    const run = await runBaresip({ dial: `sip:+15550100@127.0.0.1:${tlsPort}`, transport: 'tls', caFile: cert.certFile, toneMs: 1000, seconds: 3 });
    expect(run.output).toMatch(/Call established: sip:\+15550100@127\.0\.0\.1:\d+;transport=tls/);
    expect(run.output).toMatch(/terminated/);
    // The bridge saw the call end by the caller's BYE, which came over the same TLS connection.
    await bridge.waitForLog((l) => l.msg === 'call ended' && l.reason === 'caller-hangup', 5000);
  });
});
