import type { AudioCodec } from './types.js';

/** Codecs by SDP encoding name (case-insensitive, as SDP names are). */
export class CodecRegistry {
  private readonly byName = new Map<string, AudioCodec>();

  /** Adds a codec; a later registration under the same name replaces the earlier one. */
  register(codec: AudioCodec): void {
    this.byName.set(codec.name.toUpperCase(), codec);
  }

  get(name: string): AudioCodec | undefined {
    return this.byName.get(name.toUpperCase());
  }

  /** Registered codec names, in registration order. */
  names(): string[] {
    return [...this.byName.values()].map((c) => c.name);
  }
}

/**
 * The process-wide registry. Import it from `media/codecs/index.js`, which also loads the built-in codecs
 * (each codec module registers itself when imported).
 */
export const codecRegistry = new CodecRegistry();
