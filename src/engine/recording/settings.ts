/**
 * What a call's recording is written as and where (from `recordings` in the config), and the events a recording
 * ends with. Shared by the in-process engine and the media workers (plain data: it crosses threads).
 */

/** Container and codec of the files. */
export type RecordingFormat = 'wav' | 'ogg';

export interface RecordingSettings {
  /** Root folder of the files. */
  dir: string;
  /** Path under `dir`: `{date}` (UTC, YYYY-MM-DD), `{callId}`, `{ext}` ("wav" or "ogg"). */
  pattern: string;
  format: RecordingFormat;
  /** Rate of the file, Hz. */
  sampleRate: 8000 | 16000;
  /** Bytes waiting for the disk beyond which the recording is given up (default 4 MB). */
  maxQueuedBytes?: number;
}

/** A span of the file that is silence because the recording was paused, ms from the file's start. */
export interface PausedSpan {
  startMs: number;
  endMs: number;
}

/** A finished file, moved into place: the payload the call records (CDR, webhook) take. */
export interface RecordingReady {
  callId: string;
  /** Absolute path of the file. */
  file: string;
  pausedSpans: PausedSpan[];
  format: RecordingFormat;
  durationMs: number;
}

/** A recording that stopped on a failure (the call goes on). */
export interface RecordingFailed {
  callId: string;
  failure: 'disk-full' | 'io-error' | 'backlog';
  message: string;
}

export type RecordingEvent = ({ type: 'recording-ready' } & RecordingReady) | ({ type: 'recording-failed' } & RecordingFailed);

/** What the bot or the API may ask of a recording. */
export type RecordingAction = 'start' | 'pause' | 'resume' | 'stop';

/** A recording's state as answered to a control. */
export type RecordingState = 'idle' | 'recording' | 'paused' | 'stopped' | 'failed';

/** The file name for a call: the pattern filled in (date from `atMs`, wall-clock ms). */
export function recordingPath(s: Pick<RecordingSettings, 'pattern' | 'format'>, callId: string, atMs: number): string {
  const date = new Date(atMs).toISOString().slice(0, 10);
  return s.pattern.replaceAll('{date}', date).replaceAll('{callId}', callId).replaceAll('{ext}', s.format);
}
