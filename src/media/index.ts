/** Media layer: codecs, resampling, RTP and the per-call audio path. Nothing here knows SIP, bots or calls. */
export * from './codecs/index.js';
export * from './resample/index.js';
export * from './rtp/index.js';
export { PlayoutQueue, type PlayoutClearResult } from './playout-queue.js';
export { MediaSession, type MediaSessionOptions, type MediaSessionStats, type MediaSessionEvents, type RtcpOptions, type CodecSwitch } from './media-session.js';
export type { JitterBufferMode, PlayoutDropped } from './media-session-types.js';
export { L16Splitter, int16ToL16Buffer, mixL16 } from './pcm.js';
export * from './dtmf/index.js';
export * from './jitter/index.js';
export * from './rtcp/index.js';
export { decodePrompt, promptAt, encodeWav, type PromptAudio } from './prompt.js';
export * from './recording/index.js';
export { LevelMeter, SILENCE_DBFS, LEVEL_WINDOW_MS, dbfsOfMeanSquare, type AudioLevels } from './level-meter.js';
