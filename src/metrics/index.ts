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
