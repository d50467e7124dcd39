// CallRecorder and RecordingFile: the taps on a manual clock, files in a temporary folder (read back as WAV), and
// a file system seam that fails with ENOSPC, as a full disk does.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../../src/core/clock.js';
import { silentLogger } from '../../../../src/core/logger.js';
import { RecordingError } from '../../../../src/core/errors.js';
import { CallRecorder, FLUSH_MS, nodeRecordingFs, RecordingFile, type RecordingEvent, type RecordingFs, type RecordingSettings } from '../../../../src/engine/recording/index.js';
import { waitFor } from '../../../helpers/wait-for.js';
import { generateTone, goertzel, int16ToL16 } from '../../../helpers/audio.js';

const RATE = 8000;
const FRAME = RATE / 50;
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tb-rec-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function settings(extra: Partial<RecordingSettings> = {}): RecordingSettings {
  return { dir, pattern: '{date}/{callId}.{ext}', format: 'wav', sampleRate: RATE, ...extra };
}

/** A recorder on a manual clock; `run(ms)` feeds both taps 20 ms frames (left 440 Hz, right 1000 Hz) for `ms`. */
function rig(fs?: RecordingFs, extra: Partial<RecordingSettings> = {}, maxWavBytes?: number) {
  const clock = new ManualClock(1000);
  const events: RecordingEvent[] = [];
  const rec = new CallRecorder('call-1', RATE, { clock, log: silentLogger(), settings: settings(extra), wallNow: () => Date.UTC(2026, 11, 5), ...(fs ? { fs } : {}), ...(maxWavBytes ? { maxWavBytes } : {}), onEvent: (e) => events.push(e) });
  const left = generateTone(440, RATE, 60_000);
  const right = generateTone(1000, RATE, 60_000);
  let at = 0;
  const run = (ms: number): void => {
    for (let t = 0; t < ms; t += 20) {
      clock.advance(20);
      rec.left(int16ToL16(left.subarray(at, at + FRAME)));
      rec.right(right.subarray(at, at + FRAME));
      at += FRAME;
    }
  };
  return { clock, rec, events, run };
}

/** Left and right channels of a 16-bit stereo WAV, checking its header. */
function readWav(path: string): { left: Int16Array; right: Int16Array } {
  const b = readFileSync(path);
  expect(b.toString('ascii', 0, 4)).toBe('RIFF');
  expect(b.readUInt16LE(22)).toBe(2);
  expect(b.readUInt32LE(24)).toBe(RATE);
  const data = b.readUInt32LE(40);
  expect(data).toBe(b.length - 44);
  const n = data / 4;
  const left = new Int16Array(n);
  const right = new Int16Array(n);
  for (let i = 0; i < n; i++) {
    left[i] = b.readInt16LE(44 + 4 * i);
    right[i] = b.readInt16LE(46 + 4 * i);
  }
  return { left, right };
}

describe('CallRecorder', () => {
  it('writes caller left and heard audio right, renamed into {date}/{callId}.wav when stopped', async () => {
    const { rec, events, run } = rig();
    expect(rec.control('start')).toBe('recording');
    run(2000);
    // A reader never sees half a file: until the stop there is only the hidden temporary one.
    await waitFor(() => existsSync(join(dir, '2026-12-05', '.call-1.wav.part')), { timeoutMs: 10_000, what: 'temp file' });
    expect(readdirSync(join(dir, '2026-12-05'))).toEqual(['.call-1.wav.part']);
    expect(rec.control('stop')).toBe('stopped');
    await waitFor(() => events.length > 0, { timeoutMs: 10_000, what: 'recording-ready' });
    const file = join(dir, '2026-12-05', 'call-1.wav');
    expect(events).toEqual([{ type: 'recording-ready', callId: 'call-1', file, pausedSpans: [], format: 'wav', durationMs: 2000 }]);
    expect(readdirSync(join(dir, '2026-12-05'))).toEqual(['call-1.wav']);
    const { left, right } = readWav(file);
    expect(left.length).toBe(2 * RATE);
    const mid = (x: Int16Array) => x.subarray(RATE / 2, RATE);
    expect(goertzel(mid(left), RATE, 440)).toBeGreaterThan(5000);
    expect(goertzel(mid(left), RATE, 1000)).toBeLessThan(100);
    expect(goertzel(mid(right), RATE, 1000)).toBeGreaterThan(5000);
    expect(goertzel(mid(right), RATE, 440)).toBeLessThan(100);
  });

  it('a paused span is silence on both channels and is reported in ms from the start', async () => {
    const { rec, events, run } = rig();
    rec.control('start');
    run(1000);
    expect(rec.control('pause')).toBe('paused');
    run(600);
    expect(rec.control('resume')).toBe('recording');
    run(400);
    rec.control('stop');
    await waitFor(() => events.length > 0, { timeoutMs: 10_000, what: 'recording-ready' });
    const ready = events[0] as Extract<RecordingEvent, { type: 'recording-ready' }>;
    expect(ready.pausedSpans).toEqual([{ startMs: 1000, endMs: 1600 }]);
    const { left, right } = readWav(ready.file);
    const span = (x: Int16Array, a: number, b: number) => x.subarray((a * RATE) / 1000, (b * RATE) / 1000);
    expect(Math.max(...span(left, 1000, 1600).map(Math.abs))).toBe(0);
    expect(Math.max(...span(right, 1000, 1600).map(Math.abs))).toBe(0);
    expect(goertzel(span(left, 1700, 1900), RATE, 440)).toBeGreaterThan(5000);
    expect(goertzel(span(right, 500, 900), RATE, 1000)).toBeGreaterThan(5000);
  });

  it('a quiet side (no RTP) is filled with silence so the other is not held back', async () => {
    const { rec, events, clock } = rig();
    rec.control('start');
    const tone = generateTone(1000, RATE, 1000);
    for (let at = 0; at < tone.length; at += FRAME) {
      clock.advance(20);
      rec.right(tone.subarray(at, at + FRAME));
    }
    rec.control('stop');
    await waitFor(() => events.length > 0, { timeoutMs: 10_000, what: 'recording-ready' });
    const { left, right } = readWav((events[0] as { file: string }).file);
    expect(left.length).toBe(RATE);
    expect(Math.max(...left.map(Math.abs))).toBe(0);
    expect(goertzel(right.subarray(0, RATE / 2), RATE, 1000)).toBeGreaterThan(5000);
  });

  it.each([
    { from: 'idle', action: 'pause' },
    { from: 'idle', action: 'resume' },
    { from: 'idle', action: 'stop' },
    { from: 'recording', action: 'start' },
    { from: 'recording', action: 'resume' },
    { from: 'paused', action: 'pause' },
    { from: 'stopped', action: 'start' },
  ] as const)('refuses $action when $from (recording-state), state unchanged', ({ from, action }) => {
    const { rec } = rig();
    if (from !== 'idle') rec.control('start');
    if (from === 'paused') rec.control('pause');
    if (from === 'stopped') rec.control('stop');
    let err: unknown;
    try {
      rec.control(action);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RecordingError);
    expect((err as RecordingError).reason).toBe('recording-state');
    expect(rec.state).toBe(from);
  });

  it('a full disk (ENOSPC from the write) stops the recording with recording-failed; the temp file is removed', async () => {
    const written: string[] = [];
    const unlinked: string[] = [];
    let writes = 0;
    const full: RecordingFs = {
      ...nodeRecordingFs,
      async open(path) {
        written.push(path);
        const h = await nodeRecordingFs.open(path);
        return {
          write: async (buf, pos) => {
            if (++writes > 2) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
            await h.write(buf, pos);
          },
          close: () => h.close(),
        };
      },
      async unlink(path) {
        unlinked.push(path);
        await nodeRecordingFs.unlink(path);
      },
    };
    const { rec, events, run } = rig(full);
    rec.control('start');
    // Flushes go on (manual clock) until the real writes behind them reach the failing one: under load the
    // file system takes longer than any fixed number of turns of the event loop.
    await waitFor(
      () => {
        if (events.length === 0) run(FLUSH_MS);
        return events.length > 0;
      },
      { timeoutMs: 10_000, what: 'recording-failed' },
    );
    expect(events).toEqual([{ type: 'recording-failed', callId: 'call-1', failure: 'disk-full', message: 'ENOSPC: no space left on device, write' }]);
    expect(rec.state).toBe('failed');
    await waitFor(() => unlinked.length > 0, { timeoutMs: 10_000, what: 'temp file removed' });
    expect(unlinked).toEqual(written);
    expect(readdirSync(join(dir, '2026-12-05'))).toEqual([]);
    // The taps go on being called by the call's media: nothing throws, nothing more is written.
    run(400);
    expect(() => rec.close()).not.toThrow();
    expect(events).toHaveLength(1);
  });

  it('a WAV reaching its size limit is finished whole (RIFF sizes are 32-bit); the taps after it write nothing', async () => {
    const { rec, events, run } = rig(undefined, {}, RATE * 4); // one second of 8 kHz stereo
    rec.control('start');
    run(3000);
    expect(rec.state).toBe('stopped');
    await waitFor(() => events.length > 0, { timeoutMs: 10_000, what: 'recording-ready' });
    const e = events[0] as Extract<RecordingEvent, { type: 'recording-ready' }>;
    // Finished at the first flush past the limit: within one flush period of it.
    expect(e.durationMs).toBeGreaterThanOrEqual(1000);
    expect(e.durationMs).toBeLessThanOrEqual(1000 + FLUSH_MS);
    expect(readWav(e.file).left.length).toBe((e.durationMs * RATE) / 1000);
  });

  it('records Ogg/Opus when asked', async () => {
    const { rec, events, run } = rig(undefined, { format: 'ogg' });
    rec.control('start');
    run(1000);
    rec.control('stop');
    await waitFor(() => events.length > 0, { timeoutMs: 10_000, what: 'recording-ready' });
    const e = events[0] as Extract<RecordingEvent, { type: 'recording-ready' }>;
    expect(e.file).toBe(join(dir, '2026-12-05', 'call-1.ogg'));
    expect(e.format).toBe('ogg');
    expect(readFileSync(e.file).toString('ascii', 0, 4)).toBe('OggS');
  });
});

describe('RecordingFile', () => {
  it('a disk slower than the call stops the file at maxQueuedBytes (backlog), memory stays bounded', async () => {
    let release: () => void = () => {};
    const slow: RecordingFs = {
      ...nodeRecordingFs,
      async open() {
        return { write: () => new Promise<void>((r) => (release = r)), close: async () => {} };
      },
      unlink: async () => {},
    };
    const failures: string[] = [];
    const f = new RecordingFile(join(dir, 'x.wav'), slow, (e) => failures.push(e.failure), 1000);
    for (let i = 0; i < 5; i++) f.append(Buffer.alloc(300));
    expect(failures).toEqual(['backlog']);
    expect(f.backlog).toBe(0);
    release();
    await expect(f.finish()).rejects.toMatchObject({ failure: 'backlog' });
  });

  it('an unwritable folder fails as io-error', async () => {
    const failures: string[] = [];
    const blocked = join(dir, 'file');
    await nodeRecordingFs.open(blocked).then((h) => h.close());
    const f = new RecordingFile(join(blocked, 'sub', 'x.wav'), nodeRecordingFs, (e) => failures.push(e.failure));
    await expect(f.finish()).rejects.toMatchObject({ failure: 'io-error' });
    expect(failures).toEqual(['io-error']);
  });
});
