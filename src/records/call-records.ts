/**
 * Call records as a service: takes call control's steps (and the recorder's hooks), writes one CDR per call to
 * the daily JSON-lines file, and queues webhook events to every endpoint that subscribes to them.
 */
import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { Clock, TimerHandle } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import { CdrFile } from './cdr-file.js';
import type { CallRecord, RecordingInfo, WebhookEvent, WebhookEventType } from './call-record.js';
import { CallRecordBuilder, type BuilderOutput, type CallStep } from './record-builder.js';
import { Spool } from './spool.js';
import { WebhookEndpoint, fetchPost, type DeliveryObserver, type EndpointStatus, type HttpPost, type WebhookTarget } from './webhook-endpoint.js';

/** What the recorder tells records (issue #13 recording): its hooks, both optional to call. */
export interface RecordingHooks {
  /**
   * A recording of the call began: its CDR waits (at most `recordingWaitMs` after the call ends) for
   * {@link recordingReady}, so the record names the file.
   */
  recordingStarted(e: { callId: string }): void;
  /** The call's recording file is complete and in place: it goes into the CDR and a `recording.ready` event. */
  recordingReady(e: { callId: string; file: string; pausedSpans: RecordingInfo['pausedSpans'] }): void;
  /** The call's recording stopped on a failed file: no file will come, so its CDR need not wait for one. */
  recordingFailed?(e: { callId: string }): void;
}

/** Metrics of records (wired in app.ts). */
export interface RecordsObserver extends DeliveryObserver {
  cdrWritten(): void;
  cdrWriteFailed(): void;
}

export interface CallRecordsOptions {
  /** Where CDR files (`cdr/`) and webhook spools (`spool/`) live; undefined: neither (webhooks need it). */
  dir: string | undefined;
  /** Write CDR files (default true when `dir` is set). */
  cdrFiles?: boolean;
  webhooks: readonly WebhookTarget[];
  clock: Clock;
  logger: Logger;
  observer: RecordsObserver;
  /** Wall clock, ms since the epoch (default Date.now). */
  wallNow?: () => number;
  /** HTTP client (default fetch). */
  post?: HttpPost;
  /** How long a record waits for its recording after the call ended, ms (default 10 000). */
  recordingWaitMs?: number;
}

/** The spool file of a webhook URL: named by a hash, so a URL's queue survives reordering the config. */
export function spoolFileName(url: string): string {
  return `${createHash('sha256').update(url).digest('hex').slice(0, 16)}.jsonl`;
}

export class CallRecords implements RecordingHooks {
  private readonly builder: CallRecordBuilder;
  private readonly cdr: CdrFile | undefined;
  private endpoints: WebhookEndpoint[] = [];
  private readonly wallNow: () => number;
  private readonly log: Logger;
  /** Calls with a recording under way, and recordings that finished before their call's record was out. */
  private readonly recording = new Map<string, RecordingInfo | undefined>();
  /** Records held for their recording. */
  private readonly held = new Map<string, { record: CallRecord; at: number; timer: TimerHandle }>();
  private closed = false;

  constructor(private readonly o: CallRecordsOptions) {
    this.wallNow = o.wallNow ?? Date.now;
    this.builder = new CallRecordBuilder(this.wallNow);
    this.log = o.logger.child({ layer: 'records' });
    this.cdr = o.dir !== undefined && o.cdrFiles !== false ? new CdrFile(join(o.dir, 'cdr')) : undefined;
  }

  /**
   * Makes sure the directory is usable (a bad one fails the start, not the first call's record), then opens the
   * webhook spools and resumes delivering what they hold. Before any call can arrive.
   */
  async start(): Promise<void> {
    if (this.o.dir !== undefined) await mkdir(join(this.o.dir, 'cdr'), { recursive: true });
    if (this.o.webhooks.length === 0) return;
    if (this.o.dir === undefined) throw new Error('webhooks need records.dir for their spool');
    const spoolDir = join(this.o.dir, 'spool');
    await mkdir(spoolDir, { recursive: true });
    const post = this.o.post ?? fetchPost(this.o.clock);
    for (const [i, target] of this.o.webhooks.entries()) {
      const { spool, recovered } = await Spool.open<WebhookEvent>(join(spoolDir, spoolFileName(target.url)));
      if (recovered.tornBytes > 0 || recovered.corruptLines > 0) {
        this.log.warn({ webhook: i, tornBytes: recovered.tornBytes, corruptLines: recovered.corruptLines }, 'webhook spool: dropped an incomplete last line (a crash mid-write)');
      }
      const endpoint = new WebhookEndpoint(i, target, spool, { clock: this.o.clock, wallNow: this.wallNow, post, log: this.log, observer: this.o.observer });
      this.endpoints.push(endpoint);
      endpoint.start();
    }
  }

  /** A step of a call (calls/ CallObserver.record). */
  onCallEvent(step: CallStep): void {
    if (this.closed) return;
    // Call control reports from the middle of its own work (a call's end): a fault here must never reach it.
    try {
      for (const out of this.builder.step(step)) this.handle(out);
    } catch (err) {
      this.log.error({ err, callId: step.callId, step: step.type }, 'call record step failed');
    }
  }

  /** Events queued and not yet accepted, per webhook (for the pending gauge). */
  pendingEvents(): number[] {
    return this.endpoints.map((e) => e.status().pending);
  }

  recordingStarted(e: { callId: string }): void {
    // Only for a call whose record is still to come: nothing else would ever clear the entry.
    if (!this.closed && this.builder.isOpen(e.callId) && !this.recording.has(e.callId)) this.recording.set(e.callId, undefined);
  }

  recordingReady(e: { callId: string; file: string; pausedSpans: RecordingInfo['pausedSpans'] }): void {
    if (this.closed) return;
    const info: RecordingInfo = { file: e.file, pausedSpans: e.pausedSpans.map((s) => ({ startMs: s.startMs, endMs: s.endMs })) };
    const at = this.wallNow();
    this.publish('recording.ready', e.callId, at, info);
    const held = this.held.get(e.callId);
    if (held) {
      held.timer.cancel();
      this.held.delete(e.callId);
      this.recording.delete(e.callId);
      this.finish({ ...held.record, recording: info }, held.at);
    } else if (this.recording.has(e.callId)) {
      this.recording.set(e.callId, info);
    } else {
      this.log.warn({ callId: e.callId, file: e.file }, 'recording ready after its call record was written: only the recording.ready event names it');
    }
  }

  recordingFailed(e: { callId: string }): void {
    if (this.closed) return;
    this.recording.delete(e.callId);
    const held = this.held.get(e.callId);
    if (!held) return;
    held.timer.cancel();
    this.held.delete(e.callId);
    this.finish(held.record, held.at);
  }

  /** `GET /v1/webhooks/status`. */
  webhookStatus(): { webhooks: EndpointStatus[] } {
    return { webhooks: this.endpoints.map((e) => e.status()) };
  }

  /** Writes the records still held for a recording, then closes files and spools. Safe twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    for (const [callId, h] of this.held) {
      h.timer.cancel();
      this.finish(h.record, h.at);
      this.held.delete(callId);
    }
    this.closed = true;
    await this.cdr?.close();
    await Promise.all(this.endpoints.map((e) => e.close()));
  }

  private handle(out: BuilderOutput): void {
    switch (out.kind) {
      case 'started':
        return this.publish('call.started', out.callId, out.at, out.data);
      case 'answered':
        return this.publish('call.answered', out.callId, out.at, out.data);
      case 'transfer':
        return this.publish('call.transfer', out.callId, out.at, out.data);
      case 'record':
        return this.recordReady(out.record, out.at);
    }
  }

  private recordReady(record: CallRecord, at: number): void {
    if (!this.recording.has(record.callId)) return this.finish(record, at);
    const done = this.recording.get(record.callId);
    if (done) {
      this.recording.delete(record.callId);
      return this.finish({ ...record, recording: done }, at);
    }
    const timer = this.o.clock.setTimeout(() => {
      this.held.delete(record.callId);
      this.recording.delete(record.callId);
      this.log.warn({ callId: record.callId }, 'recording not ready in time: call record written without it');
      this.finish(record, at);
    }, this.o.recordingWaitMs ?? 10_000);
    this.held.set(record.callId, { record, at, timer });
  }

  /** The record out: a CDR line and a call.ended event. */
  private finish(record: CallRecord, at: number): void {
    this.publish('call.ended', record.callId, at, record);
    if (!this.cdr) return;
    this.cdr.append(record, at).then(
      () => this.o.observer.cdrWritten(),
      (err: unknown) => {
        this.o.observer.cdrWriteFailed();
        // The record itself goes into the log line, so it is not lost with the file.
        this.log.error({ err, callId: record.callId, record }, 'CDR could not be written');
      },
    );
  }

  private publish(type: WebhookEventType, callId: string, at: number, data: unknown): void {
    const targets = this.endpoints.filter((e) => e.wants(type));
    if (targets.length === 0) return;
    const event = { id: randomUUID(), type, createdAt: new Date(at).toISOString(), callId, data } as WebhookEvent;
    for (const e of targets) e.enqueue(event);
  }
}
