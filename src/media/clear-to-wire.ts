/**
 * The voice-AI figure "clear -> silence on the wire": from a bot's clear to the first packet slot played after
 * it (sent, or left empty), when the old audio is off the wire. Kept out of the send path, which only tells it
 * when a clear happens and when a slot is played.
 */
export class ClearToWire {
  /** When the last clear happened, until the next slot reports it. */
  private clearedAt: number | undefined;

  constructor(private readonly report: (ms: number) => void) {}

  /** A clear at `now`; a second one before a slot was played keeps the first (the wait began then). */
  cleared(now: number): void {
    this.clearedAt ??= now;
  }

  /** A slot went out (or stayed empty) at `now`: reports the pending clear, once. */
  slotPlayed(now: number): void {
    if (this.clearedAt === undefined) return;
    this.report(Math.max(0, now - this.clearedAt));
    this.clearedAt = undefined;
  }
}
