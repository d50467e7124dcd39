/**
 * bot-check's end of the socket: the bridge's side of one call, spoken through the same dialect module the
 * bridge uses. It sends the handshake, caller audio and events the dialect frames, decodes everything the bot
 * sends, answers `mark` and `clear` through a {@link SimulatedPlayout}, and records what happened for the
 * steps to judge.
 */
import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import type { BotInput, BridgeEvent, DialectCodec, StartMessage, WireFrame } from '../bot/index.js';
import type { Dialect } from '../bot/index.js';
import { SimulatedPlayout } from './playout.js';

/** What the bot did, as the steps read it. */
export interface BotRecord {
  /** Frames received, in total. */
  frames: number;
  /** Bot audio: total ms, ms above the silence floor, and when the first arrived (ms after the handshake). */
  audioMs: number;
  audibleMs: number;
  firstAudioAt?: number;
  /** Frames the dialect refused, and the first few reasons. */
  invalidCount: number;
  invalid: string[];
  marksSent: string[];
  clears: number;
  /** Commands other than audio, mark and clear (hangup, transfer, dtmf), by type. */
  commands: string[];
  /** Set when the socket closed: who closed it, code, and when (ms after the handshake). */
  closed?: { byBot: boolean; code: number; at: number };
}

/** RMS below which bot audio counts as silence (about -50 dBFS). */
const SILENCE_RMS = 100;

function rms(pcm: Buffer): number {
  let sum = 0;
  const n = pcm.length >> 1;
  for (let i = 0; i < n; i++) {
    const s = pcm.readInt16LE(i * 2);
    sum += s * s;
  }
  return n === 0 ? 0 : Math.sqrt(sum / n);
}

/** What the dialect is told of the bot, as a configured bot's calls would tell it (a stored bot's check). */
export interface BotAs {
  botName?: string;
  parameters?: Readonly<Record<string, string>>;
  encoding?: 'PCMU' | 'PCMA';
}

/** The bridge's side of one bot socket (see the file comment). */
export class BotLink {
  readonly record: BotRecord = { frames: 0, audioMs: 0, audibleMs: 0, invalidCount: 0, invalid: [], marksSent: [], clears: 0, commands: [] };
  readonly playout: SimulatedPlayout;
  private readonly codec: DialectCodec;
  private t0 = performance.now();
  private stopping = false;
  private readonly closedWaiters: Array<() => void> = [];

  private constructor(
    private readonly ws: WebSocket,
    private readonly dialect: Dialect,
    private readonly rate: number,
    callId: string,
    as: BotAs = {},
  ) {
    this.codec = dialect.open({ callId, botName: as.botName ?? 'bot-check', sampleRate: rate, parameters: as.parameters ?? {}, ...(as.encoding ? { encoding: as.encoding } : {}), randomBytes, wallClock: Date.now });
    this.playout = new SimulatedPlayout((e) => this.sendEvent(e));
    ws.on('message', (data, isBinary) => this.onFrame(isBinary ? (data as Buffer) : String(data)));
    ws.on('close', (code) => {
      this.record.closed ??= { byBot: !this.stopping, code, at: this.elapsed() };
      this.playout.close();
      for (const w of this.closedWaiters.splice(0)) w();
    });
    ws.on('error', () => undefined); // reported through 'close'
  }

  /** Opens the socket (with the dialect's subprotocol); rejects with the reason the upgrade failed. */
  static open(url: string, dialect: Dialect, rate: number, opts: { headers: Record<string, string>; timeoutMs: number; callId: string; as?: BotAs }): Promise<BotLink> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, dialect.subprotocol !== undefined ? [dialect.subprotocol] : [], {
        headers: opts.headers,
        perMessageDeflate: false,
        handshakeTimeout: opts.timeoutMs,
        followRedirects: false,
      });
      ws.once('open', () => resolve(new BotLink(ws, dialect, rate, opts.callId, opts.as)));
      ws.once('unexpected-response', (_req, res) => {
        res.resume();
        reject(new Error(`upgrade answered HTTP ${res.statusCode ?? '?'}`));
        ws.terminate();
      });
      ws.once('error', (err) => reject(err));
    });
  }

  /** Milliseconds since the handshake. */
  elapsed(): number {
    return Math.round(performance.now() - this.t0);
  }

  get open(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  /** Sends the dialect's opening frames; returns a short description of them. */
  handshake(start: StartMessage): string[] {
    this.t0 = performance.now();
    const frames = this.codec.handshake(start);
    this.send(frames);
    return frames.map(describe);
  }

  /** One 20 ms frame of caller audio. */
  callerAudio(pcm: Buffer): void {
    if (this.open) this.send(this.codec.callerAudio(pcm));
  }

  /** A bridge event as the dialect frames it; false when the dialect has no frame for it. */
  sendEvent(e: BridgeEvent): boolean {
    const frames = this.codec.event(e);
    this.send(frames);
    return frames.length > 0;
  }

  /** The caller hangs up: the dialect's stop, then the socket is closed; resolves once it is closed. */
  async hangUp(timeoutMs: number): Promise<boolean> {
    if (!this.record.closed) {
      this.stopping = true;
      this.send(this.codec.stop('caller-hangup'));
      this.ws.close(1000, 'caller-hangup');
    }
    return this.closedWithin(timeoutMs);
  }

  /** Resolves true once the socket is closed, false after `timeoutMs`. */
  closedWithin(timeoutMs: number): Promise<boolean> {
    if (this.record.closed) return Promise.resolve(true);
    return new Promise((resolve) => {
      const t = setTimeout(() => resolve(false), timeoutMs);
      this.closedWaiters.push(() => {
        clearTimeout(t);
        resolve(true);
      });
    });
  }

  terminate(): void {
    this.playout.close();
    this.ws.terminate();
  }

  private send(frames: WireFrame[]): void {
    for (const f of frames) if (this.ws.readyState === WebSocket.OPEN) this.ws.send(f);
  }

  private onFrame(frame: WireFrame): void {
    this.record.frames++;
    for (const input of this.codec.receive(frame)) this.onInput(input);
  }

  private onInput(input: BotInput): void {
    switch (input.kind) {
      case 'audio': {
        const ms = ((input.pcm.length >> 1) * 1000) / this.rate;
        this.record.audioMs += ms;
        if (rms(input.pcm) >= SILENCE_RMS) {
          this.record.audibleMs += ms;
          this.record.firstAudioAt ??= this.elapsed();
        }
        this.playout.audio(ms);
        return;
      }
      case 'command':
        if (input.command.type === 'mark') {
          this.record.marksSent.push(input.command.name);
          this.playout.mark(input.command.name);
        } else if (input.command.type === 'clear') {
          this.record.clears++;
          this.playout.clear();
        } else {
          this.record.commands.push(input.command.type);
          // The bridge would act on these; here a transfer has nowhere to go.
          if (input.command.type === 'transfer') this.sendEvent({ type: 'transfer', status: 'failed', reason: 'transfer-unavailable' });
        }
        return;
      case 'reply':
        this.send([input.frame]);
        return;
      case 'invalid':
        this.record.invalidCount++;
        if (this.record.invalid.length < 3) this.record.invalid.push(input.error.message);
        return;
      case 'ignored':
        return;
    }
  }
}

/** A frame for the report: a JSON event's name, or "binary N bytes". */
function describe(f: WireFrame): string {
  if (Buffer.isBuffer(f)) return `binary ${f.length} bytes`;
  try {
    const m = JSON.parse(f) as Record<string, unknown>;
    return String(m.event ?? m.type ?? 'text');
  } catch {
    return 'text';
  }
}
