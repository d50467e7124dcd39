/**
 * A bot call's recording policy in action: `always` starts the recording when the caller and the bot are joined,
 * `on-demand` lets the bot (`record` command) or the API start, pause, resume and stop it, `off` refuses both.
 * The engine does the recording; this decides what is allowed and answers the bot.
 */
import type { Logger } from '../core/logger.js';
import { RecordingError, classifyFailure } from '../core/errors.js';
import type { BridgeEvent, RecordAction } from '../bot/index.js';
import type { CallMediaGroup, CallRecordingPolicy, RecordingStatus } from './media-engine.js';

export class CallRecordingControl {
  constructor(
    private readonly policy: CallRecordingPolicy,
    private readonly group: CallMediaGroup,
    private readonly log: Logger,
    /** The recording began (the engine answered `recording` to a start). */
    private readonly onStarted: () => void = () => {},
  ) {}

  /** True when the caller may be recorded (a consent prompt is due). */
  get mayRecord(): boolean {
    return this.policy.mode !== 'off';
  }

  get consentFile(): string | undefined {
    return this.policy.mode !== 'off' ? this.policy.consentFile : undefined;
  }

  /** `always`: starts the recording (a failure is logged; the call goes on). */
  async startAlways(): Promise<void> {
    if (this.policy.mode !== 'always') return;
    try {
      await this.apply('start', true);
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'recording not started');
    }
  }

  /**
   * A control from the bot or the API.
   * @throws RecordingError: recording-off when the mode does not allow it, else what the engine answers.
   */
  async control(action: RecordAction): Promise<RecordingStatus> {
    return this.apply(action, false);
  }

  /** The bot's `record`: answered with `recording` (the state), or `error` with the refusal's reason as code. */
  async fromBot(action: RecordAction, send: (e: BridgeEvent) => void): Promise<void> {
    try {
      const state = await this.control(action);
      if (state === 'recording' || state === 'paused' || state === 'stopped') send({ type: 'recording', state });
    } catch (err) {
      const f = classifyFailure(err);
      this.log.info({ action, reason: f.reason, err: f.message }, 'bot record command refused');
      send({ type: 'error', code: f.reason, message: f.message });
    }
  }

  private async apply(action: RecordAction, auto: boolean): Promise<RecordingStatus> {
    if (this.policy.mode === 'off') throw new RecordingError('recording-off', 'recording is off for this call');
    if (!auto && this.policy.mode === 'always' && action !== 'pause' && action !== 'resume') {
      // always: the bot may pause for card numbers (PCI), not start a second file or end the only one.
      throw new RecordingError('recording-off', `recording is always on for this call: ${action} is not allowed (pause and resume are)`);
    }
    if (!this.group.record) throw new RecordingError('recording-unavailable', 'this media engine does not record');
    const state = await this.group.record(action);
    if (action === 'start' && state === 'recording') this.onStarted();
    return state;
  }
}
