/**
 * G.711 μ-law (PCMU) and A-law (PCMA). The sample conversions come from `alawmulaw`; we expand them once into
 * lookup tables (256 entries to decode, 65536 to encode) so the per-packet path is one table read per sample
 * and allocates only the output (decoded samples from the shared slab, see allocInt16).
 */
import alawmulaw from 'alawmulaw';
import { allocInt16 } from '../pcm.js';
import { codecRegistry } from './registry.js';
import type { AudioCodec, AudioDecoder, AudioEncoder } from './types.js';

const { alaw, mulaw } = alawmulaw;

interface G711Tables {
  decode: Int16Array;
  encode: Uint8Array; // indexed by (sample & 0xffff)
}

function buildTables(lib: { decodeSample(s: number): number; encodeSample(s: number): number }): G711Tables {
  const decode = new Int16Array(256);
  for (let i = 0; i < 256; i++) decode[i] = lib.decodeSample(i);
  const encode = new Uint8Array(65536);
  for (let s = -32768; s < 32768; s++) encode[s & 0xffff] = lib.encodeSample(s) & 0xff;
  return { decode, encode };
}

class G711Decoder implements AudioDecoder {
  constructor(private readonly table: Int16Array) {}
  decode(payload: Buffer): Int16Array {
    const out = allocInt16(payload.length);
    const t = this.table;
    for (let i = 0; i < payload.length; i++) out[i] = t[payload[i]];
    return out;
  }
}

class G711Encoder implements AudioEncoder {
  constructor(private readonly table: Uint8Array) {}
  encode(pcm: Int16Array): Buffer {
    const out = Buffer.allocUnsafe(pcm.length);
    const t = this.table;
    for (let i = 0; i < pcm.length; i++) out[i] = t[pcm[i] & 0xffff];
    return out;
  }
}

class G711Codec implements AudioCodec {
  readonly clockRate = 8000;
  readonly sampleRate = 8000;
  readonly channels = 1;
  private tables: G711Tables | undefined;

  constructor(
    readonly name: string,
    readonly staticPayloadType: number,
    private readonly lib: typeof alaw,
  ) {}

  /** Tables are built on first use so importing the module costs nothing. */
  private get t(): G711Tables {
    return (this.tables ??= buildTables(this.lib));
  }

  /** One byte per sample at the 8000 Hz clock. */
  rtpDuration(payload: Buffer): number {
    return payload.length;
  }

  createDecoder(): AudioDecoder {
    return new G711Decoder(this.t.decode);
  }

  createEncoder(): AudioEncoder {
    return new G711Encoder(this.t.encode);
  }
}

/** G.711 μ-law, static payload type 0. */
export const PCMU: AudioCodec = new G711Codec('PCMU', 0, mulaw);
/** G.711 A-law, static payload type 8. */
export const PCMA: AudioCodec = new G711Codec('PCMA', 8, alaw);

codecRegistry.register(PCMU);
codecRegistry.register(PCMA);
