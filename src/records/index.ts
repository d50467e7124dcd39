export { CallRecords, spoolFileName, type CallRecordsOptions, type RecordingHooks, type RecordsObserver } from './call-records.js';
export type { CallStep, StepQuality } from './record-builder.js';
export type { CallRecord, WebhookEvent, WebhookEventType } from './call-record.js';
export { WEBHOOK_EVENT_TYPES } from './call-record.js';
export type { WebhookTarget, EndpointStatus } from './webhook-endpoint.js';
export { webhookStatusRoute, WEBHOOK_STATUS_PATH } from './status-route.js';
export { signWebhook, verifyWebhook, SIGNATURE_HEADER, EVENT_ID_HEADER, REPLAY_WINDOW_SEC } from './signature.js';
export { readCdrPage, type CdrPage } from './cdr-reader.js';
export { decodeCursor, type CdrQuery, type CdrCursor } from './cdr-query.js';
