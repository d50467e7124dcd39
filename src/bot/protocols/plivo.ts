/**
 * Plivo Audio Streams, bidirectional (`<Stream bidirectional="true">`), as Plivo documents its "Stream Event
 * Protocol" and as Pipecat's `PlivoFrameSerializer` and runner read it. Text JSON frames only:
 *
 * - to the bot: no `connected`; `start` first (`start.callId`/`start.streamId` UUIDs, `accountId`, `tracks`,
 *   `mediaFormat` μ-law 8000, the top-level `extra_headers`), then `media` (base64 μ-law, one 20 ms frame each,
 *   `track`, a Unix-ms string `timestamp`, a numeric `chunk`), `dtmf` (`dtmf.digit`), `playedStream` and
 *   `clearedAudio`; one numeric `sequenceNumber` counter across them, from 1. Pipecat's runner reads `start` and
 *   then the first `media` as its two handshake messages, so media flows from the start, silence included.
 * - from the bot: `playAudio` (`media.payload` base64 μ-law at 8000, or `audio/x-l16` at 8000; any length),
 *   `checkpoint` (answered with `playedStream` once the audio before it has played, at once when nothing is
 *   queued), `clearAudio` (drops the queue; answered with `clearedAudio`; checkpoints not yet reached are
 *   dropped, never confirmed). Other events are ignored; `streamId` is not required. The bot hangs up by closing
 *   its socket (Plivo itself has no in-band hang-up and no `stop` event).
 *
 * `extra_headers` is Plivo's one string of `key=value` pairs joined by `;` (the INVITE's X- headers, then the
 * bot's `parameters`), each key and value URL-encoded so that `;` and `=` inside them cannot break the list.
 */
import type { BotInput, Dialect, DialectCodec, DialectContext, WireFrame } from './dialect.js';
import { encodeG711, fromBase64 } from './g711.js';
import { MarkTokens, invalidInput, objectAt } from './l16-wire.js';
import type { BridgeEvent, StartMessage } from './native.js';
import { MAX_MARK_NAME, botDigest, customParameters, hex32, ignoredEvent, mediaInput, msOf, parseEventFrame, uuidOf } from './stream-events.js';

/** Plivo streams 8 kHz μ-law to bots (its own default for Pipecat's serializer). */
const RATE = 8000;

/** The identifiers of one stream, as Plivo shapes them. */
export interface PlivoIds {
  callId: string;
  streamId: string;
  accountId: string;
}

/** The call id as a UUID, a random stream UUID, and an account id shaped like Plivo's (MA + 18), stable per bot. */
export function plivoIds(ctx: Pick<DialectContext, 'callId' | 'botName' | 'randomBytes'>): PlivoIds {
  return {
    callId: uuidOf(Buffer.from(hex32(ctx.callId), 'hex')),
    streamId: uuidOf(ctx.randomBytes(16)),
    accountId: `MA${botDigest(ctx.botName).slice(0, 18).toUpperCase()}`,
  };
}

/** Plivo's `extra_headers` string: `k=v;k=v`, URL-encoded pieces. */
export function plivoExtraHeaders(params: Readonly<Record<string, string>>): string {
  return Object.entries(params)
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
    .join(';');
}

/** The Plivo dialect. */
export const plivoDialect: Dialect = {
  name: 'plivo',
  sampleRate: RATE,
  continuousAudio: true,
  open: (ctx) => new PlivoCodec(ctx),
};

class PlivoCodec implements DialectCodec {
  private readonly ids: PlivoIds;
  private readonly checkpoints = new MarkTokens<string>();
  private extraHeaders = '';
  private started = false;
  private seq = 0;
  private chunk = 0;
  private samples = 0;
  /** Wall clock at the start: media timestamps are this plus the audio's own time, so they never run backwards. */
  private startedAt = 0;

  constructor(private readonly ctx: DialectContext) {
    this.ids = plivoIds(ctx);
  }

  handshake(start: StartMessage): WireFrame[] {
    if (this.started) return [];
    this.started = true;
    this.startedAt = this.ctx.wallClock();
    this.extraHeaders = plivoExtraHeaders(customParameters(start.headers, this.ctx.parameters));
    const { callId, streamId, accountId } = this.ids;
    return [
      JSON.stringify({
        event: 'start',
        sequenceNumber: ++this.seq,
        start: { callId, streamId, accountId, tracks: ['inbound'], mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: RATE } },
        extra_headers: this.extraHeaders,
      }),
    ];
  }

  callerAudio(pcm: Buffer): WireFrame[] {
    if (!this.started) return [];
    const timestamp = this.startedAt + msOf(this.samples, RATE);
    this.samples += pcm.length >> 1;
    return [
      JSON.stringify({
        event: 'media',
        sequenceNumber: ++this.seq,
        streamId: this.ids.streamId,
        media: { track: 'inbound', timestamp: String(timestamp), chunk: ++this.chunk, payload: encodeG711(pcm, 'PCMU').toString('base64') },
        extra_headers: this.extraHeaders,
      }),
    ];
  }

  event(e: BridgeEvent): WireFrame[] {
    if (!this.started) return [];
    switch (e.type) {
      case 'dtmf':
        return [JSON.stringify({ event: 'dtmf', sequenceNumber: ++this.seq, streamId: this.ids.streamId, dtmf: { digit: e.digit } })];
      case 'mark': {
        const name = this.checkpoints.reached(e.name);
        return name === undefined ? [] : [JSON.stringify({ event: 'playedStream', sequenceNumber: ++this.seq, streamId: this.ids.streamId, name })];
      }
      case 'cleared':
        // The dropped audio never played: its checkpoints are forgotten, as Plivo does, never confirmed.
        this.checkpoints.drain();
        return [JSON.stringify({ event: 'clearedAudio', sequenceNumber: ++this.seq, streamId: this.ids.streamId })];
      default:
        return [];
    }
  }

  stop(): WireFrame[] {
    // Plivo reports a stream's end only to its status callback; the socket just closes.
    return [];
  }

  receive(frame: WireFrame): BotInput[] {
    const parsed = parseEventFrame(frame);
    if ('input' in parsed) return [parsed.input];
    switch (parsed.event) {
      case 'playAudio':
        return playAudioInput(parsed.msg);
      case 'checkpoint': {
        const name = parsed.msg.name;
        if (typeof name !== 'string') return [invalidInput('"checkpoint" needs a string "name"')];
        if (name.length > MAX_MARK_NAME) return [invalidInput(`"name" longer than ${MAX_MARK_NAME} characters`)];
        return [{ kind: 'command', command: { type: 'mark', name: this.checkpoints.add(name) } }];
      }
      case 'clearAudio':
        return [{ kind: 'command', command: { type: 'clear' } }];
      default:
        return ignoredEvent(parsed.event);
    }
  }
}

/** `playAudio`: μ-law (the default and what Pipecat sends) or little-endian L16, both at 8000. */
function playAudioInput(msg: Record<string, unknown>): BotInput[] {
  const media = objectAt(msg, 'media');
  const type = media?.contentType ?? 'audio/x-mulaw';
  const rate = media?.sampleRate ?? RATE;
  if (rate !== RATE && rate !== String(RATE)) return [invalidInput(`"playAudio" at ${String(rate)} Hz: this bridge takes 8000`)];
  if (type === 'audio/x-mulaw') return mediaInput(msg, 'PCMU');
  if (type !== 'audio/x-l16') return [invalidInput(`"playAudio" contentType must be audio/x-mulaw or audio/x-l16`)];
  const payload = media?.payload;
  const bytes = typeof payload === 'string' ? fromBase64(payload) : undefined;
  if (!bytes) return [invalidInput('"playAudio" needs a base64 "media.payload"')];
  // An odd byte cannot be half a sample of a whole message: Plivo's L16 payloads are whole samples.
  const pcm = bytes.subarray(0, bytes.length & ~1);
  return pcm.length > 0 ? [{ kind: 'audio', pcm }] : [];
}
