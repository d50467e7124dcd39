/**
 * What happens to the slots a late timer missed: 'catch-up' sends those at most {@link CATCH_UP_MS} late back to
 * back and drops older ones with their audio; 'skip' sends only the current slot and drops the audio of all the
 * others, so playback stays on the wall clock. Either way a stall never turns into lasting delay.
 */
export type LateTimerPolicy = 'catch-up' | 'skip';

/** The behaviour chosen from the measurements in the README. */
export const DEFAULT_LATE_TIMER_POLICY: LateTimerPolicy = 'catch-up';
/**
 * Catch-up bound: a slot this late or later is dropped with its audio, not sent. About what a caller's jitter
 * buffer still plays (40-60 ms is usual); later packets it would discard anyway, or grow its delay for.
 */
export const CATCH_UP_MS = 60;
