/**
 * `trunkbridge test-call` against the running bridge: a number answered by the built-in echo bot (exit 0, the
 * steps printed, the tone heard back with its round trip), and a number nobody routes (non-zero exit, the 404
 * printed). Both runs are the CLI the image ships, as a child process.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { BridgeProcess, CLI, runCli } from './harness/bridge-process.js';
import { waitFor } from '../helpers/wait-for.js';
import { reservePorts } from '../helpers/ports.js';
import { testConfig } from './harness/config.js';
import { startSippUas } from './harness/sipp-uas.js';
import { describeSipp } from './harness/sipp.js';
import { makeTestCert, type TestCert } from '../unit/sip/helpers/test-cert.js';

describe('trunkbridge test-call against the running bridge', () => {
  let bridge: BridgeProcess;
  let cert: TestCert;

  beforeAll(async () => {
    const rtpBase = await reservePorts(8);
    cert = makeTestCert();
    bridge = new BridgeProcess(
      testConfig({
        rtpPortMin: rtpBase, rtpPortMax: rtpBase + 7, bots: { echo: '{ builtin: echo }' }, numbers: { '+15550100': 'echo' },
        extraListen: [`{ transport: tls, host: 127.0.0.1, port: 0, certFile: "${cert.certFile}", keyFile: "${cert.keyFile}" }`],
      }),
    );
    await bridge.start();
  });

  afterAll(async () => {
    await bridge?.stop();
  });

  it('a routed number: every step printed, the tone comes back from the echo bot, exit 0', async () => {
    const rtpPort = await reservePorts(2);
    const run = await runCli(['test-call', `sip:+15550100@127.0.0.1:${bridge.sipPort()}`, '--seconds', '2', '--expect-echo', '--rtp-port', String(rtpPort)], 20_000);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines[0]).toMatch(new RegExp(`^-> INVITE sip:\\+15550100@127\\.0\\.0\\.1:${bridge.sipPort()} over udp .*\\(RTP port ${rtpPort}\\)$`));
    expect(lines).toContainEqual(expect.stringMatching(/^<- 100 Trying \(INVITE\) {2}\+\d+ ms$/));
    expect(lines).toContainEqual(expect.stringMatching(/^<- 200 OK \(INVITE\) {2}\+\d+ ms$/));
    expect(lines).toContainEqual(expect.stringMatching(/^answered {2}\+\d+ ms: codec PCMU\/8000 \(payload type 0\), ptime 20 ms, far end RTP 127\.0\.0\.1:\d+$/));
    const echo = lines.find((l) => l.startsWith('echo: '));
    expect(echo).toMatch(/^echo: our 440 Hz tone came back, round trip (\d+) ms$/);
    // Loopback and an echo with no delay: the tone is back within a few packet times.
    expect(Number(/round trip (\d+) ms/.exec(echo!)![1])).toBeLessThan(500);
    expect(lines).toContainEqual(expect.stringMatching(/^audio back: -\d+\.\d dBFS overall/));
    expect(lines).toContainEqual(expect.stringMatching(/^<- 200 OK \(BYE\)/));
    expect(lines.at(-1)).toBe('PASS');
    await bridge.waitForLog((l) => l.msg === 'call ended' && l.reason === 'caller-hangup', 5000);
  }, 30_000);

  it("over TLS (the bridge's certificate trusted through NODE_EXTRA_CA_CERTS): answered, echo heard, exit 0", async () => {
    const rtpPort = await reservePorts(2);
    const run = await runCli(
      ['test-call', `sip:+15550100@127.0.0.1:${bridge.sipPort('tls')}`, '--transport', 'tls', '--cert', cert.certFile, '--key', cert.keyFile, '--seconds', '2', '--expect-echo', '--rtp-port', String(rtpPort)],
      20_000,
      { NODE_EXTRA_CA_CERTS: cert.certFile },
    );
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^-> INVITE sip:\\+15550100@127\\.0\\.0\\.1:${bridge.sipPort('tls')} over tls `, 'm'));
    expect(run.stdout).toMatch(/^echo: our 440 Hz tone came back/m);
    expect(run.stdout.trim().split('\n').at(-1)).toBe('PASS');
  }, 30_000);

  it('against another SIP server (SIPp challenging with 401, echoing RTP, hanging up itself): digest answered, echo heard', async () => {
    const uas = await startSippUas({ scenario: 'uas-expect-401-then-answer.xml', args: ['-rtp_echo'], timeoutMs: 20_000 });
    const rtpPort = await reservePorts(2);
    const run = await runCli(
      ['test-call', `sip:1000@127.0.0.1:${uas.port}`, '--user', 'alice', '--password', 's3cret-pw', '--seconds', '3', '--expect-echo', '--rtp-port', String(rtpPort)],
      20_000,
    );
    const sipp = await uas.done;
    expect(sipp.code, describeSipp(sipp)).toBe(0); // SIPp's verifyauth accepted our digest
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^<- 401 Unauthorized \(INVITE\)/m);
    expect(run.stdout).toMatch(/^<- 200 OK \(INVITE\)/m);
    expect(run.stdout).toMatch(/^<- BYE from the far end/m);
    expect(run.stdout).toMatch(/^echo: our 440 Hz tone came back/m);
    expect(run.stdout).not.toContain('s3cret-pw');
    expect(run.stdout.trim().split('\n').at(-1)).toBe('PASS');
  }, 30_000);

  it('Ctrl-C during the call: BYE sent and answered, exit 130', async () => {
    const rtpPort = await reservePorts(2);
    const endedLines = () => bridge.logs.filter((l) => l.msg === 'call ended');
    const endedBefore = endedLines().length;
    const child = spawn(process.execPath, [CLI, 'test-call', `sip:+15550100@127.0.0.1:${bridge.sipPort()}`, '--seconds', '60', '--rtp-port', String(rtpPort)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    const exited = new Promise<number | null>((res) => child.once('exit', res));
    await waitFor(() => stdout.includes('-> sending'), { timeoutMs: 10_000, what: 'test-call sending its tone', detail: () => stdout });
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(stdout).toMatch(/^interrupted {2}\+\d+ ms$/m);
    expect(stdout).toMatch(/^-> BYE[\s\S]*^<- 200 OK \(BYE\)/m);
    expect(stdout).not.toMatch(/^PASS$/m);
    // This call's end at the bridge: our BYE, well before the 60 s asked for.
    const ended = await waitFor(() => endedLines()[endedBefore], { timeoutMs: 5000, what: "the bridge's call ended line" });
    expect(ended).toMatchObject({ reason: 'caller-hangup' });
    expect(Number(ended.durationSeconds)).toBeLessThan(30);
  }, 30_000);

  it('a number nobody routes: the 404 printed, exit 1', async () => {
    const rtpPort = await reservePorts(2);
    const run = await runCli(['test-call', `sip:+15559999@127.0.0.1:${bridge.sipPort()}`, '--seconds', '2', '--rtp-port', String(rtpPort)], 20_000);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^<- 404 Not Found \(INVITE\) {2}\+\d+ ms$/m);
    expect(run.stdout).toMatch(/^FAIL: not answered: 404 Not Found/m);
    expect(run.stdout).not.toMatch(/^PASS$/m);
  }, 30_000);

  it('bad arguments: exit 2 with the reason and the usage, nothing dialled', async () => {
    const invites = () => bridge.logs.filter((l) => l.msg === 'incoming call').length;
    const before = invites();
    const run = await runCli(['test-call', 'tel:+15550100', '--seconds', '2']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^test-call: target "tel:\+15550100" is not sip:NUMBER@HOST\[:PORT\]\nusage: trunkbridge test-call/);
    expect(run.stdout).toBe('');
    expect(invites()).toBe(before);
  });
});
