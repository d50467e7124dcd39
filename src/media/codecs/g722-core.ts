/**
 * ITU-T G.722 (64 kbit/s mode, 14-bit-ish wideband ADPCM): the sub-band split/merge QMF and the two ADPCM
 * bands, in integer arithmetic exactly as the recommendation's reference (as structured in the widely used
 * public-domain spandsp/libg722 implementation by Steve Underwood, from the CMU code). Written in TypeScript
 * because no maintained npm package implements G.722; verified by encode→decode SNR and by interop with
 * baresip's g722 module (test/integration).
 *
 * Pure state machines over Int16Array / Buffer; one state per direction of one stream.
 */

const QMF = [3, -11, 12, 32, -210, 951, 3876, -805, 362, -156, 53, -11];
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

/** Adaptive predictor state of one sub-band. */
class Band {
  s = 0;
  sp = 0;
  sz = 0;
  readonly r = [0, 0, 0];
  readonly a = [0, 0, 0];
  readonly ap = [0, 0, 0];
  readonly p = [0, 0, 0];
  readonly d = [0, 0, 0, 0, 0, 0, 0];
  readonly b = [0, 0, 0, 0, 0, 0, 0];
  readonly bp = [0, 0, 0, 0, 0, 0, 0];
  readonly sg = [0, 0, 0, 0, 0, 0, 0];
  nb = 0;
  det: number;

  constructor(det: number) {
    this.det = det;
  }

  /** Block 4: reconstruction, pole/zero predictor adaptation and the next prediction. */
  update(d: number): void {
    const { r, a, ap, p, sg, b, bp } = this;
    const dd = this.d;
    dd[0] = d;
    r[0] = sat(this.s + d);
    p[0] = sat(this.sz + d);

    // UPPOL2
    for (let i = 0; i < 3; i++) sg[i] = p[i] >> 15;
    let wd1 = sat(a[1] << 2);
    let wd2 = sg[0] === sg[1] ? -wd1 : wd1;
    if (wd2 > 32767) wd2 = 32767;
    let wd3 = sg[0] === sg[2] ? 128 : -128;
    wd3 += wd2 >> 7;
    wd3 += (a[2] * 32512) >> 15;
    if (wd3 > 12288) wd3 = 12288;
    else if (wd3 < -12288) wd3 = -12288;
    ap[2] = wd3;

    // UPPOL1
    sg[0] = p[0] >> 15;
    sg[1] = p[1] >> 15;
    wd1 = sg[0] === sg[1] ? 192 : -192;
    wd2 = (a[1] * 32640) >> 15;
    ap[1] = sat(wd1 + wd2);
    wd3 = sat(15360 - ap[2]);
    if (ap[1] > wd3) ap[1] = wd3;
    else if (ap[1] < -wd3) ap[1] = -wd3;

    // UPZERO
    wd1 = d === 0 ? 0 : 128;
    sg[0] = d >> 15;
    for (let i = 1; i < 7; i++) {
      sg[i] = dd[i] >> 15;
      wd2 = sg[i] === sg[0] ? wd1 : -wd1;
      wd3 = (b[i] * 32640) >> 15;
      bp[i] = sat(wd2 + wd3);
    }

    // DELAYA
    for (let i = 6; i > 0; i--) {
      dd[i] = dd[i - 1];
      b[i] = bp[i];
    }
    for (let i = 2; i > 0; i--) {
      r[i] = r[i - 1];
      p[i] = p[i - 1];
      a[i] = ap[i];
    }

    // FILTEP
    wd1 = sat(r[1] + r[1]);
    wd1 = (a[1] * wd1) >> 15;
    wd2 = sat(r[2] + r[2]);
    wd2 = (a[2] * wd2) >> 15;
    this.sp = sat(wd1 + wd2);

    // FILTEZ
    let sz = 0;
    for (let i = 6; i > 0; i--) {
      wd1 = sat(dd[i] + dd[i]);
      sz += (b[i] * wd1) >> 15;
    }
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

/** G.722 encoder: 16 kHz PCM in, one byte per two samples out (64 kbit/s). */
export class G722EncoderState {
  private readonly low = new Band(32);
  private readonly high = new Band(8);
  private readonly x = new Int32Array(24);

  /** Encodes `pcm` (even length; a trailing odd sample is ignored) into `out` (pcm.length/2 bytes). */
  encode(pcm: Int16Array, out: Buffer): number {
    const x = this.x;
    const low = this.low;
    const high = this.high;
    let n = 0;
    for (let j = 0; j + 1 < pcm.length; j += 2) {
      // Transmit QMF: split into low and high band at 8 kHz each.
      x.copyWithin(0, 2);
      x[22] = pcm[j];
      x[23] = pcm[j + 1];
      let sumodd = 0;
      let sumeven = 0;
      for (let i = 0; i < 12; i++) {
        sumodd += x[2 * i] * QMF[i];
        sumeven += x[2 * i + 1] * QMF[11 - i];
      }
      const xlow = (sumeven + sumodd) >> 14;
      const xhigh = (sumeven - sumodd) >> 14;

      // Low band: 6-bit ADPCM.
      const el = sat(xlow - low.s);
      let wd = el >= 0 ? el : -(el + 1);
      let i = 1;
      for (; i < 30; i++) {
        if (wd < (Q6[i] * low.det) >> 12) break;
      }
      const ilow = el < 0 ? ILN[i] : ILP[i];
      const ril = ilow >> 2;
      const dlow = (low.det * QM4[ril]) >> 15;
      low.scale(WL[RL42[ril]], 18432, 8);
      low.update(dlow);

      // High band: 2-bit ADPCM.
      const eh = sat(xhigh - high.s);
      wd = eh >= 0 ? eh : -(eh + 1);
      const mih = wd >= (564 * high.det) >> 12 ? 2 : 1;
      const ihigh = eh < 0 ? IHN[mih] : IHP[mih];
      const dhigh = (high.det * QM2[ihigh]) >> 15;
      high.scale(WH[RH2[ihigh]], 22528, 10);
      high.update(dhigh);

      out[n++] = ((ihigh << 6) | ilow) & 0xff;
    }
    return n;
  }
}

/** G.722 decoder: one byte in, two 16 kHz samples out. */
export class G722DecoderState {
  private readonly low = new Band(32);
  private readonly high = new Band(8);
  private readonly x = new Int32Array(24);

  decode(data: Buffer, out: Int16Array): number {
    const x = this.x;
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
      x.copyWithin(0, 2);
      x[22] = rlow + rhigh;
      x[23] = rlow - rhigh;
      let xout1 = 0;
      let xout2 = 0;
      for (let i = 0; i < 12; i++) {
        xout2 += x[2 * i] * QMF[i];
        xout1 += x[2 * i + 1] * QMF[11 - i];
      }
      out[n++] = sat(xout1 >> 11);
      out[n++] = sat(xout2 >> 11);
    }
    return n;
  }
}
