/** Config of call records (CDR files) and webhooks (issue #13); wired by app/records.ts. */
import { z } from 'zod';

/** Event types a webhook may subscribe to (records/call-record.ts WEBHOOK_EVENT_TYPES; app/records.ts checks they agree). */
export const WEBHOOK_EVENTS = ['call.started', 'call.answered', 'call.ended', 'call.transfer', 'recording.ready'] as const;

export const callRecordsSchema = z.strictObject({
  /** Directory for CDR files (`cdr/cdr-YYYY-MM-DD.jsonl`) and webhook spools (`spool/`); unset: no records. */
  dir: z.string().min(1).optional(),
  /** Write one JSON line per call to the day's CDR file (default true when `dir` is set). */
  cdrFiles: z.boolean().default(true),
  /** How long a call's record waits for its recording file after the call ended, s (default 10). */
  recordingWaitSec: z.number().min(0).max(600).default(10),
});

export const webhookSchema = z.strictObject({
  /** Where events are POSTed (http or https). */
  url: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }),
  /** Events sent to this URL (default: all). */
  events: z
    .array(z.enum(WEBHOOK_EVENTS))
    .min(1)
    .refine((e) => new Set(e).size === e.length, { message: 'events must not repeat' })
    .default([...WEBHOOK_EVENTS]),
  /** HMAC-SHA256 key of the Trunkbridge-Signature header; never logged. */
  secret: z.string().min(16, 'use at least 16 characters'),
  /** One attempt's limit, ms (default 10 000). */
  timeoutMs: z.number().int().min(100).max(120_000).default(10_000),
  /** First retry delay, ms; doubles per failure (default 1000). */
  retryInitialMs: z.number().int().min(10).max(3_600_000).default(1000),
  /** Longest retry delay, ms (default 300 000 = 5 min). */
  retryMaxMs: z.number().int().min(10).max(86_400_000).default(300_000),
  /** An event still failing this long after it happened is dropped (logged, counted), h (default 72). */
  maxAgeHours: z.number().min(0.001).max(8760).default(72),
});

export type CallRecordsConfig = z.infer<typeof callRecordsSchema>;
export type WebhookConfig = z.infer<typeof webhookSchema>;

/** Cross-field rules: webhooks need a directory for their spool; one URL once. */
export function checkRecords(cfg: { callRecords?: unknown; webhooks?: unknown }, ctx: z.RefinementCtx): void {
  if (!Array.isArray(cfg.webhooks) || cfg.webhooks.length === 0) return;
  const dir = (cfg.callRecords as { dir?: unknown } | undefined)?.dir;
  if (typeof dir !== 'string') {
    ctx.addIssue({ code: 'custom', path: ['callRecords', 'dir'], message: 'required when webhooks are configured (their spool lives there)' });
  }
  const seen = new Set<string>();
  cfg.webhooks.forEach((w: unknown, i) => {
    const url = (w as { url?: unknown } | null)?.url;
    if (typeof url !== 'string') return;
    if (seen.has(url)) ctx.addIssue({ code: 'custom', path: ['webhooks', i, 'url'], message: 'listed twice' });
    seen.add(url);
  });
}
