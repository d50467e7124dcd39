export { configSchema, checkAddressRule } from './schema.js';
export type { Config, BotConfig, BotProtocol, BuiltinBotConfig, WebSocketBotConfig } from './schema.js';
export { parseConfig, loadConfigFile, loadDefaultConfig, defaultConfigPath, formatPath, deepFreeze } from './load.js';
export { redactConfig } from './redact.js';
export { resolveJitterBuffer, JITTER_BUFFER_DEFAULTS, type ResolvedJitterBuffer } from './jitter-buffer.js';
export type { FallbackConfig, RecordingMode, RecordingsConfig } from './schema.js';
export { fallbackFor, promptFiles, recordingModeFor } from './fallbacks.js';
