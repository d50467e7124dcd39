/**
 * `trunkbridge bot-check`: plays the bridge's side of one call against a running bot, before any phone is
 * involved, and judges it step by step: the socket opens, the dialect's handshake goes out, a caller tone
 * streams in and the bot's audio comes back (not silence), marks come back once their audio has "played"
 * (simulated in real time), DTMF reaches the bot, clears are answered as the bridge answers them, every frame
 * the bot sends is valid in its dialect, and the bot takes the caller's hang-up (stop, socket closed).
 * The framing is the bridge's own dialect modules, so a bot that passes here speaks what the bridge speaks.
 */
import { randomUUID } from 'node:crypto';
import { DIALECTS, dialectFor, signedStartHeaders, type DialectName, type StartMessage } from '../bot/index.js';
import { BotLink, type BotAs } from './bot-link.js';

/** What to check and how long to give the bot. */
export interface BotCheckOptions {
  url: string;
  protocol: DialectName;
  /** L16 rate for dialects that leave it to the bot (native); default 16000. */
  sampleRate?: number;
  /** Sent on the upgrade (e.g. Authorization). */
  headers?: Record<string, string>;
  /** The configured bot's name, custom parameters and Telnyx encoding, framed as its calls frame them. */
  as?: BotAs;
  /** The bot's signing secret: the upgrade carries X-Trunkbridge-Signature as a call's would (bot/signature.ts). */
  secret?: string;
  /** How long the bot has to answer the caller's tone with audio, ms (default 5000). */
  listenMs?: number;
  /** How long the upgrade may take, ms (default 5000). */
  connectTimeoutMs?: number;
  /** Called with each step as it is judged (the CLI prints it at once). */
  onStep?: (step: StepResult) => void;
}

/** One step's verdict: `skip` is a behaviour the bot did not show and need not (marks, clear). */
export interface StepResult {
  name: string;
  verdict: 'pass' | 'fail' | 'skip';
  detail: string;
}

/** The verdict: passed when no step failed (skipped ones do not count against the bot). */
export interface BotCheckReport {
  passed: boolean;
  steps: StepResult[];
}

/** The protocols bot-check speaks: every dialect the bridge has. */
export const PROTOCOLS = Object.keys(DIALECTS) as DialectName[];

/** The steps, in order. */
export const STEPS = ['connect', 'handshake', 'audio', 'marks', 'dtmf', 'clear', 'frames', 'hang-up'] as const;

/** Audible bot audio that counts as "the bot answered" (a word or a prompt's first syllable). */
const AUDIO_NEEDED_MS = 200;
const TONE_HZ = 1000;
const FRAME_MS = 20;

/** A continuous 1 kHz tone, one 20 ms L16 frame at a time. */
function toneFrames(rate: number): () => Buffer {
  const n = (rate * FRAME_MS) / 1000;
  let phase = 0;
  return () => {
    const b = Buffer.allocUnsafe(n * 2);
    for (let i = 0; i < n; i++, phase++) b.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * TONE_HZ * phase) / rate)), i * 2);
    return b;
  };
}

async function waitUntil(cond: () => boolean, ms: number): Promise<boolean> {
  const deadline = performance.now() + ms;
  while (!cond()) {
    if (performance.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}

function startMessage(callId: string, rate: number): StartMessage {
  return {
    type: 'start',
    callId,
    sipCallId: `${callId}@bot-check`,
    from: '+15551230001',
    to: '+15550100',
    trunk: 'bot-check',
    direction: 'inbound',
    headers: {},
    media: { encoding: 'L16', sampleRate: rate, channels: 1, frameMs: FRAME_MS },
  };
}

/** Runs the check; never throws for anything the bot does. */
export async function checkBot(o: BotCheckOptions): Promise<BotCheckReport> {
  const dialect = dialectFor(o.protocol);
  const rate = dialect.sampleRate ?? o.sampleRate ?? 16000;
  const steps: StepResult[] = [];
  const judge = (name: string, verdict: StepResult['verdict'], detail: string) => {
    const s = { name, verdict, detail };
    steps.push(s);
    o.onStep?.(s);
  };
  const finish = (): BotCheckReport => {
    for (const name of STEPS.slice(steps.length)) judge(name, 'fail', 'not reached');
    return { passed: steps.every((s) => s.verdict !== 'fail'), steps };
  };

  const t0 = performance.now();
  const callId = randomUUID();
  let link: BotLink;
  try {
    const signed = o.secret !== undefined ? signedStartHeaders(o.secret, callId, o.url, Date.now()) : {};
    link = await BotLink.open(o.url, dialect, rate, { headers: { ...o.headers, ...signed }, timeoutMs: o.connectTimeoutMs ?? 5000, callId, ...(o.as ? { as: o.as } : {}) });
  } catch (err) {
    judge('connect', 'fail', `no WebSocket: ${(err as Error).message}`);
    return finish();
  }
  judge('connect', 'pass', `upgrade answered in ${Math.round(performance.now() - t0)} ms${dialect.subprotocol ? ` (subprotocol ${dialect.subprotocol})` : ''}`);
  judge('handshake', 'pass', `sent ${link.handshake(startMessage(callId, rate)).join(', ')}`);
  const tone = toneFrames(rate);
  const pacer = setInterval(() => link.callerAudio(tone()), FRAME_MS);
  try {
    await conversation(link, o, judge);
  } finally {
    clearInterval(pacer);
  }
  if (steps.length === STEPS.indexOf('hang-up')) await hangUp(link, judge);
  link.terminate();
  return finish();
}

type Judge = (name: string, verdict: StepResult['verdict'], detail: string) => void;

/** "the bot closed the socket ..." when it has, for the step that was waiting. */
function closedEarly(link: BotLink): string | undefined {
  const c = link.record.closed;
  return c ? `the bot closed the socket (code ${c.code}) ${c.at} ms into the call` : undefined;
}

/** audio, marks, dtmf, clear, frames: stops at the first step the bot cut short by closing its socket. */
async function conversation(link: BotLink, o: BotCheckOptions, judge: Judge): Promise<void> {
  const r = link.record;
  const listenMs = o.listenMs ?? 5000;
  await waitUntil(() => r.audibleMs >= AUDIO_NEEDED_MS || r.closed !== undefined, listenMs);
  if (r.audibleMs >= AUDIO_NEEDED_MS) {
    judge('audio', 'pass', `first audible audio ${r.firstAudioAt} ms after the handshake; ${Math.round(r.audibleMs)} ms so far`);
  } else {
    const what = r.audioMs > 0 ? `only ${Math.round(r.audibleMs)} ms audible of ${Math.round(r.audioMs)} ms (silence)` : 'no audio';
    judge('audio', 'fail', `${what} within ${listenMs} ms of the caller's tone${r.closed ? `; ${closedEarly(link)}` : ''}`);
    if (r.closed) return;
  }

  // Marks may follow the first audio: they get what is left of the listening window, then their playout.
  if (r.marksSent.length === 0) await waitUntil(() => r.marksSent.length > 0 || r.closed !== undefined, 1000);
  await waitUntil(() => link.playout.pendingMarks === 0 || r.closed !== undefined, link.playout.queuedMs + 1000);
  if (r.closed) return judge('marks', 'fail', closedEarly(link)!);
  if (r.marksSent.length === 0) judge('marks', 'skip', 'the bot placed no mark (optional)');
  else judge('marks', 'pass', marksDetail(link));

  // What the bot makes of the key is its own business; it must take the frame and stay (invalid frames are
  // judged by "frames").
  if (!link.sendEvent({ type: 'dtmf', digit: '5', durationMs: 100 })) {
    judge('dtmf', 'skip', `protocol ${o.protocol} has no DTMF message`);
  } else {
    await waitUntil(() => r.closed !== undefined, 500);
    if (r.closed) return judge('dtmf', 'fail', `sent digit 5; ${closedEarly(link)}`);
    judge('dtmf', 'pass', 'sent digit 5; the bot stayed connected');
  }

  if (r.clears === 0) judge('clear', 'skip', 'the bot sent no clear (optional: bots clear on barge-in)');
  else judge('clear', 'pass', `the bot cleared ${r.clears} time(s); answered as the bridge answers`);

  if (r.invalidCount === 0) judge('frames', 'pass', `${r.frames} frames from the bot, all valid ${o.protocol}`);
  else judge('frames', 'fail', `${r.invalidCount} of ${r.frames} frames invalid in ${o.protocol}: ${r.invalid.join('; ')}`);
}

/** Which marks came back how. */
function marksDetail(link: BotLink): string {
  const { reached, dropped } = link.playout;
  const names = (l: string[]) => l.map((m) => JSON.stringify(m)).join(', ');
  const parts = [reached.length ? `returned after their audio played: ${names(reached)}` : '', dropped.length ? `dropped by a clear: ${names(dropped)}` : ''];
  return `${link.record.marksSent.length} placed; ${parts.filter(Boolean).join('; ')}`;
}

async function hangUp(link: BotLink, judge: Judge): Promise<void> {
  const early = closedEarly(link);
  if (early) return judge('hang-up', 'fail', `${early}, before the caller hung up`);
  const sentAt = link.elapsed();
  const closed = await link.hangUp(2000);
  const c = link.record.closed;
  if (!closed || !c) return judge('hang-up', 'fail', 'sent stop and closed; the bot did not complete the close within 2 s');
  judge('hang-up', 'pass', `sent stop; the socket closed (code ${c.code}) ${Math.max(0, c.at - sentAt)} ms later`);
}
