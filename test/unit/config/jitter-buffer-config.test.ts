import { describe, expect, it } from 'vitest';
import { parseConfig, resolveJitterBuffer } from '../../../src/config/index.js';
import { issuesOf } from '../../helpers/config-issues.js';

/** A config with one trunk whose extra keys are `keys` (YAML flow mapping entries). */
function trunkWith(keys: string): string {
  return `bots: { echo: { builtin: echo } }\ninboundTrunks:\n  - { name: t, allow: [127.0.0.1], bot: echo${keys ? `, ${keys}` : ''} }\n`;
}


describe('trunk jitter buffer keys', () => {
  it.each([
    ['nothing: adaptive 0..200 ms', '', { mode: 'adaptive', minMs: 0, maxMs: 200 }],
    ['jitterBuffer: adaptive', 'jitterBuffer: adaptive', { mode: 'adaptive', minMs: 0, maxMs: 200 }],
    ['adaptive with bounds', 'jitterBufferMinMs: 10, jitterBufferMaxMs: 120', { mode: 'adaptive', minMs: 10, maxMs: 120 }],
    ['jitterBufferMs alone is fixed (the old setting keeps its meaning)', 'jitterBufferMs: 40', { mode: 'fixed', delayMs: 40 }],
    ['jitterBufferMs: 0 is pass-through', 'jitterBufferMs: 0', { mode: 'fixed', delayMs: 0 }],
    ['jitterBuffer: fixed with its delay', 'jitterBuffer: fixed, jitterBufferMs: 60', { mode: 'fixed', delayMs: 60 }],
  ])('%s', (_name, keys, resolved) => {
    const cfg = parseConfig(trunkWith(keys));
    expect(resolveJitterBuffer(cfg.inboundTrunks[0])).toEqual(resolved);
  });

  it.each([
    ['a fixed delay with jitterBuffer: adaptive', 'jitterBuffer: adaptive, jitterBufferMs: 40', 'inboundTrunks[0].jitterBufferMs', 'is a fixed delay'],
    ['jitterBuffer: fixed without its delay', 'jitterBuffer: fixed', 'inboundTrunks[0].jitterBufferMs', 'required with jitterBuffer: fixed'],
    ['adaptive bounds on a fixed buffer', 'jitterBufferMs: 40, jitterBufferMaxMs: 100', 'inboundTrunks[0].jitterBufferMaxMs', 'only for the adaptive jitter buffer'],
    ['min above max', 'jitterBufferMinMs: 150, jitterBufferMaxMs: 100', 'inboundTrunks[0].jitterBufferMinMs', 'must not exceed jitterBufferMaxMs (100)'],
    ['min above the default max', 'jitterBufferMinMs: 300', 'inboundTrunks[0].jitterBufferMinMs', 'must not exceed jitterBufferMaxMs (200)'],
    ['max beyond 1000 ms', 'jitterBufferMaxMs: 5000', 'inboundTrunks[0].jitterBufferMaxMs', ''],
  ])('rejects %s, naming the field', (_name, keys, path, message) => {
    const issues = issuesOf(trunkWith(keys));
    expect(issues.map((i) => i.path)).toEqual([path]);
    expect(issues[0].message).toContain(message);
  });
});
