/**
 * The messages between call control's thread and a media worker. Only control crosses: commands, DTMF, marks,
 * stats, ends — never audio. A bot's reconnects happen inside the worker (the socket lives there): only their
 * outcome crosses, as 'link' bot events, and a prompt crosses as its file name (the worker reads the file). Codec objects cross by name and are looked up again in the worker's registry;
 * Buffers arrive as Uint8Arrays (structured clone) and are wrapped again.
 */
import type { BotCloseInfo, BotLinkEvent, BotTarget, BridgeEvent, CallQuality, StartMessage } from '../../bot/index.js';
import { codecRegistry, type AudioCodec, type AudioLevels, type CodecSwitch, type MediaQuality, type MediaSessionStats } from '../../media/index.js';
import type { LegMediaOptions } from '../call-group.js';
import type { RecordingAction, RecordingEvent } from '../recording/settings.js';

/** A codec by SDP name. */
type CodecName = string;

/** {@link LegMediaOptions} as it crosses threads: codecs by name, no logger (the worker logs with the call's bindings). */
export type WireLegOptions = Omit<LegMediaOptions, 'logger' | 'codec' | 'receivable'> & {
  codec: CodecName;
  receivable?: Array<{ payloadType: number; codec: CodecName }>;
};

export type WireCodecSwitch = Omit<CodecSwitch, 'codec' | 'receivable'> & {
  codec: CodecName;
  receivable: Array<{ payloadType: number; codec: CodecName }>;
};

/** What call control asks of a worker. `g` names the call's group, `leg` a leg within it, `req` a request. */
export type ToWorker =
  | { op: 'open'; g: number; bindings: Record<string, unknown> }
  | { op: 'allocate'; g: number; req: number; hold: boolean }
  | { op: 'leg'; g: number; leg: string; m: 'answered' | 'release' }
  | { op: 'legOpen'; g: number; leg: string; options: WireLegOptions }
  | { op: 'media'; g: number; leg: string; m: 'start' | 'close' }
  | { op: 'media'; g: number; leg: string; m: 'sendDtmf'; digits: string; durationMs: number }
  | { op: 'media'; g: number; leg: string; m: 'updateRemote'; remote: { address: string; port: number } }
  | { op: 'media'; g: number; leg: string; m: 'setDirection'; direction: 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive' }
  | { op: 'media'; g: number; leg: string; m: 'switchCodec'; change: WireCodecSwitch }
  | { op: 'connectBot'; g: number; req: number; target: BotTarget }
  | { op: 'abortBot'; g: number; req: number }
  | { op: 'bot'; g: number; m: 'sendStart'; msg: StartMessage; beforeAnswer?: true }
  | { op: 'bot'; g: number; m: 'sendEvent'; event: BridgeEvent }
  | { op: 'bot'; g: number; m: 'stop'; reason: string; quality?: CallQuality }
  | { op: 'route'; g: number; routes: Record<string, readonly string[]> }
  /** Plays a prompt file to a leg; replied to once it has played (or the leg closed). */
  | { op: 'play'; g: number; req: number; leg: string; file: string }
  /** Controls the call's recording; replied to with the state after it. */
  | { op: 'record'; g: number; req: number; action: RecordingAction }
  | { op: 'close'; g: number }
  /** Shutting down: replied to once the recordings being finished are in place (or a timeout passed). */
  | { op: 'drain'; req: number; timeoutMs: number }
  /**
   * Replied to once every message before it was handled and the socket writes they made went out (the
   * shutdown waits on it, so a bot's `stop` is not lost when the thread is terminated right after).
   */
  | { op: 'flush'; req: number }
  /** Test hook: the worker throws from its event loop, as a bug would. */
  | { op: 'crash' }
  /** Test hook: the worker's event loop is blocked for `ms` (a GC pause, a slow neighbour). */
  | { op: 'stall'; ms: number }
  /** Test hook: the event loop is kept busy 90 % of each 20 ms for `ms` (a worker near saturation). */
  | { op: 'busy'; ms: number };

/** An error as it crosses threads: enough to rebuild the typed error call control classifies. */
export interface WireError {
  name: string;
  message: string;
  /** The catalogued reason of a typed error (a RecordingError's), so call control answers it the same. */
  reason?: string;
}

/** One leg's figures, pushed periodically and when the leg closes. */
export interface LegStats {
  g: number;
  leg: string;
  stats: MediaSessionStats;
  quality: MediaQuality;
  /** Jitter-buffer delay and playout depth now. */
  sample: { jitterDelayMs?: number; playoutMs: number };
  /** Audio levels now, dBFS (two numbers: the meters run in the worker, the audio never leaves it). */
  levels?: AudioLevels;
  /** The leg closed: these are its last figures. */
  final?: true;
}

/** What a worker tells call control. */
export type FromWorker =
  | { op: 'ready' }
  | { op: 'reply'; req: number; ok: true; leg?: { id: string; port: number }; state?: string }
  | { op: 'reply'; req: number; ok: false; error: WireError }
  | { op: 'legEvent'; g: number; leg: string; e: 'dtmf'; press: { digit: string; durationMs: number } }
  | { op: 'legEvent'; g: number; leg: string; e: 'rtp-timeout' }
  | { op: 'legEvent'; g: number; leg: string; e: 'rtcp'; input: { rttMs?: number; bye: number[] } }
  /** A slice of the legs' periodic figures (each leg once per stats interval, the slices spread over it). */
  | { op: 'legStats'; legs: LegStats[] }
  | {
      op: 'stats'; legs: LegStats[]; framesDropped: number; eventLoopP99Ms: number; sendLatencyMs: number[]; receiveLatencyMs: number[];
      /**
       * How busy the worker was over the interval, 0..1: its event loop's utilization, or the thread's share of
       * running plus waiting for a core when more (thread-demand.ts). Absent in a leg's last figures.
       */
      utilization?: number;
      /** Voice-AI figures since the last report, ms (answer -> first bot audio; clear -> old audio off the wire). */
      firstAudioMs?: number[]; clearToSilenceMs?: number[];
    }
  /**
   * Answers a group's `close`, always (an unknown group too): the last figures of the legs it still had, so call
   * control reports a call's end with the whole call's figures, not the last periodic report's.
   */
  | { op: 'groupClosed'; g: number; legs: LegStats[] }
  | { op: 'botEvent'; g: number; e: 'command'; cmd: unknown }
  | { op: 'botEvent'; g: number; e: 'close'; info: BotCloseInfo }
  | { op: 'botEvent'; g: number; e: 'protocol-error'; message: string }
  /** The bot's socket dropped and is being reopened in the worker, came back, or was lost (a close follows). */
  | { op: 'botEvent'; g: number; e: 'link'; link: BotLinkEvent }
  /** A call's recording finished (the file is in place) or failed. */
  | { op: 'recording'; event: RecordingEvent }
  /** The worker hit an uncaught error: it stopped its bots and closed its legs, and exits next. */
  | { op: 'crashed'; message: string };

function codecOf(name: CodecName): AudioCodec {
  const codec = codecRegistry.get(name);
  if (!codec) throw new Error(`codec ${name} is not registered in the media worker`);
  return codec;
}

/** Leg options for the wire. */
export function toWireLegOptions(o: LegMediaOptions): WireLegOptions {
  const { logger: _logger, codec, receivable, ...rest } = o;
  return {
    ...rest,
    codec: codec.name,
    ...(receivable ? { receivable: receivable.map((r) => ({ payloadType: r.payloadType, codec: r.codec.name })) } : {}),
  };
}

/** Leg options back from the wire, with the worker's logger for the call. */
export function fromWireLegOptions(o: WireLegOptions, logger: LegMediaOptions['logger']): LegMediaOptions {
  const { codec, receivable, srtp, ...rest } = o;
  return {
    ...rest,
    logger,
    codec: codecOf(codec),
    ...(receivable ? { receivable: receivable.map((r) => ({ payloadType: r.payloadType, codec: codecOf(r.codec) })) } : {}),
    ...(srtp ? { srtp: { suite: srtp.suite, localKeySalt: Buffer.from(srtp.localKeySalt), remoteKeySalt: Buffer.from(srtp.remoteKeySalt) } } : {}),
  };
}

export function toWireCodecSwitch(c: CodecSwitch): WireCodecSwitch {
  return { ...c, codec: c.codec.name, receivable: c.receivable.map((r) => ({ payloadType: r.payloadType, codec: r.codec.name })) };
}

export function fromWireCodecSwitch(c: WireCodecSwitch): CodecSwitch {
  return { ...c, codec: codecOf(c.codec), receivable: c.receivable.map((r) => ({ payloadType: r.payloadType, codec: codecOf(r.codec) })) };
}
