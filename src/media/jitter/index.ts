/** Receive-side timing: jitter buffer (fixed or adaptive delay) and loss concealment. */
export { JitterBuffer, type AdaptiveDelayOptions, type JitterBufferOptions, type JitterBufferReport, type JitterBufferStats, type JitterOutput, type JitterPacket } from './jitter-buffer.js';
export { DelayEstimator, type DelayEstimatorOptions } from './delay-estimator.js';
export { RepeatFadeConcealer } from './concealment.js';
export { JitterPacketPool, type JitterPacketFields } from './packet-pool.js';
