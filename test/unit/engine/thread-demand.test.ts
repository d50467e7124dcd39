import { describe, expect, it } from 'vitest';
import { ThreadDemand, parseSchedstat } from '../../../src/engine/worker/thread-demand.js';

describe('parseSchedstat', () => {
  it.each([
    ['226891984 1791881 10\n', { runNs: 226891984, waitNs: 1791881 }],
    ['0 0 0', { runNs: 0, waitNs: 0 }],
    ['', undefined],
    ['garbage here', undefined],
    ['-5 3 1', undefined],
  ])('%j', (text, expected) => {
    expect(parseSchedstat(text)).toEqual(expected);
  });
});

describe('ThreadDemand', () => {
  it('run time plus run-queue wait over wall time, between samples', () => {
    const files = ['0 0 0', '600000000 300000000 50', '700000000 300000000 60'];
    const demand = new ThreadDemand(() => files.shift());
    expect(demand.sample(0)).toBeUndefined(); // nothing to compare with yet
    expect(demand.sample(1000)).toBeCloseTo(0.9); // ran 0.6 s and waited 0.3 s for a core in 1 s: saturated
    expect(demand.sample(2000)).toBeCloseTo(0.1); // then mostly idle
  });

  it('no figure without the file, and none right after it comes back', () => {
    const files: Array<string | undefined> = ['10 0 1', undefined, '20 0 2', '1000000020 0 3'];
    const demand = new ThreadDemand(() => files.shift());
    demand.sample(0);
    expect(demand.sample(1000)).toBeUndefined();
    expect(demand.sample(2000)).toBeUndefined();
    expect(demand.sample(3000)).toBeCloseTo(1);
  });
});
