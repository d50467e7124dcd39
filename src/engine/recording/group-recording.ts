/**
 * The recording of one call group: created by the first `start`, tapped on the leg the bot talks to (the
 * caller): its received frames on the left, what it is sent on the right. Finished when that leg or the call
 * closes. A failed file is told to the bot as an `error` (code "recording-failed") and to the engine's listener.
 */
import type { Clock } from '../../core/clock.js';
import type { Logger } from '../../core/logger.js';
import { RecordingError } from '../../core/errors.js';
import type { MediaSession } from '../../media/index.js';
import { CallRecorder } from './call-recorder.js';
import type { RecordingAction, RecordingEvent, RecordingSettings, RecordingState } from './settings.js';

/** The leg a recording listens to. */
export interface RecordedLeg {
  id: string;
  session: Pick<MediaSession, 'on' | 'off' | 'setPlayedTap'>;
  /** Rate of its L16 audio (the bot's). */
  appSampleRate: number;
}

export interface GroupRecordingDeps {
  callId: string;
  clock: Clock;
  log: Logger;
  /** Absent: recordings are not configured; every control is refused. */
  settings: RecordingSettings | undefined;
  onEvent?(e: RecordingEvent): void;
  /** Tells the bot (when there is one) its recording failed. */
  notifyBot(e: { type: 'error'; code: string; message: string }): void;
}

export class GroupRecording {
  private recorder: CallRecorder | undefined;
  private leg: RecordedLeg | undefined;

  constructor(private readonly deps: GroupRecordingDeps) {}

  /**
   * Applies a control; `home` is the leg to tap when it starts.
   * @throws RecordingError: recording-unavailable (not configured, no leg yet), recording-state.
   */
  control(action: RecordingAction, home: RecordedLeg | undefined): RecordingState {
    const d = this.deps;
    if (!this.recorder) {
      if (!d.settings) throw new RecordingError('recording-unavailable', 'recordings are not configured (recordings.dir)');
      if (action !== 'start') throw new RecordingError('recording-state', `cannot ${action}: the recording is idle`);
      if (!home) throw new RecordingError('recording-unavailable', 'the call has no caller leg to record yet');
      this.recorder = new CallRecorder(d.callId, home.appSampleRate, {
        clock: d.clock,
        log: d.log,
        settings: d.settings,
        onEvent: (e) => this.onEvent(e),
      });
      this.leg = home;
      home.session.on('frame', this.recorder.left);
      home.session.setPlayedTap(this.recorder.right);
    }
    const state = this.recorder.control(action);
    if (state === 'stopped') this.detach();
    return state;
  }

  /** A leg closed: the recording of that leg is finished. */
  legClosed(id: string): void {
    if (this.leg?.id === id) this.close();
  }

  /** Finishes a running recording. Safe twice. */
  close(): void {
    this.detach();
    this.recorder?.close();
  }

  private detach(): void {
    const leg = this.leg;
    this.leg = undefined;
    if (!leg || !this.recorder) return;
    leg.session.off('frame', this.recorder.left);
    leg.session.setPlayedTap(undefined);
  }

  private onEvent(e: RecordingEvent): void {
    if (e.type === 'recording-failed') {
      this.detach();
      this.deps.notifyBot({ type: 'error', code: 'recording-failed', message: `the recording stopped: ${e.failure} (the call goes on)` });
    }
    try {
      this.deps.onEvent?.(e);
    } catch (err) {
      this.deps.log.error({ err }, 'recording listener failed');
    }
  }
}
