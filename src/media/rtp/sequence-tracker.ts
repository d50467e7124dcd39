/**
 * Receive-side sequence accounting (RFC 3550 A.1/A.3, simplified): detects duplicates and late packets and
 * counts losses as expected minus received, restarting per SSRC while keeping earlier SSRCs' losses.
 */
export class SequenceTracker {
  /** Packets missing so far, summed over every SSRC seen. */
  lost = 0;
  private ssrc = -1;
  private baseSeq = 0;
  private maxSeq = 0;
  private cycles = 0;
  private received = 0;
  private lostBefore = 0;

  /** Records a packet; false for a duplicate or a packet older than the newest one (to be dropped). */
  accept(ssrc: number, seq: number): boolean {
    if (ssrc !== this.ssrc) {
      this.lostBefore = this.lost;
      this.ssrc = ssrc;
      this.baseSeq = seq;
      this.maxSeq = seq;
      this.cycles = 0;
      this.received = 1;
      return true;
    }
    const delta = (seq - this.maxSeq) & 0xffff;
    if (delta === 0 || delta >= 0x8000) return false;
    if (seq < this.maxSeq) this.cycles += 0x10000;
    this.maxSeq = seq;
    this.received++;
    const expected = this.cycles + this.maxSeq - this.baseSeq + 1;
    this.lost = this.lostBefore + Math.max(0, expected - this.received);
    return true;
  }
}
