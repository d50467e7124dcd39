/** Media engines: where a call's RTP legs and its bot connection run, with the audio routed between them. */
export { InProcessMediaEngine, type InProcessMediaEngineOptions } from './in-process-engine.js';
export { InProcessCallGroup, InProcessMediaLeg, type LegMediaOptions } from './call-group.js';
export { AudioRouter, BOT } from './audio-router.js';
export { checkPromptFile, checkPromptFiles } from './prompts.js';
export * from './recording/index.js';
