export { RecordsMetrics, webhookLabel } from './records-metrics.js';
export {
  BridgeMetrics,
  METRIC_PREFIX,
  callResultForStatus,
  directionLabel,
  sipMethodLabel,
  endReasonLabel,
  type BridgeMetricsOptions,
  type CallDirection,
  type CallResult,
} from './bridge-metrics.js';
export { MediaMetrics, type MediaSample } from './media-metrics.js';
export { RecordingMetrics } from './recording-metrics.js';
export { SecurityMetrics, SIP_GUARD_LABELS, MEDIA_FOREIGN_LABELS, type SipGuardLabel, type MediaForeignLabel } from './security-metrics.js';
