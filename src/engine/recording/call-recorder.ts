/**
 * One call's recording: caller on the left, what the caller hears (the bot; after a bridged transfer the agent,
 * with the bot if it listens in) on the right, on one time line. The taps only copy samples; a timer every
 * {@link FLUSH_MS} encodes them and queues them for the disk, so encoding and I/O stay off the frame path.
 * Paused spans are written as silence and reported with the finished file. A failing file stops the recording
 * (event `recording-failed`); the call is never touched.
 */
import { join } from 'node:path';
import type { Clock, TimerHandle } from '../../core/clock.js';
import type { Logger } from '../../core/logger.js';
import { RecordingError } from '../../core/errors.js';
import { OggOpusStream, Resampler, StereoTimeline, WAV_MAX_DATA_BYTES, LEFT, RIGHT, pcmBytesLE, wavHeader, type Side } from '../../media/index.js';
import { RecordingFile, nodeRecordingFs, type RecordingFileError, type RecordingFs } from './recording-file.js';
import { recordingPath, type PausedSpan, type RecordingAction, type RecordingEvent, type RecordingSettings, type RecordingState } from './settings.js';

/** Files of this thread being finished (last writes, rename): a shutdown waits for them. */
const finishing = new Set<Promise<void>>();

/**
 * Resolves once every recording this thread was finishing is in place (or failed), or after `timeoutMs`; true
 * when none was left unfinished.
 */
export async function recordingsSettled(clock: Clock, timeoutMs: number): Promise<boolean> {
  if (finishing.size === 0) return true;
  let timer: TimerHandle | undefined;
  const timeout = new Promise<boolean>((resolve) => (timer = clock.setTimeout(() => resolve(false), timeoutMs)));
  const all = Promise.all([...finishing]).then(() => true);
  const settled = await Promise.race([all, timeout]);
  timer?.cancel();
  return settled;
}

/** How often samples are encoded and queued for the disk, ms. */
export const FLUSH_MS = 200;
/** How far one side may lag the other before silence fills it: a jitter buffer's worth. */
const SLACK_MS = 120;

export interface CallRecorderDeps {
  clock: Clock;
  log: Logger;
  settings: RecordingSettings;
  /** Wall-clock ms for the file's date (default Date.now). */
  wallNow?: () => number;
  /** WAV only: the recording is finished when its data reaches this many bytes (default: what RIFF can describe). */
  maxWavBytes?: number;
  fs?: RecordingFs;
  onEvent(e: RecordingEvent): void;
}

/** The encoder of the file's format: header first, samples, then what closes the file. */
interface FormatWriter {
  header(): Buffer;
  write(stereo: Int16Array): Buffer;
  /** Bytes that end the file, and a header to rewrite at offset 0. */
  finish(frames: number): { tail: Buffer; header?: Buffer };
}

function formatWriter(s: RecordingSettings): FormatWriter {
  if (s.format === 'ogg') {
    const ogg = new OggOpusStream(s.sampleRate, (Math.random() * 2 ** 32) >>> 0);
    return { header: () => ogg.header(), write: (x) => ogg.write(x), finish: () => ({ tail: ogg.finish() }) };
  }
  return {
    header: () => wavHeader({ sampleRate: s.sampleRate, channels: 2, dataBytes: 0 }),
    write: (x) => pcmBytesLE(x),
    finish: (frames) => ({ tail: Buffer.alloc(0), header: wavHeader({ sampleRate: s.sampleRate, channels: 2, dataBytes: Math.min(frames * 4, WAV_MAX_DATA_BYTES - (WAV_MAX_DATA_BYTES % 4)) }) }),
  };
}

export class CallRecorder {
  private stateNow: RecordingState = 'idle';
  private timeline: StereoTimeline | undefined;
  private writer: FormatWriter | undefined;
  private file: RecordingFile | undefined;
  private timer: TimerHandle | undefined;
  private readonly resamplers: [Resampler, Resampler] | undefined;
  private readonly ready: Int16Array[] = [];
  private startedAt = 0;
  /** Each side's time line position when the pause began (samples). */
  private pausedSince: [number, number] | undefined;
  private readonly pausedSpans: PausedSpan[] = [];
  private readonly fs: RecordingFs;

  constructor(
    readonly callId: string,
    /** Rate of the L16 audio the taps carry (the bot's). */
    private readonly appRate: number,
    private readonly deps: CallRecorderDeps,
  ) {
    this.fs = deps.fs ?? nodeRecordingFs;
    const rate = deps.settings.sampleRate;
    this.resamplers = appRate === rate ? undefined : [new Resampler(appRate, rate), new Resampler(appRate, rate)];
  }

  get state(): RecordingState {
    return this.stateNow;
  }

  /**
   * Applies a bot's or the API's control; returns the state after it.
   * @throws RecordingError (recording-state) when the state does not allow it (the recording is unchanged).
   */
  control(action: RecordingAction): RecordingState {
    const s = this.stateNow;
    const now = this.deps.clock.now();
    if (action === 'start') {
      if (s !== 'idle') throw new RecordingError('recording-state', s === 'recording' || s === 'paused' ? 'the recording is already running' : `the recording is ${s}; a call has one recording`);
      this.begin(now);
    } else if (action === 'pause') {
      if (s !== 'recording') throw new RecordingError('recording-state', `cannot pause: the recording is ${s}`);
      this.pausedSince = [this.timeline!.placedOf(LEFT), this.timeline!.placedOf(RIGHT)];
      this.stateNow = 'paused';
    } else if (action === 'resume') {
      if (s !== 'paused') throw new RecordingError('recording-state', `cannot resume: the recording is ${s}`);
      this.closeSpan();
      this.stateNow = 'recording';
    } else {
      if (s !== 'recording' && s !== 'paused') throw new RecordingError('recording-state', `cannot stop: the recording is ${s}`);
      this.end();
    }
    this.deps.log.info({ action, state: this.stateNow }, 'recording control');
    return this.stateNow;
  }

  /** Caller audio (one frame, L16 LE at the app rate). */
  readonly left = (pcm: Buffer): void => {
    if (this.stateNow !== 'recording' && this.stateNow !== 'paused') return;
    this.push(LEFT, new Int16Array(pcm.buffer.slice(pcm.byteOffset, pcm.byteOffset + (pcm.length & ~1))));
  };

  /** What the caller hears (one send slot, at the app rate). */
  readonly right = (pcm: Int16Array): void => {
    if (this.stateNow !== 'recording' && this.stateNow !== 'paused') return;
    this.push(RIGHT, pcm);
  };

  /** The call's media closes: a running recording is finished. Safe twice. */
  close(): void {
    if (this.stateNow === 'recording' || this.stateNow === 'paused') this.end();
  }

  private push(side: Side, pcm: Int16Array): void {
    const paused = this.stateNow === 'paused';
    // Paused: silence goes through the resampler too, so no paused audio lingers in its memory after the resume.
    const input = paused ? new Int16Array(pcm.length) : pcm;
    let x = this.resamplers ? this.resamplers[side].process(input) : input;
    if (paused) x = new Int16Array(x.length);
    const out = this.timeline!.push(side, x, this.deps.clock.now());
    if (out.length > 0) this.ready.push(out);
  }

  private begin(now: number): void {
    const s = this.deps.settings;
    const path = join(s.dir, recordingPath(s, this.callId, (this.deps.wallNow ?? Date.now)()));
    this.timeline = new StereoTimeline({ sampleRate: s.sampleRate, startMs: now, slackMs: SLACK_MS });
    this.writer = formatWriter(s);
    this.file = new RecordingFile(path, this.fs, (err) => this.failed(err), s.maxQueuedBytes);
    this.file.append(this.writer.header());
    this.startedAt = now;
    this.stateNow = 'recording';
    this.arm();
  }

  private arm(): void {
    this.timer = this.deps.clock.setTimeout(() => {
      if (this.stateNow !== 'recording' && this.stateNow !== 'paused') return;
      this.flush(false);
      if (this.stateNow === 'recording' || this.stateNow === 'paused') this.arm();
    }, FLUSH_MS);
  }

  /** Encodes what the time line has ready (and the rest, at the end) and queues it for the disk. */
  private flush(last: boolean): void {
    const t = this.timeline!;
    const tail = last ? t.flush() : t.tick(this.deps.clock.now());
    if (tail.length > 0) this.ready.push(tail);
    if (this.ready.length === 0) return;
    const n = this.ready.reduce((a, b) => a + b.length, 0);
    const all = new Int16Array(n);
    let at = 0;
    for (const r of this.ready) {
      all.set(r, at);
      at += r.length;
    }
    this.ready.length = 0;
    this.file!.append(this.writer!.write(all));
    if (!last && this.deps.settings.format === 'wav' && t.emitted * 4 >= (this.deps.maxWavBytes ?? WAV_MAX_DATA_BYTES - 64 * 1024)) {
      // RIFF sizes are 32-bit (about 18 h at 16 kHz stereo): the file is finished whole rather than overrun.
      this.deps.log.warn({ bytes: t.emitted * 4 }, 'recording reached the WAV size limit; finished');
      this.end();
    }
  }

  /**
   * The span both channels are silence in: from where the later side was when the pause began to where the
   * earlier one is at its end (the sides run on their own clocks, a few ms apart), in ms of the file.
   */
  private closeSpan(): void {
    if (this.pausedSince === undefined) return;
    const t = this.timeline!;
    const ms = (samples: number): number => Math.round((samples * 1000) / this.deps.settings.sampleRate);
    const start = Math.max(...this.pausedSince);
    const end = Math.max(start, Math.min(t.placedOf(LEFT), t.placedOf(RIGHT)));
    this.pausedSpans.push({ startMs: ms(start), endMs: ms(end) });
    this.pausedSince = undefined;
  }

  private end(): void {
    this.flush(true);
    this.closeSpan();
    this.stateNow = 'stopped';
    this.timer?.cancel();
    this.timer = undefined;
    const file = this.file!;
    if (file.failed) return;
    const frames = this.timeline!.emitted;
    const { tail, header } = this.writer!.finish(frames);
    file.append(tail);
    const durationMs = Math.round((frames * 1000) / this.deps.settings.sampleRate);
    const done = file.finish(header).then(
      () => {
        this.deps.log.info({ file: file.path, durationMs, pausedSpans: this.pausedSpans }, 'recording ready');
        this.deps.onEvent({ type: 'recording-ready', callId: this.callId, file: file.path, pausedSpans: [...this.pausedSpans], format: this.deps.settings.format, durationMs });
      },
      () => {
        // failed() reported it
      },
    );
    finishing.add(done);
    void done.finally(() => finishing.delete(done));
  }

  private failed(err: RecordingFileError): void {
    if (this.stateNow === 'recording' || this.stateNow === 'paused') {
      this.timer?.cancel();
      this.timer = undefined;
    }
    this.stateNow = 'failed';
    this.ready.length = 0;
    this.deps.log.warn({ failure: err.failure, err: err.message }, 'recording stopped: its file failed (the call goes on)');
    this.deps.onEvent({ type: 'recording-failed', callId: this.callId, failure: err.failure, message: err.message });
  }
}

