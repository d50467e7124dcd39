/**
 * `trunkbridge test-call`: one real call with the bridge's own SIP stack (sip/) and media session (media/),
 * printing each step as it happens: the SIP responses with their times, the negotiated codec, whether audio
 * came back and how loud, and the round trip of the tone when an echo answers.
 */
import { readFileSync } from 'node:fs';
import { SystemClock, type Clock } from '../core/clock.js';
import { classifyFailure } from '../core/errors.js';
import { createLogger, silentLogger, type Logger } from '../core/logger.js';
import { SipUserAgent } from '../sip/ua/user-agent.js';
import { reasonPhrase } from '../sip/message/status.js';
import { createOffer, parseAnswer, type AnsweredMedia } from '../sdp/index.js';
import { MediaSession, RtpPortPool, decodePrompt, promptAt, int16ToL16Buffer, type RtpSocket } from '../media/index.js';
import type { TestCallArgs } from './args.js';
import { judgeAudio, levelDbfs, sineTone, type TimedFrame } from './audio-check.js';

/** The rate test-call plays and analyses at (every codec it offers carries it). */
const RATE = 8000;

export interface TestCallDeps {
  /** One printed line (stdout). */
  print(line: string): void;
  clock?: Clock;
  /** SIP/RTP debug logs (--verbose); default none. */
  logger?: Logger;
  /** Ctrl-C: a ringing call is cancelled, an answered one hung up (BYE); the run then exits 130. */
  abort?: AbortSignal;
}

/** Exit codes (see TEST_CALL_USAGE). */
export const EXIT = { ok: 0, notAnswered: 1, usage: 2, noAudio: 3, interrupted: 130 } as const;

function dbfs(v: number): string {
  return Number.isFinite(v) ? `${v.toFixed(1)} dBFS` : 'silence';
}

/** The audio to send: the tone, or the WAV file at 8 kHz, `seconds` long at most. */
function audioToSend(a: TestCallArgs): Int16Array {
  if (a.wavFile === undefined) return sineTone(a.toneHz ?? 440, RATE, a.seconds);
  const samples = promptAt(decodePrompt(readFileSync(a.wavFile), a.wavFile), RATE);
  return samples.subarray(0, Math.min(samples.length, RATE * a.seconds));
}

function sleep(clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => clock.setTimeout(resolve, ms));
}

export async function runTestCall(a: TestCallArgs, deps: TestCallDeps): Promise<number> {
  const clock = deps.clock ?? new SystemClock();
  const logger = deps.logger ?? silentLogger();
  const out = deps.print;
  const t0 = clock.now();
  const elapsed = (): string => `+${Math.round(clock.now() - t0)} ms`;
  let audio: Int16Array;
  try {
    audio = audioToSend(a);
  } catch (err) {
    out(`FAIL: cannot read ${a.wavFile}: ${(err as Error).message}`);
    return EXIT.usage;
  }
  const ua = new SipUserAgent({
    clock,
    logger,
    listen: [{ transport: a.transport, host: a.localHost, port: 0, ...(a.tls ?? {}) }],
    userAgent: 'trunkbridge-test-call',
    traffic: {
      messageReceived() {},
      malformedReceived() {},
      response: (direction, method, status) => {
        if (direction === 'received') out(`<- ${status} ${reasonPhrase(status)} (${method})  ${elapsed()}`);
      },
    },
  });
  let rtp: RtpSocket | undefined;
  let session: MediaSession | undefined;
  try {
    await ua.start();
    const local = ua.boundAddresses()[0];
    const pool = new RtpPortPool({ min: a.rtpPort ?? 40000, max: (a.rtpPort ?? 40998) + 1, host: a.localHost, rtcp: true });
    rtp = await pool.allocate();
    const advertised = ua.advertisedHost(a.transport).replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
    const offer = createOffer({ localAddress: advertised, localPort: rtp.port, codecs: a.codecs });
    out(`-> INVITE ${a.uri} over ${a.transport} to ${a.host}:${a.port} from ${local.address}:${local.port}, offering ${a.codecs.join(', ')} (RTP port ${rtp.port})`);
    const call = ua.placeCall({
      requestUri: a.uri,
      fromUri: `sip:${a.from}@${advertised}`,
      nextHop: { host: a.host, port: a.port, transport: a.transport },
      sdp: offer,
      ringTimeoutMs: a.ringTimeoutSec * 1000,
      ...(a.credentials ? { credentials: a.credentials } : {}),
    });
    const onAbort = (): void => {
      out(`-> CANCEL (interrupted)  ${elapsed()}`);
      call.cancel();
    };
    deps.abort?.addEventListener('abort', onAbort, { once: true });
    let answered;
    try {
      answered = await call.answered;
    } catch (err) {
      const f = classifyFailure(err);
      out(`FAIL: not answered: ${f.sipStatus} ${reasonPhrase(f.sipStatus)} (${f.reason})  ${elapsed()}`);
      return deps.abort?.aborted ? EXIT.interrupted : EXIT.notAnswered;
    } finally {
      deps.abort?.removeEventListener('abort', onAbort);
    }
    let media: AnsweredMedia;
    try {
      media = parseAnswer(a.codecs, answered.sdp);
    } catch (err) {
      out(`FAIL: answered, but the SDP answer is unusable: ${(err as Error).message}`);
      await answered.dialog.hangup();
      return EXIT.noAudio;
    }
    out(`answered  ${elapsed()}: codec ${media.codec.name}/${media.codec.clockRate} (payload type ${media.payloadType}), ptime ${media.ptimeMs} ms, far end RTP ${media.remote.address}:${media.remote.port}`);
    const frames: TimedFrame[] = [];
    session = new MediaSession({
      clock, logger, socket: rtp, codec: media.codec, payloadType: media.payloadType, remote: media.remote, ptimeMs: media.ptimeMs,
      appSampleRate: RATE, idleFill: 'silence', latching: 'any', rtcp: { mux: false },
      ...(media.telephoneEvent ? { telephoneEvent: media.telephoneEvent } : {}),
    });
    rtp = undefined; // the session owns the socket now
    session.on('frame', (pcm: Buffer) => frames.push({ at: clock.now(), pcm: new Int16Array(pcm.buffer.slice(pcm.byteOffset, pcm.byteOffset + pcm.length)) }));
    let farEndLeft = false;
    answered.dialog.once('bye', () => {
      farEndLeft = true;
      out(`<- BYE from the far end  ${elapsed()}`);
    });
    session.start();
    const sentAt = clock.now();
    session.playAudio(int16ToL16Buffer(audio));
    out(`-> sending ${a.wavFile !== undefined ? a.wavFile : `a ${a.toneHz} Hz tone`} (${dbfs(levelDbfs(audio))}) for ${(audio.length / RATE).toFixed(1)} s`);
    // The tone plus a moment for its tail to come back.
    const until = clock.now() + a.seconds * 1000 + 500;
    while (!farEndLeft && !deps.abort?.aborted && clock.now() < until) await sleep(clock, Math.min(100, until - clock.now()));
    if (deps.abort?.aborted) out(`interrupted  ${elapsed()}`);
    const verdict = judgeAudio(frames, sentAt, RATE, a.wavFile === undefined ? a.toneHz : undefined);
    const stats = session.stats;
    const q = session.quality;
    out(`RTP: sent ${stats.packetsSent} packets, received ${stats.packetsReceived} (lost ${q.packetsLost}, jitter ${q.jitterMs.toFixed(1)} ms)`);
    const heard = verdict.firstSoundMs !== undefined;
    out(heard
      ? `audio back: ${dbfs(verdict.levelDbfs)} overall, loudest frame ${dbfs(verdict.peakFrameDbfs)}, first sound ${Math.round(verdict.firstSoundMs!)} ms after ours started`
      : `audio back: none above -45 dBFS (${verdict.frames} frames, ${dbfs(verdict.levelDbfs)})`);
    if (a.wavFile === undefined) out(verdict.toneHeard ? `echo: our ${a.toneHz} Hz tone came back, round trip ${Math.round(verdict.firstSoundMs ?? 0)} ms` : `echo: our ${a.toneHz} Hz tone did not come back`);
    if (!farEndLeft) {
      out(`-> BYE  ${elapsed()}`);
      await answered.dialog.hangup();
    }
    const ok = a.expectEcho ? verdict.toneHeard : heard || stats.packetsReceived > 0;
    if (deps.abort?.aborted) return EXIT.interrupted;
    out(ok ? 'PASS' : `FAIL: ${a.expectEcho ? 'no echo of the tone came back' : 'no RTP came back'}`);
    return ok ? EXIT.ok : EXIT.noAudio;
  } finally {
    session?.close();
    rtp?.close();
    await ua.stop();
  }
}

/** The logger for --verbose: SIP messages and media events at debug, readable, on stderr. */
export function verboseLogger(): Logger {
  return createLogger({ level: 'debug', format: 'pretty', destination: process.stderr });
}
