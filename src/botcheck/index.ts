export { checkBot, PROTOCOLS, STEPS, type BotCheckOptions, type BotCheckReport, type StepResult } from './check.js';
export { SimulatedPlayout, type PlayoutTimers } from './playout.js';
