/**
 * Codec entry point: importing this module registers the built-in codecs. A new codec (Opus, G.722) is a
 * module that implements {@link AudioCodec}, calls `codecRegistry.register()`, and is imported here.
 */
import './g711.js';
import './g722.js';
import './opus.js';

export type { AudioCodec, AudioDecoder, AudioEncoder } from './types.js';
export { codecRegistry, CodecRegistry } from './registry.js';
export { PCMU, PCMA } from './g711.js';
export { G722 } from './g722.js';
export { OPUS, opusPacketSamples48k, parseFmtp } from './opus.js';
