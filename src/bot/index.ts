export type { StartMessage, BotCommand, BridgeEvent, TransferCommand, TransferEvent, CallQuality } from './protocols/native.js';
export { parseBotCommand, encodeBridgeEvent } from './protocols/native.js';
export type { BotSession, BotCloseInfo } from './session.js';
export { BaseBotSession } from './session.js';
export { WebSocketBotSession, type WebSocketBotSessionOptions } from './websocket-session.js';
export { EchoBotSession, type EchoBotSessionOptions } from './echo-session.js';
export { connectBot, botTargetFromConfig, type BotDefinition, type BotTarget, type ConnectContext } from './connector.js';
export type { BotInput, Dialect, DialectCodec, DialectContext, WireFrame } from './protocols/dialect.js';
export { DIALECTS, dialectFor, type DialectName } from './protocols/registry.js';
