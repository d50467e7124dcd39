export { configSchema, checkAddressRule } from './schema.js';
export type { Config, BotConfig, BuiltinBotConfig, WebSocketBotConfig } from './schema.js';
export { parseConfig, loadConfigFile, loadDefaultConfig, defaultConfigPath, formatPath, deepFreeze } from './load.js';
export { redactConfig } from './redact.js';
