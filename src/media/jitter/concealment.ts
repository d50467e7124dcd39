/**
 * Loss concealment for codecs without their own (G.711, G.722): the first lost packet repeats the last good
 * audio at half level, the next one at a quarter, and from the third on it is silence — the repeat hides short
 * losses without the buzz a long repeat makes (in the spirit of G.711 Appendix I, much simplified).
 */
export class RepeatFadeConcealer {
  private last = new Int16Array(0);
  private misses = 0;

  /** Remembers the latest decoded audio (call for every good packet). */
  good(pcm: Int16Array): void {
    if (this.last.length !== pcm.length) this.last = new Int16Array(pcm.length);
    this.last.set(pcm);
    this.misses = 0;
  }

  /** `samples` of concealment audio for a lost stretch. */
  conceal(samples: number): Int16Array {
    const out = new Int16Array(samples);
    this.misses++;
    const gain = this.misses === 1 ? 0.5 : this.misses === 2 ? 0.25 : 0;
    const src = this.last;
    if (gain > 0 && src.length > 0) {
      for (let i = 0; i < samples; i++) out[i] = Math.round(src[i % src.length] * gain);
    }
    return out;
  }
}
