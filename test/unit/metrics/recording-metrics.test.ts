// Recording metrics: finished files by format with their lengths, failures by a closed set of reasons.
import { describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { RecordingMetrics } from '../../../src/metrics/index.js';

describe('RecordingMetrics', () => {
  it('counts files by format and failures by reason, an unknown reason as other', async () => {
    const registry = new Registry();
    const m = new RecordingMetrics(registry);
    m.recorded('wav', 12_000);
    m.recorded('ogg', 3_000);
    m.recorded('flac', 1_000); // the label has two values only: anything but ogg counts as wav
    m.failed('disk-full');
    m.failed('disk-full');
    m.failed('ENOSPC');
    const text = await registry.metrics();
    expect(text).toContain('trunkbridge_recordings_total{format="wav"} 2');
    expect(text).toContain('trunkbridge_recordings_total{format="ogg"} 1');
    expect(text).toContain('trunkbridge_recording_failures_total{reason="disk-full"} 2');
    expect(text).toContain('trunkbridge_recording_failures_total{reason="other"} 1');
    expect(text).toContain('trunkbridge_recording_seconds_count 3');
    expect(text).toContain('trunkbridge_recording_seconds_sum 16');
  });
});
