/**
 * Codec entry point: importing this module registers the built-in codecs. A new codec (Opus, G.722) is a
 * module that implements {@link AudioCodec}, calls `codecRegistry.register()`, and is imported here.
 */
import './g711.js';

export type { AudioCodec, AudioDecoder, AudioEncoder } from './types.js';
export { codecRegistry, CodecRegistry } from './registry.js';
export { PCMU, PCMA } from './g711.js';
