/**
 * A voice bot written against a telephony provider's published WebSocket protocol (Twilio Media Streams,
 * Telnyx media streaming), behaving as a Pipecat bot does:
 *
 * - like `pipecat.runner.utils.parse_telephony_websocket`, it reads exactly the first two text messages as the
 *   handshake and recognises the provider from them (Twilio: `event` start with `start.streamSid` and
 *   `start.callSid`; Telnyx: top-level `stream_id` and `start.call_control_id`);
 * - like the provider serializers' receive loop, each later message must be a JSON text frame with an `event`
 *   (a binary frame, non-JSON text, or an object without `event` ends a Pipecat bot's loop: recorded here as a
 *   violation); `media` is decoded (Twilio μ-law; Telnyx in `start.media_format.encoding`), `dtmf` and `mark`
 *   are recorded, anything else is skipped;
 * - it speaks in 40 ms chunks sent every 20 ms (about twice real time), always μ-law (Pipecat's runner sends
 *   Telnyx PCMU), clears on barge-in and hangs up by closing its socket.
 *
 * Nothing here is taken from trunkbridge's source: field names come from the providers' documentation.
 */
import alawmulaw from 'alawmulaw';
import type { WebSocket } from 'ws';
import { waitFor } from '../../helpers/wait-for.js';

export type Provider = 'twilio' | 'telnyx';

/** The provider's documented field names for what this bot sends and reads. */
const FIELDS = {
  twilio: { seq: 'sequenceNumber', streamOf: (m: Msg) => (m.start as Msg | undefined)?.streamSid as string | undefined },
  telnyx: { seq: 'sequence_number', streamOf: (m: Msg) => m.stream_id as string | undefined },
} as const;

type Msg = Record<string, unknown>;

/** One message as it arrived, with its arrival time (Date.now()). */
export interface Received {
  at: number;
  msg: Msg;
}

export class MediaStreamBot {
  /** The two handshake messages, parsed. */
  handshake: Msg[] = [];
  /** When the socket was accepted and when each handshake message arrived (Date.now()). */
  readonly openedAt = Date.now();
  readonly handshakeAt: number[] = [];
  /** Which provider the handshake looks like, by Pipecat's detection rules. */
  detected: Provider | 'unknown' = 'unknown';
  /** Every message after the handshake. */
  readonly received: Received[] = [];
  /** Caller audio decoded to 16-bit samples, 8 kHz, in arrival order. */
  readonly callerPcm: number[] = [];
  /** Frames a Pipecat bot could not have parsed. Must stay empty. */
  readonly violations: string[] = [];
  /** Marks received, with their arrival time. */
  readonly marks: Array<{ name: string; at: number }> = [];
  readonly dtmf: string[] = [];
  private streamId: string | undefined;
  private speaking: NodeJS.Timeout | undefined;

  constructor(
    readonly ws: WebSocket,
    readonly provider: Provider,
  ) {
    ws.on('message', (data, isBinary) => this.onMessage(data as Buffer, isBinary));
  }

  private onMessage(data: Buffer, isBinary: boolean): void {
    if (isBinary) {
      this.violations.push(`binary frame of ${data.length} bytes`);
      return;
    }
    let msg: unknown;
    try {
      msg = JSON.parse(data.toString('utf8'));
    } catch {
      this.violations.push(`not JSON: ${data.toString('utf8').slice(0, 80)}`);
      return;
    }
    if (this.handshake.length < 2) {
      this.handshake.push(msg as Msg);
      this.handshakeAt.push(Date.now());
      if (this.handshake.length === 2) this.detect();
      return;
    }
    if (typeof msg !== 'object' || msg === null || typeof (msg as Msg).event !== 'string') {
      this.violations.push(`no "event": ${JSON.stringify(msg).slice(0, 80)}`);
      return;
    }
    const m = msg as Msg;
    this.received.push({ at: Date.now(), msg: m });
    if (m.event === 'media') this.onMedia(m);
    else if (m.event === 'dtmf') this.dtmf.push(String((m.dtmf as Msg).digit));
    else if (m.event === 'mark') this.marks.push({ name: String((m.mark as Msg).name), at: Date.now() });
  }

  /** Pipecat's `_detect_transport_type_from_message`, on the first message then the second. */
  private detect(): void {
    for (const m of this.handshake) {
      const start = (m.start ?? {}) as Msg;
      if (m.event === 'start' && 'streamSid' in start && 'callSid' in start) this.detected = 'twilio';
      else if ('stream_id' in m && 'call_control_id' in start) this.detected = 'telnyx';
      if (this.detected !== 'unknown') {
        this.streamId = FIELDS[this.detected].streamOf(m);
        return;
      }
    }
  }

  /** The handshake's `start` message. */
  get start(): Msg {
    return this.handshake.find((m) => m.event === 'start') ?? {};
  }

  private onMedia(m: Msg): void {
    const bytes = Buffer.from(String((m.media as Msg).payload), 'base64');
    const law = this.provider === 'telnyx' ? ((this.start.start as Msg).media_format as Msg).encoding : 'PCMU';
    const pcm = law === 'PCMA' ? alawmulaw.alaw.decode(bytes) : alawmulaw.mulaw.decode(bytes);
    for (const s of pcm) this.callerPcm.push(s);
  }

  /** Media messages in arrival order. */
  get media(): Received[] {
    return this.received.filter((r) => r.msg.event === 'media');
  }

  /** Every sequence number received, handshake included, in order. */
  get sequenceNumbers(): unknown[] {
    const key = FIELDS[this.provider].seq;
    return [...this.handshake, ...this.received.map((r) => r.msg)].filter((m) => key in m).map((m) => m[key]);
  }

  private send(msg: Msg): void {
    const withStream = this.provider === 'twilio' ? { ...msg, streamSid: this.streamId } : msg;
    this.ws.send(JSON.stringify(withStream));
  }

  /**
   * Speaks each segment (8 kHz samples) followed by its mark: 40 ms μ-law chunks, one every 20 ms. Resolves once
   * everything is out, or at once when cleared meanwhile.
   */
  speak(segments: Array<{ pcm: Int16Array; mark: string }>): Promise<void> {
    const frames: Msg[] = [];
    for (const { pcm, mark } of segments) {
      for (let off = 0; off < pcm.length; off += 320) {
        frames.push({ event: 'media', media: { payload: Buffer.from(alawmulaw.mulaw.encode(pcm.subarray(off, off + 320))).toString('base64') } });
      }
      frames.push({ event: 'mark', mark: { name: mark } });
    }
    return new Promise((resolve) => {
      let i = 0;
      // One tick: a chunk and the marks right behind it go out together, as a serializer flushes them.
      const tick = () => {
        do this.send(frames[i++]);
        while (i < frames.length && frames[i].event === 'mark');
        if (i >= frames.length) this.stopSpeaking();
      };
      this.onCleared = resolve;
      tick();
      if (i < frames.length) this.speaking = setInterval(tick, 20);
    });
  }

  private onCleared: (() => void) | undefined;

  private stopSpeaking(): void {
    if (this.speaking) clearInterval(this.speaking);
    this.speaking = undefined;
    this.onCleared?.();
    this.onCleared = undefined;
  }

  /** Barge-in: stop speaking (as a cancelled TTS does) and tell the provider to drop what it queued. */
  clear(): number {
    this.stopSpeaking();
    this.send({ event: 'clear' });
    return Date.now();
  }

  /** A mark with nothing queued before it. */
  mark(name: string): number {
    this.send({ event: 'mark', mark: { name } });
    return Date.now();
  }

  /** Hanging up, as a Pipecat bot does: the socket closes. */
  hangUp(): number {
    this.stopSpeaking();
    this.ws.close(1000, 'bye');
    return Date.now();
  }

  async until(pred: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
    await waitFor(pred, { timeoutMs, what: `${this.provider} bot: ${what}`, detail: () => `marks ${JSON.stringify(this.marks)}, dtmf ${JSON.stringify(this.dtmf)}, violations ${JSON.stringify(this.violations)}` });
  }

  async markNamed(name: string, timeoutMs = 5000): Promise<number> {
    await this.until(() => this.marks.some((m) => m.name === name), `mark ${name}`, timeoutMs);
    return this.marks.find((m) => m.name === name)!.at;
  }
}
