// GroupRecording: taps on the leg the bot talks to while recording, removed when it stops or fails; refusals
// when recordings are not configured or there is no leg yet; the bot told when the file fails.
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../../src/core/clock.js';
import { silentLogger } from '../../../../src/core/logger.js';
import { GroupRecording, type RecordedLeg, type RecordingEvent } from '../../../../src/engine/recording/index.js';
import { waitFor } from '../../../helpers/wait-for.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tb-grouprec-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

class FakeSession extends EventEmitter {
  tap: ((pcm: Int16Array) => void) | undefined;
  setPlayedTap(tap: ((pcm: Int16Array) => void) | undefined): void {
    this.tap = tap;
  }
}

function rig(o: { configured?: boolean; dir?: string } = {}) {
  const events: RecordingEvent[] = [];
  const toBot: unknown[] = [];
  const session = new FakeSession();
  const leg: RecordedLeg = { id: 'leg1', session: session as unknown as RecordedLeg['session'], appSampleRate: 8000 };
  const rec = new GroupRecording({
    callId: 'c1',
    clock: new ManualClock(),
    log: silentLogger(),
    settings: o.configured === false ? undefined : { dir: o.dir ?? dir, pattern: '{callId}.{ext}', format: 'wav', sampleRate: 8000 },
    onEvent: (e) => events.push(e),
    notifyBot: (e) => toBot.push(e),
  });
  return { rec, leg, session, events, toBot };
}

describe('GroupRecording', () => {
  it('taps the leg while recording and lets go when stopped; the file is announced', async () => {
    const { rec, leg, session, events } = rig();
    expect(rec.control('start', leg)).toBe('recording');
    expect(session.listenerCount('frame')).toBe(1);
    expect(session.tap).toBeTypeOf('function');
    expect(rec.control('pause', leg)).toBe('paused');
    expect(rec.control('stop', leg)).toBe('stopped');
    expect(session.listenerCount('frame')).toBe(0);
    expect(session.tap).toBeUndefined();
    await waitFor(() => events.length > 0, { timeoutMs: 10_000, what: 'recording-ready' });
    expect(events[0]).toMatchObject({ type: 'recording-ready', callId: 'c1', file: join(dir, 'c1.wav') });
  });

  it.each([
    { name: 'not configured', configured: false, action: 'start', leg: true, reason: 'recording-unavailable' },
    { name: 'no leg yet', configured: true, action: 'start', leg: false, reason: 'recording-unavailable' },
    { name: 'pause before start', configured: true, action: 'pause', leg: true, reason: 'recording-state' },
  ] as const)('refuses: $name ($reason)', ({ configured, action, leg, reason }) => {
    const r = rig({ configured });
    expect(() => r.rec.control(action, leg ? r.leg : undefined)).toThrow(expect.objectContaining({ reason }));
    expect(r.session.listenerCount('frame')).toBe(0);
  });

  it('the leg closing finishes the recording', async () => {
    const { rec, leg, session, events } = rig();
    rec.control('start', leg);
    rec.legClosed('leg2'); // another leg (a transfer destination): nothing changes
    expect(session.listenerCount('frame')).toBe(1);
    rec.legClosed('leg1');
    expect(session.listenerCount('frame')).toBe(0);
    await waitFor(() => events.length > 0, { timeoutMs: 10_000, what: 'recording-ready' });
  });

  it('a file that cannot be written: the bot gets recording-failed, the taps are removed', async () => {
    const blocked = join(dir, 'not-a-dir');
    rmSync(blocked, { force: true });
    await import('node:fs/promises').then((fs) => fs.writeFile(blocked, 'x'));
    const { rec, leg, session, events, toBot } = rig({ dir: join(blocked, 'sub') });
    rec.control('start', leg);
    await waitFor(() => events.length > 0, { timeoutMs: 10_000, what: 'recording-failed' });
    expect(events[0]).toMatchObject({ type: 'recording-failed', callId: 'c1', failure: 'io-error' });
    expect(toBot).toEqual([{ type: 'error', code: 'recording-failed', message: 'the recording stopped: io-error (the call goes on)' }]);
    expect(session.listenerCount('frame')).toBe(0);
    expect(session.tap).toBeUndefined();
  });
});
