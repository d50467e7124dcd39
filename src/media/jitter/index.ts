/** Receive-side timing: jitter buffer and loss concealment. */
export { JitterBuffer, type JitterBufferOptions, type JitterBufferStats, type JitterOutput, type JitterPacket } from './jitter-buffer.js';
export { RepeatFadeConcealer } from './concealment.js';
