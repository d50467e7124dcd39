/**
 * Vonage Voice API WebSockets (the NCCO `connect` action to a `websocket` endpoint), as Vonage documents them
 * ("WebSockets in the Vonage Voice API") and as Pipecat's `VonageFrameSerializer` reads them. Binary frames
 * carry L16 (16-bit little-endian PCM, mono) at the bot's `sampleRate`, 8000 or 16000; text frames carry JSON:
 *
 * - to the bot: first `{"event":"websocket:connected","content-type":"audio/l16;rate=16000", ...headers}` (the
 *   headers an NCCO would carry, flattened at the top level: the INVITE's X- headers, then the bot's
 *   `parameters`), then caller audio as binary, exactly one 20 ms frame per message (640 bytes at 16 kHz),
 *   `websocket:dtmf` (top-level `digit`, `duration` in ms), `websocket:cleared` and `websocket:notify`.
 * - from the bot: binary audio of any size (Pipecat sends 1,280 bytes unless told otherwise; a sample split
 *   across messages is joined), `{"action":"clear"}` (drops the queue, answered with `websocket:cleared`),
 *   `{"action":"notify","payload":…}` (answered with `websocket:notify` and the same payload once the audio
 *   before it has played, at once when nothing is queued; a clear drops a notify whose audio never played).
 *   Other text is ignored; the bot hangs up by closing its socket. Vonage has no stop message: the socket closes.
 */
import type { BotInput, Dialect, DialectCodec, DialectContext, WireFrame } from './dialect.js';
import { L16Joiner, MarkTokens, jsonObjectFrame } from './l16-wire.js';
import type { BridgeEvent, StartMessage } from './native.js';
import { customParameters } from './stream-events.js';
import { describeValue } from './describe.js';

/** The first message's own fields: a header of the same name cannot replace them. */
const CONNECTED_FIELDS = new Set(['event', 'content-type']);

/** The Vonage dialect: the bot's own rate (8000 or 16000, checked by config). */
export const vonageDialect: Dialect = {
  name: 'vonage',
  continuousAudio: true,
  open: (ctx) => new VonageCodec(ctx),
};

/** A notify's payload, boxed: a notify without one is still a notify. */
interface Notify {
  payload?: unknown;
}

class VonageCodec implements DialectCodec {
  private readonly notifies = new MarkTokens<Notify>();
  private readonly joiner = new L16Joiner();
  private started = false;

  constructor(private readonly ctx: DialectContext) {}

  handshake(start: StartMessage): WireFrame[] {
    if (this.started) return [];
    this.started = true;
    const headers = Object.entries(customParameters(start.headers, this.ctx.parameters)).filter(([k]) => !CONNECTED_FIELDS.has(k));
    return [JSON.stringify({ event: 'websocket:connected', 'content-type': `audio/l16;rate=${this.ctx.sampleRate}`, ...Object.fromEntries(headers) })];
  }

  callerAudio(pcm: Buffer): WireFrame[] {
    return this.started ? [pcm] : [];
  }

  event(e: BridgeEvent): WireFrame[] {
    if (!this.started) return [];
    switch (e.type) {
      case 'dtmf':
        return [JSON.stringify({ event: 'websocket:dtmf', digit: e.digit, duration: e.durationMs })];
      case 'mark': {
        const notify = this.notifies.reached(e.name);
        return notify === undefined ? [] : [JSON.stringify({ event: 'websocket:notify', payload: notify.payload })];
      }
      case 'cleared':
        this.notifies.drain();
        return [JSON.stringify({ event: 'websocket:cleared' })];
      default:
        return [];
    }
  }

  stop(): WireFrame[] {
    return [];
  }

  receive(frame: WireFrame): BotInput[] {
    if (Buffer.isBuffer(frame)) return this.joiner.take(frame);
    const parsed = jsonObjectFrame(frame);
    if ('input' in parsed) return [parsed.input];
    const { action } = parsed.msg;
    switch (action) {
      case 'clear':
        return [{ kind: 'command', command: { type: 'clear' } }];
      case 'notify':
        return [{ kind: 'command', command: { type: 'mark', name: this.notifies.add({ payload: parsed.msg.payload }) } }];
      default:
        // Vonage ignores what it does not know (Pipecat's older serializer sent {"event":"clearAudio"}).
        return [{ kind: 'ignored', what: `action ${describeValue(action)}` }];
    }
  }
}
