/**
 * ITU-T G.722 (64 kbit/s mode, 14-bit-ish wideband ADPCM): the sub-band split/merge QMF and the two ADPCM
 * bands, in integer arithmetic exactly as the recommendation's reference (as structured in the widely used
 * public-domain spandsp/libg722 implementation by Steve Underwood, from the CMU code). Written in TypeScript
 * because no maintained npm package implements G.722; verified by encode→decode SNR and by interop with
 * baresip's g722 module (test/integration).
 *
 * Pure state machines over Int16Array / Buffer; one state per direction of one stream.
 */

/** Transmit/receive QMF taps (unrolled into qmfEven/qmfOdd below). */
// QMF = [3, -11, 12, 32, -210, 951, 3876, -805, 362, -156, 53, -11]
const Q6 = [0, 35, 72, 110, 150, 190, 233, 276, 323, 370, 422, 473, 530, 587, 650, 714, 786, 858, 940, 1023, 1121, 1219, 1339, 1458, 1612, 1765, 1980, 2195, 2557, 2919, 0, 0];
const ILN = [0, 63, 62, 31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 0];
const ILP = [0, 61, 60, 59, 58, 57, 56, 55, 54, 53, 52, 51, 50, 49, 48, 47, 46, 45, 44, 43, 42, 41, 40, 39, 38, 37, 36, 35, 34, 33, 32, 0];
const WL = [-60, -30, 58, 172, 334, 538, 1198, 3042];
const RL42 = [0, 7, 6, 5, 4, 3, 2, 1, 7, 6, 5, 4, 3, 2, 1, 0];
const ILB = [
  2048, 2093, 2139, 2186, 2233, 2282, 2332, 2383, 2435, 2489, 2543, 2599, 2656, 2714, 2774, 2834, 2896, 2960, 3025, 3091, 3158, 3228,
  3298, 3371, 3444, 3520, 3597, 3676, 3756, 3838, 3922, 4008,
];
const QM4 = [0, -20456, -12896, -8968, -6288, -4240, -2584, -1200, 20456, 12896, 8968, 6288, 4240, 2584, 1200, 0];
const QM2 = [-7408, -1616, 7408, 1616];
const QM6 = [
  -136, -136, -136, -136, -24808, -21904, -19008, -16704, -14984, -13512, -12280, -11192, -10232, -9360, -8576, -7856, -7192, -6576,
  -6000, -5456, -4944, -4464, -4008, -3576, -3168, -2776, -2400, -2032, -1688, -1360, -1040, -728, 24808, 21904, 19008, 16704, 14984,
  13512, 12280, 11192, 10232, 9360, 8576, 7856, 7192, 6576, 6000, 5456, 4944, 4464, 4008, 3576, 3168, 2776, 2400, 2032, 1688, 1360,
  1040, 728, 432, 136, -432, -136,
];
const IHN = [0, 1, 0];
const IHP = [0, 3, 2];
const WH = [0, -214, 798];
const RH2 = [2, 1, 2, 1];

function sat(v: number): number {
  return v > 32767 ? 32767 : v < -32768 ? -32768 : v;
}

/**
 * Adaptive predictor state of one sub-band. The reference's small arrays (r, p, a, d, b, their delayed copies and
 * signs) are kept as separate fields and the loops unrolled: the same integer operations in the same order, about
 * twice as fast in V8 (README, "Audio path cost"; the bit-exactness digests in test/unit/media/g722-golden).
 */
class Band {
  /** Signal estimate (PREDIC), its pole part (FILTEP) and zero part (FILTEZ). */
  s = 0;
  sp = 0;
  sz = 0;
  /** Reconstructed signal r[1], r[2] and partial reconstruction p[1], p[2] (newest first). */
  r1 = 0;
  r2 = 0;
  p1 = 0;
  p2 = 0;
  /** Pole predictor coefficients a[1], a[2]. */
  a1 = 0;
  a2 = 0;
  /** Quantised difference signal d[1..6] and zero predictor coefficients b[1..6]. */
  d1 = 0;
  d2 = 0;
  d3 = 0;
  d4 = 0;
  d5 = 0;
  d6 = 0;
  b1 = 0;
  b2 = 0;
  b3 = 0;
  b4 = 0;
  b5 = 0;
  b6 = 0;
  nb = 0;
  det: number;

  constructor(det: number) {
    this.det = det;
  }

  /** Block 4: reconstruction, pole/zero predictor adaptation and the next prediction. */
  update(d: number): void {
    const r0 = sat(this.s + d);
    const p0 = sat(this.sz + d);
    const sg0 = p0 >> 15;
    const sg1 = this.p1 >> 15;
    const a1 = this.a1;
    const a2 = this.a2;

    // UPPOL2
    let wd1 = sat(a1 << 2);
    let wd2 = sg0 === sg1 ? -wd1 : wd1;
    if (wd2 > 32767) wd2 = 32767;
    let wd3 = (sg0 === this.p2 >> 15 ? 128 : -128) + (wd2 >> 7) + ((a2 * 32512) >> 15);
    if (wd3 > 12288) wd3 = 12288;
    else if (wd3 < -12288) wd3 = -12288;
    const ap2 = wd3;

    // UPPOL1
    let ap1 = sat((sg0 === sg1 ? 192 : -192) + ((a1 * 32640) >> 15));
    wd3 = sat(15360 - ap2);
    if (ap1 > wd3) ap1 = wd3;
    else if (ap1 < -wd3) ap1 = -wd3;

    // UPZERO: b[i] leaks and moves towards agreeing signs of d and d[i]
    wd1 = d === 0 ? 0 : 128;
    const sgd = d >> 15;
    const b1 = sat((this.d1 >> 15 === sgd ? wd1 : -wd1) + ((this.b1 * 32640) >> 15));
    const b2 = sat((this.d2 >> 15 === sgd ? wd1 : -wd1) + ((this.b2 * 32640) >> 15));
    const b3 = sat((this.d3 >> 15 === sgd ? wd1 : -wd1) + ((this.b3 * 32640) >> 15));
    const b4 = sat((this.d4 >> 15 === sgd ? wd1 : -wd1) + ((this.b4 * 32640) >> 15));
    const b5 = sat((this.d5 >> 15 === sgd ? wd1 : -wd1) + ((this.b5 * 32640) >> 15));
    const b6 = sat((this.d6 >> 15 === sgd ? wd1 : -wd1) + ((this.b6 * 32640) >> 15));

    // DELAYA
    this.d6 = this.d5;
    this.d5 = this.d4;
    this.d4 = this.d3;
    this.d3 = this.d2;
    this.d2 = this.d1;
    this.d1 = d;
    this.b1 = b1;
    this.b2 = b2;
    this.b3 = b3;
    this.b4 = b4;
    this.b5 = b5;
    this.b6 = b6;
    this.r2 = this.r1;
    this.r1 = r0;
    this.p2 = this.p1;
    this.p1 = p0;
    this.a1 = ap1;
    this.a2 = ap2;

    // FILTEP
    this.sp = sat(((ap1 * sat(r0 + r0)) >> 15) + ((ap2 * sat(this.r2 + this.r2)) >> 15));

    // FILTEZ (each product shifted on its own, as the reference does)
    const dd = this;
    const sz =
      ((b6 * sat(dd.d6 + dd.d6)) >> 15) +
      ((b5 * sat(dd.d5 + dd.d5)) >> 15) +
      ((b4 * sat(dd.d4 + dd.d4)) >> 15) +
      ((b3 * sat(dd.d3 + dd.d3)) >> 15) +
      ((b2 * sat(dd.d2 + dd.d2)) >> 15) +
      ((b1 * sat(d + d)) >> 15);
    this.sz = sat(sz);

    // PREDIC
    this.s = sat(this.sp + this.sz);
  }

  /** Blocks 3L/3H: log scale factor update and its linear form. */
  scale(wdelta: number, maxNb: number, shiftBase: number): void {
    let nb = ((this.nb * 127) >> 7) + wdelta;
    if (nb < 0) nb = 0;
    else if (nb > maxNb) nb = maxNb;
    this.nb = nb;
    const wd1 = (nb >> 6) & 31;
    const wd2 = shiftBase - (nb >> 11);
    const wd3 = wd2 < 0 ? ILB[wd1] << -wd2 : ILB[wd1] >> wd2;
    this.det = wd3 << 2;
  }
}

/**
 * QMF delay line for one packet: the 22 previous samples followed by this packet's, so the 24-sample window for
 * sample pair j is xs[2j .. 2j+23] with no per-pair shifting (the reference shifts its 24-entry array every pair).
 */
class QmfLine {
  xs = new Int32Array(22 + 320);

  /** Room for `pairs` new pairs after the history. */
  reserve(pairs: number): Int32Array {
    if (this.xs.length < 22 + 2 * pairs) {
      const bigger = new Int32Array(22 + 2 * pairs);
      bigger.set(this.xs.subarray(0, 22));
      this.xs = bigger;
    }
    return this.xs;
  }

  /** Keeps the last 22 samples of the `pairs` just used as the next packet's history. */
  advance(pairs: number): void {
    this.xs.copyWithin(0, 2 * pairs, 2 * pairs + 22);
  }
}

/** Σ x[w+2i]·QMF[i] over the 12 taps (unrolled: the loop with table reads was a tenth of the codec's time). */
function qmfEven(x: Int32Array, w: number): number {
  return (
    x[w] * 3 + x[w + 2] * -11 + x[w + 4] * 12 + x[w + 6] * 32 + x[w + 8] * -210 + x[w + 10] * 951 +
    x[w + 12] * 3876 + x[w + 14] * -805 + x[w + 16] * 362 + x[w + 18] * -156 + x[w + 20] * 53 + x[w + 22] * -11
  );
}

/** Σ x[w+2i+1]·QMF[11-i] over the 12 taps. */
function qmfOdd(x: Int32Array, w: number): number {
  return (
    x[w + 1] * -11 + x[w + 3] * 53 + x[w + 5] * -156 + x[w + 7] * 362 + x[w + 9] * -805 + x[w + 11] * 3876 +
    x[w + 13] * 951 + x[w + 15] * -210 + x[w + 17] * 32 + x[w + 19] * 12 + x[w + 21] * -11 + x[w + 23] * 3
  );
}

/**
 * For v in 0..2919: the first m in 1..29 with Q6[m] >= v (Q6 rises through 1..29; above 2919 the answer is 30).
 */
const Q6_INDEX = (() => {
  const t = new Uint8Array(Q6[29] + 1);
  let m = 1;
  for (let v = 0; v < t.length; v++) {
    while (Q6[m] < v) m++;
    t[v] = m;
  }
  return t;
})();

/**
 * The low band's 6-bit quantiser decision: the reference's linear scan for the first i in 1..29 with
 * wd < (Q6[i]·det) >> 12 (else 30), in O(1). For wd >= 0 and det > 0 (always: det >= 32),
 * wd < floor(Q6[i]·det / 4096) ⟺ Q6[i] >= ceil((wd + 1)·4096 / det), so one division and a table read replace
 * the scan (a binary search was slower: its branches mispredict). Exported for the test that compares the two.
 */
export function quantiseLow(wd: number, det: number): number {
  const v = Math.ceil(((wd + 1) * 4096) / det);
  return v < Q6_INDEX.length ? Q6_INDEX[v] : 30;
}

/** G.722 encoder: 16 kHz PCM in, one byte per two samples out (64 kbit/s). */
export class G722EncoderState {
  private readonly low = new Band(32);
  private readonly high = new Band(8);
  private readonly line = new QmfLine();

  /** Encodes `pcm` (even length; a trailing odd sample is ignored) into `out` (pcm.length/2 bytes). */
  encode(pcm: Int16Array, out: Buffer): number {
    const pairs = pcm.length >> 1;
    const x = this.line.reserve(pairs);
    x.set(pcm.subarray(0, 2 * pairs), 22);
    const low = this.low;
    const high = this.high;
    for (let n = 0; n < pairs; n++) {
      // Transmit QMF: split into low and high band at 8 kHz each.
      const sumodd = qmfEven(x, 2 * n); // the reference's names: its "odd" taps are our even indices
      const sumeven = qmfOdd(x, 2 * n);
      const xlow = (sumeven + sumodd) >> 14;
      const xhigh = (sumeven - sumodd) >> 14;

      // Low band: 6-bit ADPCM.
      const el = sat(xlow - low.s);
      let wd = el ^ (el >> 31); // el >= 0 ? el : -(el + 1), without the -0 a negation of 0 makes
      const i = quantiseLow(wd, low.det);
      const ilow = el < 0 ? ILN[i] : ILP[i];
      const ril = ilow >> 2;
      const dlow = (low.det * QM4[ril]) >> 15;
      low.scale(WL[RL42[ril]], 18432, 8);
      low.update(dlow);

      // High band: 2-bit ADPCM.
      const eh = sat(xhigh - high.s);
      wd = eh ^ (eh >> 31);
      const mih = wd >= (564 * high.det) >> 12 ? 2 : 1;
      const ihigh = eh < 0 ? IHN[mih] : IHP[mih];
      const dhigh = (high.det * QM2[ihigh]) >> 15;
      high.scale(WH[RH2[ihigh]], 22528, 10);
      high.update(dhigh);

      out[n] = ((ihigh << 6) | ilow) & 0xff;
    }
    this.line.advance(pairs);
    return pairs;
  }
}

/** G.722 decoder: one byte in, two 16 kHz samples out. */
export class G722DecoderState {
  private readonly low = new Band(32);
  private readonly high = new Band(8);
  private readonly line = new QmfLine();

  decode(data: Buffer, out: Int16Array): number {
    const x = this.line.reserve(data.length);
    const low = this.low;
    const high = this.high;
    let n = 0;
    for (let j = 0; j < data.length; j++) {
      const code = data[j];
      const ilow6 = code & 0x3f;
      const ihigh = (code >> 6) & 0x03;

      // Low band: reconstruct from all 6 bits, adapt from the 4 most significant (as the encoder did).
      let rlow = low.s + ((low.det * QM6[ilow6]) >> 15);
      if (rlow > 16383) rlow = 16383;
      else if (rlow < -16384) rlow = -16384;
      const ril = ilow6 >> 2;
      const dlowt = (low.det * QM4[ril]) >> 15;
      low.scale(WL[RL42[ril]], 18432, 8);
      low.update(dlowt);

      // High band.
      const dhigh = (high.det * QM2[ihigh]) >> 15;
      let rhigh = dhigh + high.s;
      if (rhigh > 16383) rhigh = 16383;
      else if (rhigh < -16384) rhigh = -16384;
      high.scale(WH[RH2[ihigh]], 22528, 10);
      high.update(dhigh);

      // Receive QMF: merge the bands back to 16 kHz.
      const w = 2 * j;
      x[w + 22] = rlow + rhigh;
      x[w + 23] = rlow - rhigh;
      out[n++] = sat(qmfOdd(x, w) >> 11);
      out[n++] = sat(qmfEven(x, w) >> 11);
    }
    this.line.advance(data.length);
    return n;
  }
}
