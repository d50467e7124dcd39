// Finding a call's finished file under the name pattern, and retention deleting old files through the clock.
import { mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../../src/core/clock.js';
import { silentLogger } from '../../../../src/core/logger.js';
import { findRecording, recordingPath, RetentionSweeper, RETENTION_SWEEP_MS } from '../../../../src/engine/recording/index.js';
import { waitFor } from '../../../helpers/wait-for.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tb-recfiles-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function put(rel: string, ageDays = 0): string {
  const path = join(dir, rel);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, 'x');
  const t = (Date.now() - ageDays * 86_400_000) / 1000;
  utimesSync(path, t, t);
  return path;
}

describe('recordingPath', () => {
  it.each([
    { pattern: '{date}/{callId}.{ext}', format: 'wav', want: '2026-12-05/abc.wav' },
    { pattern: 'calls/{callId}-{date}.{ext}', format: 'ogg', want: 'calls/abc-2026-12-05.ogg' },
  ] as const)('$pattern', ({ pattern, format, want }) => {
    expect(recordingPath({ pattern, format }, 'abc', Date.UTC(2026, 11, 5, 23, 59))).toBe(want);
  });
});

describe('findRecording', () => {
  const s = { pattern: '{date}/{callId}.{ext}', format: 'wav' as const };
  it('finds the file in any date folder, never the temporary one or another call', async () => {
    put('2026-12-04/other.wav');
    put('2026-12-05/.abc.wav.part');
    expect(await findRecording({ ...s, dir }, 'abc')).toBeUndefined();
    const file = put('2026-12-05/abc.wav');
    expect(await findRecording({ ...s, dir }, 'abc')).toBe(file);
    expect(await findRecording({ ...s, dir: join(dir, 'missing') }, 'abc')).toBeUndefined();
  });
});

describe('RetentionSweeper', () => {
  it('deletes files older than retentionDays now and each hour after, keeps newer ones and folders in use', async () => {
    const old = put('2026-01-01/a.wav', 40);
    const fresh = put('2026-12-05/b.wav', 1);
    mkdirSync(join(dir, '2026-12-06')); // an empty folder a recording is about to write into
    const clock = new ManualClock(0);
    const sweeper = new RetentionSweeper({ dir, retentionDays: 30, clock, log: silentLogger() });
    sweeper.start();
    clock.advance(0);
    await waitFor(() => !existsSync(old), { timeoutMs: 10_000, what: 'old file deleted' });
    expect(existsSync(join(dir, '2026-01-01'))).toBe(false);
    expect(existsSync(fresh)).toBe(true);
    expect(existsSync(join(dir, '2026-12-06'))).toBe(true);
    const later = put('2026-11-01/c.wav', 31);
    clock.advance(RETENTION_SWEEP_MS);
    await waitFor(() => !existsSync(later), { timeoutMs: 10_000, what: 'next sweep' });
    sweeper.stop();
    expect(clock.pending()).toBe(0);
    expect(readdirSync(dir).sort()).toEqual(['2026-12-05', '2026-12-06']);
  });
});
