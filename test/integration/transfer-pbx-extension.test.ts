/**
 * End-to-end `ext:` transfer through a registered PBX, one credential pair both ways (Autocalls): SIPp as the PBX
 * challenges the bridge's REGISTER and then its INVITE to extension 1002, and checks both Authorizations with
 * verifyauth against the same user/password; a second SIPp is the carrier caller. The bot asks for
 * `{"type":"transfer","to":"ext:1002","method":"bridge"}`; caller and extension then hear each other through the
 * bridge (checked by frequency and envelope). Everything on 127.0.0.1.
 */
import { afterEach, describe, expect, it } from 'vitest';
import alawmulaw from 'alawmulaw';
import { BridgeProcess } from './harness/bridge-process.js';
import { describeSipp, runSipp } from './harness/sipp.js';
import { startSippUas, type SippUas } from './harness/sipp-uas.js';
import { TestBotServer } from './harness/test-bot.js';
import { RtpListener } from './harness/rtp-listener.js';
import { AgentMedia } from './harness/agent-media.js';
import { readPcapRtp } from './harness/pcap.js';
import { bestLaggedCorrelation, goertzelAmplitude, rmsEnvelope, strongestWindow } from './harness/signal.js';
import { reservePorts } from '../helpers/ports.js';
import { testConfig } from './harness/config.js';

let bridge: BridgeProcess | undefined;
let pbx: SippUas | undefined;
let bots: TestBotServer | undefined;
let callerRtp: RtpListener | undefined;
let phone: AgentMedia | undefined;

afterEach(async () => {
  pbx?.kill();
  await bridge?.stop();
  await bots?.close();
  callerRtp?.close();
  phone?.close();
  bridge = pbx = bots = callerRtp = phone = undefined;
});

const decodePcma = (payloads: Buffer[]): number[] => payloads.flatMap((p) => Array.from(alawmulaw.alaw.decode(p)));

describe('ext: transfer through the registered PBX (SIPp as PBX and as carrier)', () => {
  it('registers and dials ext:1002 at the same PBX with the same credentials; caller and extension are bridged', async () => {
    const toneHz = 800;
    phone = await AgentMedia.start(toneHz);
    // -m 2: the registration dialog and the transfer INVITE are two SIPp calls (two Call-IDs).
    pbx = await startSippUas({ scenario: 'uas-pbx-register-then-answer-transfer.xml', calls: 2, keys: { agent_rtp_port: phone.port }, timeoutMs: 25_000 });
    bots = await TestBotServer.start((c) => c.ws.once('message', () => c.sendJson({ type: 'transfer', to: 'ext:1002', method: 'bridge' })));
    const rtpBase = await reservePorts(6);
    bridge = new BridgeProcess(
      testConfig({
        rtpPortMin: rtpBase,
        rtpPortMax: rtpBase + 5,
        extraMedia: '  latching: off',
        bots: { tester: `{ url: "${bots.url}", sampleRate: 8000 }` },
        numbers: { '+15550100': 'tester' },
        // The carrier's calls did not come through the PBX, so its extensions must be allowed explicitly.
        trunkExtra: '    transferAllow: ["ext:10*"]\n',
      }) +
        `registrations:
  - { name: pbx-main, server: 127.0.0.1, port: ${pbx.port}, username: alice, password: s3cret-pw, extension: "1001", expires: 60, bot: tester }
`,
    );
    await bridge.start();
    const sipPort = bridge.sipPort();
    await bridge.waitForLog((l) => l.msg === 'registered' && l.expires === 60, 5000);

    callerRtp = await RtpListener.start();
    const run = await runSipp({
      scenario: 'uac-pcap-g711a-caller-hangup.xml',
      target: { host: '127.0.0.1', port: sipPort },
      service: '+15550100',
      keys: { rtp_port: callerRtp.port },
      args: ['-d', '6000'],
      timeoutMs: 20_000,
    });
    expect(run.code, describeSipp(run)).toBe(0);
    const bot = await bots.nextConnection();
    await bot.until(() => bot.closeCode !== undefined, 5000, 'close');
    expect(bot.events.filter((e) => e.type === 'transfer')).toEqual([
      { type: 'transfer', status: 'ringing' },
      { type: 'transfer', status: 'answered' },
    ]);
    expect(bot.event('stop')).toMatchObject({ type: 'stop', reason: 'transfer' });

    // Shutdown un-REGISTERs, which ends the PBX's second call: its run succeeds only if both verifyauth checks passed.
    await bridge.stop();
    const pbxRun = await pbx.done;
    expect(pbxRun.code, describeSipp(pbxRun)).toBe(0);
    // The extension leg went to the registration's server:port, challenged, then carried the registration's user.
    const invites = pbxRun.messages.split(/\n(?=[-]+ )/).filter((m) => /^INVITE /m.test(m));
    expect(invites.length).toBe(2);
    for (const inv of invites) expect(inv).toMatch(new RegExp(`^INVITE sip:1002@127\\.0\\.0\\.1:${pbx.port} SIP/2\\.0`, 'm'));
    expect(invites[0]).not.toMatch(/Authorization:/);
    expect(invites[1]).toMatch(new RegExp(`Authorization: Digest username="alice", realm="pbx\\.test".*uri="sip:1002@127\\.0\\.0\\.1:${pbx.port}"`));
    // Caller ID on the leg: the original caller's number (From of the carrier's INVITE), at our host.
    const callerNumber = /^From:[^\n]*<sip:(\+?\d+)@/m.exec(run.messages)?.[1];
    expect(callerNumber).toBeDefined();
    expect(invites[1]).toMatch(new RegExp(`^From: <sip:${(callerNumber ?? '').replace('+', '\\+')}@127\\.0\\.0\\.1:\\d+>;tag=`, 'm'));
    expect(pbxRun.messages).toMatch(/^REGISTER sip:127\.0\.0\.1(?::\d+)? SIP\/2\.0[\s\S]*?Authorization: Digest username="alice"/m);

    // extension -> caller: the phone's tone reaches the caller, and not neighbouring frequencies.
    const toCaller = callerRtp.packets.flatMap((p) => Array.from(p.payloadType === 8 ? alawmulaw.alaw.decode(p.payload) : alawmulaw.mulaw.decode(p.payload)));
    expect(toCaller.length).toBeGreaterThan(8000 * 3);
    const { level: best, win } = strongestWindow(toCaller, 8000, toneHz, 4000, 800);
    expect(best).toBeGreaterThan(2000);
    expect(goertzelAmplitude(win, 8000, 500)).toBeLessThan(best / 20);
    expect(goertzelAmplitude(win, 8000, 1300)).toBeLessThan(best / 20);

    // caller -> extension: the caller's recording reaches the phone (envelope follows the pcap's).
    const reference = decodePcma(readPcapRtp('/usr/share/sip-tester/g711a.pcap').map((p) => p.payload));
    const heard = decodePcma(phone.received);
    expect(heard.length).toBeGreaterThan(8000 * 4);
    const { r } = bestLaggedCorrelation(rmsEnvelope(reference, 160), rmsEnvelope(heard, 160), 100);
    expect(r).toBeGreaterThan(0.8);
  }, 40_000);
});
