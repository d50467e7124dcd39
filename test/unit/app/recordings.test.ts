/**
 * Recordings in the composition root: a call's policy comes from the configuration snapshot it starts with (the
 * admin API changes modes), a number entry takes `recording` (numberEntrySchema), and a finished recording
 * reaches the call records' hook with its file and paused spans.
 */
import { describe, expect, it, vi } from 'vitest';
import { Registry } from 'prom-client';
import { ManualClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/logger.js';
import { numberEntrySchema, parseConfig } from '../../../src/config/index.js';
import { AppRecordings } from '../../../src/app/recordings.js';

const yaml = (numberMode: string): string => `
bots:
  b: { url: "ws://h/" }
inboundTrunks:
  - name: t
    allow: [127.0.0.1]
    numbers:
      "+1000": { bot: b, recording: ${numberMode} }
recordings: { dir: /tmp/tb-rec-unit, consentPrompt: /srv/consent.wav }
`;

describe('AppRecordings', () => {
  it("a call's policy is the snapshot's: a later configuration changes the next call's mode", () => {
    const first = parseConfig(yaml('always'));
    const rec = new AppRecordings(first, new ManualClock(), silentLogger(), new Registry());
    expect(rec.policy(first, 't', '+1000', 'b')).toEqual({ mode: 'always', consentFile: '/srv/consent.wav' });
    const next = parseConfig(yaml('off'));
    expect(rec.policy(next, 't', '+1000', 'b')).toEqual({ mode: 'off', consentFile: '/srv/consent.wav' });
  });

  it('numberEntrySchema takes a recording mode (the admin API /v1/numbers items)', () => {
    expect(numberEntrySchema.parse({ bot: 'b', recording: 'on-demand' })).toMatchObject({ recording: 'on-demand' });
    expect(numberEntrySchema.safeParse({ bot: 'b', recording: 'sometimes' }).success).toBe(false);
  });

  it('recording-ready goes to the call records (file and paused spans); a failure does not', () => {
    const cfg = parseConfig(yaml('always'));
    const rec = new AppRecordings(cfg, new ManualClock(), silentLogger(), new Registry());
    const hooks = { recordingStarted: vi.fn(), recordingReady: vi.fn() };
    rec.reportTo(hooks);
    rec.onRecording({ type: 'recording-failed', callId: 'c0', failure: 'disk-full', message: 'ENOSPC' });
    rec.onRecording({ type: 'recording-ready', callId: 'c1', file: '/tmp/tb-rec-unit/c1.wav', pausedSpans: [{ startMs: 1000, endMs: 2500 }], format: 'wav', durationMs: 4000 });
    expect(hooks.recordingReady.mock.calls).toEqual([[{ callId: 'c1', file: '/tmp/tb-rec-unit/c1.wav', pausedSpans: [{ startMs: 1000, endMs: 2500 }] }]]);
  });
});
