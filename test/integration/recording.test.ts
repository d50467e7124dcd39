/**
 * Call recordings end to end: SIPp as the carrier (a 440 Hz tone) -> the bridge (media on its worker threads) ->
 * a ws bot (a 1500 Hz tone), recorded to a folder of the test. The files are read by Debian's own tools (soxi and
 * sox for WAV, opusdec for Ogg/Opus) and checked by frequency channel by channel: the caller on the left, what
 * the caller hears on the right (the bot, and after a bridged transfer the agent's 1 kHz tone). On-demand pause
 * is silence; the API drives it (media in the main thread there); a full disk (a 256 kB tmpfs mounted by the test, root only) stops the recording, not the call.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BridgeProcess, SIPP_DIR } from './harness/bridge-process.js';
import { describeSipp, runSipp } from './harness/sipp.js';
import { TestBotServer, type BotConnection } from './harness/test-bot.js';
import { RtpListener } from './harness/rtp-listener.js';
import { reservePorts } from '../helpers/ports.js';
import { testConfig } from './harness/config.js';
import { bestLaggedCorrelation, dominantTones, rmsEnvelope, sineL16 } from './harness/signal.js';
import { metric } from './harness/metrics.js';
import { startSippUas, type SippUas } from './harness/sipp-uas.js';
import { AgentMedia } from './harness/agent-media.js';
import { writePcmuPcap } from '../../src/bench/pcap.js';
import { encodeWav } from '../../src/media/prompt.js';
import alawmulaw from 'alawmulaw';
import { waitFor } from '../helpers/wait-for.js';

const CALLER_HZ = 440;
const BOT_HZ = 1500;
const AGENT_HZ = 1000;
const RATE = 16000;
const TONES = [CALLER_HZ, BOT_HZ, AGENT_HZ];

let work: string;
/** The caller scenario, copied next to its 440 Hz pcap (path relative to sipp/, as runSipp takes it). */
let scenario: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'tb-rec-e2e-'));
  const pcap = join(work, 'caller-440.pcap');
  writePcmuPcap(pcap, { durationMs: 8000, toneHz: CALLER_HZ });
  const copy = join(work, 'uac-pcap-file-caller-hangup.xml');
  writeFileSync(copy, readFileSync(join(SIPP_DIR, 'uac-pcap-file-caller-hangup.xml'), 'utf8').replaceAll('PCAP_FILE', pcap));
  scenario = relative(SIPP_DIR, copy);
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

let bridge: BridgeProcess | undefined;
let bots: TestBotServer | undefined;
let listener: RtpListener | undefined;
const cleanups: Array<() => void> = [];

afterEach(async () => {
  await bridge?.stop();
  await bots?.close();
  listener?.close();
  for (const c of cleanups.splice(0)) c();
  bridge = bots = listener = undefined;
});

/** A bot that answers `start` with 8 s of its tone, then does what `after` says. */
function speakingBot(after: (c: BotConnection) => void = () => {}) {
  return (c: BotConnection): void => {
    c.ws.once('message', () => {
      const tone = sineL16(BOT_HZ, RATE, 8000);
      for (let off = 0; off < tone.length; off += 6400) c.sendPcm(tone.subarray(off, off + 6400));
      after(c);
    });
  };
}

async function startBridge(o: { dir: string; recordings?: string; mode: string; bot: (c: BotConnection) => void; extraConfig?: string; trunkExtra?: string; workers?: number; numberBot?: string; api?: string }): Promise<BridgeProcess> {
  const rtpBase = await reservePorts(8);
  bots = await TestBotServer.start(o.bot);
  listener = await RtpListener.start();
  const b = new BridgeProcess(
    testConfig({
      rtpPortMin: rtpBase,
      rtpPortMax: rtpBase + 7,
      extraMedia: `  latching: off${o.workers !== undefined ? `\n  workers: ${o.workers}` : ''}`,
      bots: { tester: `{ url: "${bots.url}", sampleRate: ${RATE}, connectTimeoutMs: 2000 }`, echo: '{ builtin: echo }' },
      numbers: { '+15550100': o.numberBot ?? 'tester' },
      trunkExtra: `    recording: ${o.mode}\n${o.trunkExtra ?? ''}`,
    }) + `api: { enabled: true${o.api ?? ''} }\nrecordings: { dir: "${o.dir}"${o.recordings ?? ''} }\n${o.extraConfig ?? ''}`,
  );
  await b.start();
  bridge = b;
  return b;
}

async function call(b: BridgeProcess, stayMs: number, callerScenario = scenario) {
  const run = await runSipp({ scenario: callerScenario, target: { host: '127.0.0.1', port: b.sipPort() }, service: '+15550100', keys: { rtp_port: listener!.port }, args: ['-d', String(stayMs)], timeoutMs: 30_000 });
  expect(run.code, describeSipp(run)).toBe(0);
  return run;
}

/** One channel of a recording as 16-bit samples, by sox (remix N), at RATE. */
function channel(file: string, n: 1 | 2): Int16Array {
  const raw = execFileSync('sox', [file, '-t', 's16', '-r', String(RATE), '-c', '1', '-', 'remix', String(n)], { maxBuffer: 64 * 1024 * 1024 });
  return new Int16Array(raw.buffer, raw.byteOffset, raw.length / 2);
}

/** Share of 100 ms blocks in [from, to) seconds where tone `hz` dominates. */
function share(pcm: Int16Array, hz: number, from: number, to: number): number {
  const blocks = dominantTones(pcm.slice(from * RATE, to * RATE), RATE, TONES, 100, 800);
  return blocks.filter((i) => i === TONES.indexOf(hz)).length / Math.max(1, blocks.length);
}

interface Ready {
  file: string;
  durationMs: number;
  pausedSpans: Array<{ startMs: number; endMs: number }>;
}

async function ready(b: BridgeProcess): Promise<Ready> {
  return (await b.waitForLog((l) => l.msg === 'recording ready', 10_000)) as unknown as Ready;
}

/** The CDR of `callId` under `recordsDir` (callRecords.dir), once written. */
async function cdrOf(recordsDir: string, callId: string): Promise<Record<string, unknown>> {
  const all = (): Array<Record<string, unknown>> => {
    const dir = join(recordsDir, 'cdr');
    if (!existsSync(dir)) return [];
    return readdirSync(dir).flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>));
  };
  return waitFor(() => all().find((r) => r.callId === callId), { timeoutMs: 15_000, what: `the CDR of ${callId}`, detail: () => JSON.stringify(all()) });
}

async function callSeconds(b: BridgeProcess): Promise<number> {
  return (await b.waitForLog((l) => l.msg === 'call ended')).durationSeconds as number;
}

describe('recording: always', () => {
  it('WAV: caller left, bot right, time-aligned; soxi reads it; its length is the call; the API serves it with Range', async () => {
    const dir = join(work, 'wav');
    const b = await startBridge({ dir, mode: 'always', bot: speakingBot() });
    await call(b, 4000);
    const r = await ready(b);
    const seconds = await callSeconds(b);
    const date = new Date().toISOString().slice(0, 10);
    expect(r.file.startsWith(join(dir, date) + '/')).toBe(true);
    expect(r.file.endsWith('.wav')).toBe(true);
    expect(readdirSync(join(dir, date)).filter((n) => n.endsWith('.part'))).toEqual([]);
    expect(execFileSync('soxi', ['-c', r.file], { encoding: 'utf8' }).trim()).toBe('2');
    expect(execFileSync('soxi', ['-r', r.file], { encoding: 'utf8' }).trim()).toBe(String(RATE));
    expect(execFileSync('soxi', ['-b', r.file], { encoding: 'utf8' }).trim()).toBe('16');
    const soxSeconds = Number(execFileSync('soxi', ['-D', r.file], { encoding: 'utf8' }));
    expect(Math.abs(soxSeconds - r.durationMs / 1000)).toBeLessThan(0.01);
    expect(Math.abs(soxSeconds - seconds)).toBeLessThan(0.3);
    expect(soxSeconds).toBeGreaterThan(3.5);
    const left = channel(r.file, 1);
    const right = channel(r.file, 2);
    expect(share(left, CALLER_HZ, 0.5, 3.5)).toBeGreaterThan(0.9);
    expect(share(right, BOT_HZ, 0.5, 3.5)).toBeGreaterThan(0.9);
    expect(share(left, BOT_HZ, 0.5, 3.5)).toBe(0);
    expect(share(right, CALLER_HZ, 0.5, 3.5)).toBe(0);
    expect(await metric(b.metricsPort, 'trunkbridge_recordings_total{format="wav"}')).toMatch(/ 1$/);

    // GET /v1/calls/{id}/recording: whole, a range, and 404 for a call without one.
    const callId = (b.logs.find((l) => l.msg === 'recording ready') as unknown as { callId: string }).callId;
    const url = `http://127.0.0.1:${b.metricsPort}/v1/calls/${callId}/recording`;
    const whole = await fetch(url);
    expect(whole.status).toBe(200);
    expect(whole.headers.get('content-type')).toBe('audio/wav');
    expect(Buffer.from(await whole.arrayBuffer()).equals(readFileSync(r.file))).toBe(true);
    const part = await fetch(url, { headers: { Range: 'bytes=0-43' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 0-43/${readFileSync(r.file).length}`);
    const head = Buffer.from(await part.arrayBuffer());
    expect(head.length).toBe(44);
    expect(head.toString('ascii', 0, 4)).toBe('RIFF');
    const none = await fetch(`http://127.0.0.1:${b.metricsPort}/v1/calls/00000000-0000-0000-0000-000000000000/recording`);
    expect(none.status).toBe(404);
    expect(await none.json()).toMatchObject({ error: 'no-recording' });
  }, 40_000);

  it('Ogg/Opus: opusdec decodes it; caller left, bot right', async () => {
    const dir = join(work, 'ogg');
    const b = await startBridge({ dir, recordings: ', format: ogg', mode: 'always', bot: speakingBot() });
    await call(b, 4000);
    const r = await ready(b);
    const seconds = await callSeconds(b);
    expect(r.file.endsWith('.ogg')).toBe(true);
    const wav = join(work, 'decoded.wav');
    const dec = spawnSync('opusdec', ['--rate', String(RATE), r.file, wav], { encoding: 'utf8' });
    expect(dec.status, dec.stderr).toBe(0);
    expect(execFileSync('soxi', ['-c', wav], { encoding: 'utf8' }).trim()).toBe('2');
    const soxSeconds = Number(execFileSync('soxi', ['-D', wav], { encoding: 'utf8' }));
    expect(Math.abs(soxSeconds - seconds)).toBeLessThan(0.3);
    const left = channel(wav, 1);
    const right = channel(wav, 2);
    expect(share(left, CALLER_HZ, 0.5, 3.5)).toBeGreaterThan(0.9);
    expect(share(right, BOT_HZ, 0.5, 3.5)).toBeGreaterThan(0.9);
    expect(share(left, BOT_HZ, 0.5, 3.5)).toBe(0);
    // Opus at 16 kHz stereo is a fraction of the WAV's 64 kB/s.
    expect(readFileSync(r.file).length).toBeLessThan(soxSeconds * 64_000 * 0.25);
  }, 40_000);
});

describe('recording: time alignment', () => {
  it("with the echo bot the right channel is the caller's speech a few ms later: the two sides are aligned", async () => {
    const dir = join(work, 'echo');
    const b = await startBridge({ dir, mode: 'always', numberBot: 'echo', bot: () => {} });
    await call(b, 6000, 'uac-pcap-g711a-caller-hangup.xml');
    const r = await ready(b);
    const block = RATE / 100; // 10 ms
    const left = Array.from(channel(r.file, 1));
    const right = Array.from(channel(r.file, 2));
    const { r: corr, lag } = bestLaggedCorrelation(rmsEnvelope(left, block), rmsEnvelope(right, block), 30);
    expect(corr, `r ${corr.toFixed(3)} at lag ${lag * 10} ms`).toBeGreaterThan(0.8);
    // The right side is what went on the wire: caller frame (20 ms) -> echo -> queued for the caller's 30 ms
    // packets, so it trails by the bridge's own echo path (70 ms measured on an idle machine), never by more
    // than the slack the time line allows.
    expect(lag * 10, `lag ${lag * 10} ms (r ${corr.toFixed(3)})`).toBeLessThanOrEqual(120);
  }, 40_000);
});

describe('recording: on-demand', () => {
  it('the bot starts, pauses and resumes it: the paused span is silence on both channels', async () => {
    const dir = join(work, 'demand');
    const recordsDir = join(work, 'demand-records');
    let bot: BotConnection | undefined;
    const b = await startBridge({
      dir,
      mode: 'on-demand',
      extraConfig: `callRecords: { dir: "${recordsDir}" }\n`,
      bot: speakingBot((c) => {
        bot = c;
        c.sendJson({ type: 'record', action: 'pause' }); // refused: nothing to pause yet
        c.sendJson({ type: 'record', action: 'start' });
        setTimeout(() => c.sendJson({ type: 'record', action: 'pause' }), 1000);
        setTimeout(() => c.sendJson({ type: 'record', action: 'resume' }), 2000);
      }),
    });
    await call(b, 4000);
    const r = await ready(b);
    expect(bot!.events.filter((e) => e.type === 'recording' || e.code?.toString().startsWith('recording'))).toEqual([
      { type: 'error', code: 'recording-state', message: 'cannot pause: the recording is idle' },
      { type: 'recording', state: 'recording' },
      { type: 'recording', state: 'paused' },
      { type: 'recording', state: 'recording' },
    ]);
    expect(r.pausedSpans).toHaveLength(1);
    // The call's record (CDR) names the file and its paused span: recordingStarted held it for recordingReady.
    const callId = String(bot!.events[0]?.callId ?? '');
    const cdr = await cdrOf(recordsDir, callId);
    expect(cdr.recording).toEqual({ file: r.file, pausedSpans: r.pausedSpans });
    const [{ startMs, endMs }] = r.pausedSpans;
    expect(endMs - startMs).toBeGreaterThan(800);
    const left = channel(r.file, 1);
    const right = channel(r.file, 2);
    const inSpan = (x: Int16Array) => x.slice(Math.ceil((startMs * RATE) / 1000), Math.floor((endMs * RATE) / 1000));
    expect(Math.max(...inSpan(left).map(Math.abs))).toBe(0);
    expect(Math.max(...inSpan(right).map(Math.abs))).toBe(0);
    // Around the span both sides are heard.
    expect(share(left, CALLER_HZ, startMs / 1000 - 0.6, startMs / 1000 - 0.1)).toBeGreaterThan(0.8);
    expect(share(right, BOT_HZ, endMs / 1000 + 0.2, endMs / 1000 + 0.8)).toBeGreaterThan(0.8);
  }, 40_000);

  it('POST /v1/calls/{id}/recording drives it for any dialect (media in the main thread)', async () => {
    const dir = join(work, 'api');
    let callId = '';
    const READ = 'a-read-only-key-0123456789';
    const OPERATE = 'an-operate-key-0123456789';
    const keys = `, keys: [{ name: viewer, role: read, key: "${READ}" }, { name: dialer, role: operate, key: "${OPERATE}" }]`;
    const b = await startBridge({ dir, mode: 'on-demand', workers: 0, api: keys, bot: speakingBot((c) => (callId = String(c.events[0]?.callId ?? ''))) });
    const running = call(b, 3000);
    await bots!.connectionCount(1, 10_000);
    await bots!.connections[0].until(() => callId !== '', 5000, 'start');
    const url = `http://127.0.0.1:${b.metricsPort}/v1/calls/${callId}/recording`;
    const post = async (action: string, key = OPERATE) => {
      const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${key}` }, body: JSON.stringify({ action }) });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    // The /v1 gate decides: no key 401, a read key may not control it (403), operate may.
    expect((await fetch(url, { method: 'POST', body: '{"action":"start"}' })).status).toBe(401);
    expect(await post('start', READ)).toMatchObject({ status: 403, body: { error: 'forbidden' } });
    expect(await post('start')).toEqual({ status: 200, body: { callId, state: 'recording' } });
    expect(await post('start')).toMatchObject({ status: 409, body: { error: 'recording-state' } });
    expect(await post('rewind')).toMatchObject({ status: 400, body: { error: 'bad-request' } });
    expect(await post('stop')).toEqual({ status: 200, body: { callId, state: 'stopped' } });
    const r = await ready(b);
    expect(existsSync(r.file)).toBe(true);
    // A read key may fetch the file.
    const got = await fetch(url, { headers: { Authorization: `Bearer ${READ}` } });
    expect(got.status).toBe(200);
    expect(Buffer.from(await got.arrayBuffer()).equals(readFileSync(r.file))).toBe(true);
    await running;
  }, 40_000);
});

describe('recording: consent prompt', () => {
  it('the caller hears the prompt before the bot; the bot starts after it; the file begins after it', async () => {
    const PROMPT_HZ = 2000;
    const prompt = join(work, 'consent.wav');
    const tone = new Int16Array(RATE);
    for (let i = 0; i < tone.length; i++) tone[i] = Math.round(8000 * Math.sin((2 * Math.PI * PROMPT_HZ * i) / RATE));
    writeFileSync(prompt, encodeWav(tone, RATE));
    const dir = join(work, 'consent');
    const b = await startBridge({ dir, recordings: `, consentPrompt: "${prompt}"`, mode: 'always', bot: speakingBot() });
    await call(b, 4000);
    const r = await ready(b);
    const heard = Int16Array.from(listener!.packets.flatMap((p) => Array.from(p.payloadType === 8 ? alawmulaw.alaw.decode(p.payload) : alawmulaw.mulaw.decode(p.payload))));
    const freqs = [PROMPT_HZ, BOT_HZ];
    const blocks = dominantTones(heard, 8000, freqs, 100, 800);
    const lastPrompt = blocks.lastIndexOf(0);
    const firstBot = blocks.indexOf(1);
    expect(blocks.filter((i) => i === 0).length, JSON.stringify(blocks)).toBeGreaterThanOrEqual(8); // the 1 s prompt
    expect(firstBot).toBeGreaterThan(lastPrompt);
    expect(b.logs.some((l) => l.msg === 'recording consent prompt played')).toBe(true);
    const right = channel(r.file, 2);
    expect(dominantTones(right, RATE, freqs, 100, 800).filter((i) => i === 0)).toEqual([]);
    expect(share(right, BOT_HZ, 0.3, 2)).toBeGreaterThan(0.9);
  }, 40_000);
});

describe('recording: a bridged transfer', () => {
  let agentSipp: SippUas | undefined;
  let agentMedia: AgentMedia | undefined;
  afterEach(() => {
    agentSipp?.kill();
    agentMedia?.close();
  });

  it("after the transfer the agent's tone is on the right, the caller still on the left", async () => {
    const dir = join(work, 'transfer');
    agentMedia = await AgentMedia.start(AGENT_HZ);
    agentSipp = await startSippUas({ scenario: 'uas-answer-media-by-key.xml', keys: { agent_rtp_port: agentMedia.port } });
    const agentUri = `sip:agent@127.0.0.1:${agentSipp.port}`;
    const b = await startBridge({
      dir,
      mode: 'always',
      trunkExtra: '    transferAllow: ["sip:agent@127.0.0.1:*"]\n',
      bot: speakingBot((c) => setTimeout(() => c.sendJson({ type: 'transfer', to: agentUri, method: 'bridge' }), 1500)),
    });
    await call(b, 6000);
    const r = await ready(b);
    const left = channel(r.file, 1);
    const right = channel(r.file, 2);
    const blocks = dominantTones(right, RATE, TONES, 100, 800);
    const firstAgent = blocks.indexOf(TONES.indexOf(AGENT_HZ));
    const lastBot = blocks.lastIndexOf(TONES.indexOf(BOT_HZ));
    expect(firstAgent, JSON.stringify(blocks)).toBeGreaterThan(10); // the bot spoke first (1.5 s)
    expect(lastBot).toBeLessThan(firstAgent + 5);
    // The agent talks 3 s once it hears the bridge: most of that is on the right.
    expect(blocks.filter((i) => i === TONES.indexOf(AGENT_HZ)).length).toBeGreaterThan(20);
    expect(share(left, CALLER_HZ, 0.5, 5)).toBeGreaterThan(0.9);
    expect(share(left, AGENT_HZ, 0.5, 5)).toBe(0);
  }, 40_000);
});

describe('recording: shutdown', () => {
  it('SIGTERM mid-call: the call ends and its recording is in place, never left as a temporary file', async () => {
    const dir = join(work, 'shutdown');
    const recordsDir = join(work, 'shutdown-records');
    const b = await startBridge({ dir, mode: 'always', bot: speakingBot(), extraConfig: `callRecords: { dir: "${recordsDir}" }\n` });
    const running = runSipp({ scenario, target: { host: '127.0.0.1', port: b.sipPort() }, service: '+15550100', keys: { rtp_port: listener!.port }, args: ['-d', '20000'], timeoutMs: 30_000 });
    await b.waitForLog((l) => l.msg === 'recording control' && l.state === 'recording');
    await bots!.connections[0].until(() => bots!.connections[0].events.length > 0, 5000, 'start');
    expect(await b.stop()).toBe(0);
    await running; // SIPp gets our BYE in the middle of its scenario: its exit code says nothing here
    const files = readdirSync(dir, { recursive: true }).map(String);
    expect(files.filter((n) => n.endsWith('.part'))).toEqual([]);
    const wav = files.filter((n) => n.endsWith('.wav'));
    expect(wav).toHaveLength(1);
    expect(execFileSync('soxi', ['-c', join(dir, wav[0])], { encoding: 'utf8' }).trim()).toBe('2');
    expect(b.logs.some((l) => l.msg === 'recording ready')).toBe(true);
    // The shutdown waited for the file before closing the records: the call's CDR names it.
    const callId = String(bots!.connections[0].events[0]?.callId ?? '');
    expect((await cdrOf(recordsDir, callId)).recording).toEqual({ file: join(dir, wav[0]), pausedSpans: [] });
  }, 40_000);
});

describe('recording: a full disk', () => {
  it('a 256 kB tmpfs fills: the recording stops with recording-failed and a metric, the call goes on', async (ctx) => {
    const dir = join(work, 'full');
    mkdirSync(dir, { recursive: true });
    const mount = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', dir], { encoding: 'utf8' });
    if (mount.status !== 0) {
      ctx.skip(`cannot mount a tmpfs here (${mount.stderr.trim()}); the unit test injects ENOSPC through the file seam`);
      return;
    }
    cleanups.push(() => {
      spawnSync('umount', [dir]);
      rmSync(dir, { recursive: true, force: true });
    });
    let bot: BotConnection | undefined;
    const b = await startBridge({ dir, mode: 'always', bot: speakingBot((c) => (bot = c)) });
    // 16 kHz stereo WAV is 64 kB/s: 256 kB is full after about 4 s of a 7 s call.
    const run = await call(b, 7000);
    expect(run.messages).toMatch(/BYE sip:/);
    const failed = await b.waitForLog((l) => l.msg === 'recording failed; the call goes on');
    expect(failed).toMatchObject({ failure: 'disk-full' });
    expect(await metric(b.metricsPort, 'trunkbridge_recording_failures_total{reason="disk-full"}')).toMatch(/ 1$/);
    expect(bot!.events).toContainEqual({ type: 'error', code: 'recording-failed', message: 'the recording stopped: disk-full (the call goes on)' });
    // The call ran to the caller's BYE, and the bot got its normal stop.
    expect((await b.waitForLog((l) => l.msg === 'call ended')).reason).toBe('caller-hangup');
    expect(await callSeconds(b)).toBeGreaterThan(6.5);
    expect(b.logs.some((l) => l.msg === 'recording ready')).toBe(false);
    // No half file left behind.
    const left = readdirSync(dir, { recursive: true }).map(String).filter((n) => n.endsWith('.wav') || n.endsWith('.part'));
    expect(left).toEqual([]);
  }, 40_000);
});
