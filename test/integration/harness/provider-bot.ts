/**
 * A voice bot written against a provider's published WebSocket protocol (Plivo audio streams, Exotel Voicebot,
 * Vonage WebSockets, jambonz `listen` with streaming bidirectional audio), behaving as a Pipecat bot does:
 *
 * - Plivo and Exotel: like `pipecat.runner.utils.parse_telephony_websocket` it reads exactly the first two text
 *   messages as the handshake (Plivo: `start`, then the first `media`; Exotel: `connected`, then `start`) and
 *   recognises the provider from them by Pipecat's rules; every later message must be a JSON text frame with an
 *   `event` (anything else ends the Exotel serializer's loop: recorded as a violation). Vonage and jambonz: the
 *   first text frame is the handshake (`websocket:connected`, the listen metadata), then binary audio and JSON.
 * - it speaks in 40 ms chunks sent every 20 ms (about twice real time): Plivo `playAudio` (μ-law 8 kHz),
 *   Exotel `media` (base64 L16), Vonage and jambonz binary L16; marks are Plivo `checkpoint`, Exotel `mark`,
 *   Vonage `notify` (payload `{name}`), jambonz `mark`; it clears on barge-in (`clearAudio`, `clear`,
 *   `{"action":"clear"}`, `killAudio`) and hangs up by closing its socket.
 *
 * Nothing here is taken from trunkbridge's source: field names come from the providers' documentation.
 */
import alawmulaw from 'alawmulaw';
import type { WebSocket } from 'ws';
import { waitFor } from '../../helpers/wait-for.js';

export type Provider = 'plivo' | 'exotel' | 'vonage' | 'jambonz';

type Msg = Record<string, unknown>;

/** One message (text parsed, or binary) as it arrived, with its arrival time (Date.now()). */
export interface Arrival {
  at: number;
  msg?: Msg;
  bytes?: Buffer;
}

/** How many opening messages the provider's Pipecat runner (or first-message handler) consumes. */
const HANDSHAKE: Record<Provider, number> = { plivo: 2, exotel: 2, vonage: 1, jambonz: 1 };

const obj = (v: unknown): Msg => (typeof v === 'object' && v !== null ? (v as Msg) : {});

/** One provider bot on one accepted socket: records what it hears and speaks when told (see the file comment). */
export class ProviderBot {
  /** The handshake messages, parsed. */
  readonly handshake: Msg[] = [];
  /** When the socket was accepted and when each handshake message arrived (Date.now()). */
  readonly openedAt = Date.now();
  readonly handshakeAt: number[] = [];
  /** What the handshake looks like, by Pipecat's detection rules (or the provider's first message). */
  detected: Provider | 'twilio' | 'telnyx' | 'unknown' = 'unknown';
  /** Every message after the handshake. */
  readonly received: Arrival[] = [];
  /** Caller audio decoded to 16-bit samples at the bot's rate, in arrival order. */
  readonly callerPcm: number[] = [];
  /** Arrival and size (bytes of L16, or μ-law bytes for Plivo) of each caller-audio message after the handshake. */
  readonly media: Array<{ at: number; bytes: number }> = [];
  /** Frames this provider's bots could not have parsed. Must stay empty. */
  readonly violations: string[] = [];
  /** Marks (checkpoints, notifies) that came back, with how (jambonz: playout/cleared). */
  readonly marks: Array<{ name: string; at: number; how?: string }> = [];
  /** Plivo `clearedAudio`, Vonage `websocket:cleared`: arrival times. */
  readonly clearAcks: number[] = [];
  readonly dtmf: string[] = [];
  private streamId: string | undefined;
  private speaking: NodeJS.Timeout | undefined;
  private onStopped: (() => void) | undefined;

  constructor(
    readonly ws: WebSocket,
    readonly provider: Provider,
    /** The rate the bot was configured for (Plivo: 8000). */
    readonly rate: number,
  ) {
    ws.on('message', (data, isBinary) => this.onMessage(data as Buffer, isBinary));
  }

  private onMessage(data: Buffer, isBinary: boolean): void {
    const at = Date.now();
    const binaryAudio = this.provider === 'vonage' || this.provider === 'jambonz';
    if (isBinary) {
      if (!binaryAudio || this.handshake.length < HANDSHAKE[this.provider]) this.violations.push(`binary frame of ${data.length} bytes`);
      else this.onBinary(at, data);
      return;
    }
    let msg: unknown;
    try {
      msg = JSON.parse(data.toString('utf8'));
    } catch {
      this.violations.push(`not JSON: ${data.toString('utf8').slice(0, 80)}`);
      return;
    }
    if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) {
      this.violations.push(`not a JSON object: ${JSON.stringify(msg).slice(0, 80)}`);
      return;
    }
    const m = msg as Msg;
    if (this.handshake.length < HANDSHAKE[this.provider]) {
      this.handshake.push(m);
      this.handshakeAt.push(at);
      if (this.handshake.length === HANDSHAKE[this.provider]) this.detect();
      return;
    }
    if (!binaryAudio && typeof m.event !== 'string') this.violations.push(`no "event": ${JSON.stringify(m).slice(0, 80)}`);
    this.received.push({ at, msg: m });
    this.onText(at, m);
  }

  private onBinary(at: number, bytes: Buffer): void {
    this.received.push({ at, bytes });
    this.media.push({ at, bytes: bytes.length });
    for (let i = 0; i + 1 < bytes.length; i += 2) this.callerPcm.push(bytes.readInt16LE(i));
  }

  private onText(at: number, m: Msg): void {
    switch (this.provider) {
      case 'plivo':
        if (m.event === 'media') this.onBase64Media(at, m, 'mulaw');
        else if (m.event === 'dtmf') this.dtmf.push(String(obj(m.dtmf).digit));
        else if (m.event === 'playedStream') this.marks.push({ name: String(m.name), at });
        else if (m.event === 'clearedAudio') this.clearAcks.push(at);
        return;
      case 'exotel':
        if (m.event === 'media') this.onBase64Media(at, m, 'l16');
        else if (m.event === 'dtmf') this.dtmf.push(String(obj(m.dtmf).digit));
        else if (m.event === 'mark') this.marks.push({ name: String(obj(m.mark).name), at });
        return;
      case 'vonage':
        if (m.event === 'websocket:dtmf') this.dtmf.push(String(m.digit));
        else if (m.event === 'websocket:notify') this.marks.push({ name: String(obj(m.payload).name), at });
        else if (m.event === 'websocket:cleared') this.clearAcks.push(at);
        return;
      case 'jambonz':
        if (m.event === 'dtmf') this.dtmf.push(String(m.dtmf));
        else if (m.type === 'mark') this.marks.push({ name: String(obj(m.data).name), at, how: String(obj(m.data).event) });
        return;
    }
  }

  private onBase64Media(at: number, m: Msg, format: 'mulaw' | 'l16'): void {
    const bytes = Buffer.from(String(obj(m.media).payload), 'base64');
    this.media.push({ at, bytes: bytes.length });
    if (format === 'mulaw') for (const s of alawmulaw.mulaw.decode(bytes)) this.callerPcm.push(s);
    else for (let i = 0; i + 1 < bytes.length; i += 2) this.callerPcm.push(bytes.readInt16LE(i));
  }

  /** Pipecat's `_detect_transport_type_from_message` on both messages (Plivo, Exotel), else the first message's shape. */
  private detect(): void {
    for (const m of this.handshake) {
      const start = obj(m.start);
      if (m.event === 'start' && 'streamSid' in start && 'callSid' in start) this.detected = 'twilio';
      else if ('stream_id' in m && 'call_control_id' in start) this.detected = 'telnyx';
      else if ('start' in m && 'streamId' in start && 'callId' in start) this.detected = 'plivo';
      else if (m.event === 'start' && 'stream_sid' in start && 'call_sid' in start && 'account_sid' in start) this.detected = 'exotel';
      else if (m.event === 'websocket:connected') this.detected = 'vonage';
      else if ('callSid' in m && 'sampleRate' in m && 'mixType' in m) this.detected = 'jambonz';
      if (this.detected !== 'unknown') {
        this.streamId = (start.streamId ?? start.stream_sid) as string | undefined;
        return;
      }
    }
  }

  /** The handshake's start (Plivo, Exotel) or only message (Vonage, jambonz). */
  get start(): Msg {
    return this.handshake.find((m) => m.event === 'start') ?? this.handshake[0] ?? {};
  }

  private send(msg: Msg | Buffer): void {
    this.ws.send(Buffer.isBuffer(msg) ? msg : JSON.stringify(msg));
  }

  /** One chunk of bot audio (samples at the bot's rate) as the provider expects it. */
  private audioMessage(pcm: Int16Array): Msg | Buffer {
    const l16 = Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength);
    switch (this.provider) {
      case 'plivo': {
        const payload = Buffer.from(alawmulaw.mulaw.encode(pcm)).toString('base64');
        return { event: 'playAudio', media: { contentType: 'audio/x-mulaw', sampleRate: 8000, payload }, streamId: this.streamId };
      }
      case 'exotel':
        return { event: 'media', streamSid: this.streamId, media: { payload: l16.toString('base64') } };
      default:
        return Buffer.from(l16);
    }
  }

  private markMessage(name: string): Msg {
    switch (this.provider) {
      case 'plivo':
        return { event: 'checkpoint', streamId: this.streamId, name };
      case 'exotel':
        return { event: 'mark', stream_sid: this.streamId, mark: { name } };
      case 'vonage':
        return { action: 'notify', payload: { name } };
      case 'jambonz':
        return { type: 'mark', data: { name } };
    }
  }

  private clearMessage(): Msg {
    switch (this.provider) {
      case 'plivo':
        return { event: 'clearAudio', streamId: this.streamId };
      case 'exotel':
        return { event: 'clear', stream_sid: this.streamId };
      case 'vonage':
        return { action: 'clear' };
      case 'jambonz':
        return { type: 'killAudio' };
    }
  }

  /**
   * Speaks each segment (samples at the bot's rate) followed by its mark: 40 ms chunks, one every 20 ms. Resolves
   * once everything is out, or at once when cleared meanwhile.
   */
  speak(segments: Array<{ pcm: Int16Array; mark: string }>): Promise<void> {
    const chunk = (this.rate * 40) / 1000;
    const frames: Array<{ msg: Msg | Buffer; mark: boolean }> = [];
    for (const { pcm, mark } of segments) {
      for (let off = 0; off < pcm.length; off += chunk) frames.push({ msg: this.audioMessage(pcm.subarray(off, off + chunk)), mark: false });
      frames.push({ msg: this.markMessage(mark), mark: true });
    }
    return new Promise((resolve) => {
      let i = 0;
      // One tick: a chunk and the marks right behind it go out together, as a serializer flushes them.
      const tick = () => {
        do this.send(frames[i++].msg);
        while (i < frames.length && frames[i].mark);
        if (i >= frames.length) this.stopSpeaking();
      };
      this.onStopped = resolve;
      tick();
      if (i < frames.length) this.speaking = setInterval(tick, 20);
    });
  }

  private stopSpeaking(): void {
    if (this.speaking) clearInterval(this.speaking);
    this.speaking = undefined;
    this.onStopped?.();
    this.onStopped = undefined;
  }

  /** Barge-in: stop speaking (as a cancelled TTS does) and tell the provider to drop what it queued. */
  clear(): number {
    this.stopSpeaking();
    this.send(this.clearMessage());
    return Date.now();
  }

  /** A mark with nothing queued before it. */
  mark(name: string): number {
    this.send(this.markMessage(name));
    return Date.now();
  }

  /** Hanging up, as a Pipecat bot does: the socket closes. */
  hangUp(): number {
    this.stopSpeaking();
    this.ws.close(1000, 'bye');
    return Date.now();
  }

  async until(pred: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
    await waitFor(pred, {
      timeoutMs,
      what: `${this.provider} bot: ${what}`,
      detail: () => `marks ${JSON.stringify(this.marks)}, dtmf ${JSON.stringify(this.dtmf)}, violations ${JSON.stringify(this.violations)}`,
    });
  }

  async markNamed(name: string, timeoutMs = 5000): Promise<number> {
    await this.until(() => this.marks.some((m) => m.name === name), `mark ${name}`, timeoutMs);
    return this.marks.find((m) => m.name === name)!.at;
  }
}
