/**
 * Receive-side sequence accounting per RFC 3550 A.1 (extended sequence numbers, restart after a large jump) and
 * A.3 (lost = expected − received, where every packet counts as received: a reordered packet that arrives late
 * cancels the loss it first looked like). Restarts per SSRC, keeping earlier SSRCs' losses in {@link lost}.
 */

/** A jump of at most this many packets ahead is loss, not a restart (RFC 3550 A.1). */
const MAX_DROPOUT = 3000;
/** A packet at most this many behind the newest is late (reordered), not a restart. */
const MAX_MISORDER = 100;

export class SequenceTracker {
  /** Packets missing so far (expected − received, never below 0), summed over every SSRC seen. */
  lost = 0;
  /** SSRC of the current source, -1 before the first packet. */
  ssrc = -1;
  /** Packets received from the current source (duplicates and late ones included, as RFC 3550 counts). */
  received = 0;
  private baseSeq = 0;
  private maxSeq = 0;
  private cycles = 0;
  private badSeq = -1;
  private lostBefore = 0;

  /** Extended highest sequence number received from the current source (cycles · 2^16 + max). */
  get extendedMax(): number {
    return this.cycles + this.maxSeq;
  }

  /** Packets expected from the current source: extended max − base + 1. */
  get expected(): number {
    return this.cycles + this.maxSeq - this.baseSeq + 1;
  }

  /** Loss of the current source alone (signed: duplicates can outnumber losses). */
  get sourceLost(): number {
    return this.expected - this.received;
  }

  /**
   * Records a packet. True when it is newer than every packet before it (to be played in pass-through mode);
   * false for a duplicate, a late (reordered) packet, or the first packet of a suspected sequence restart.
   */
  accept(ssrc: number, seq: number): boolean {
    if (ssrc !== this.ssrc) {
      this.lostBefore = this.lost;
      this.ssrc = ssrc;
      this.restart(seq);
      return true;
    }
    const udelta = (seq - this.maxSeq) & 0xffff;
    let inOrder = false;
    if (udelta < MAX_DROPOUT) {
      if (udelta > 0) {
        if (seq < this.maxSeq) this.cycles += 0x10000;
        this.maxSeq = seq;
        inOrder = true;
      }
      this.badSeq = -1;
    } else if (udelta <= 0x10000 - MAX_MISORDER) {
      // A very large jump: the sender restarted, or a stray packet. Only two in a row restart the count.
      if (seq !== this.badSeq) {
        this.badSeq = (seq + 1) & 0xffff;
        return false;
      }
      this.lostBefore = this.lost;
      this.restart(seq);
      return true;
    }
    // else: late or duplicate; counted as received below, not played.
    this.received++;
    this.lost = this.lostBefore + Math.max(0, this.expected - this.received);
    return inOrder;
  }

  private restart(seq: number): void {
    this.baseSeq = seq;
    this.maxSeq = seq;
    this.cycles = 0;
    this.received = 1;
    this.badSeq = -1;
  }
}
