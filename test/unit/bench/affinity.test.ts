import { describe, expect, it } from 'vitest';
import { corePlan } from '../../../src/bench/affinity.js';

describe('bench --pin core plan', () => {
  it.each([
    // cores, workers, plan
    [2, 1, { target: [0], generators: [1] }],
    [2, 0, { target: [0], generators: [1] }],
    [4, 2, { target: [0, 1], generators: [2, 3] }],
    [8, 3, { target: [0, 1, 2], generators: [3, 4, 5, 6, 7] }],
  ])('%i cores, %i workers: the target first, the generators on the rest', (cores, workers, plan) => {
    expect(corePlan(cores, workers)).toEqual(plan);
  });

  it.each([
    [2, 2],
    [2, 3],
    [1, 1],
    [4, 4],
  ])('%i cores, %i workers: no core left for the generators, so nothing is pinned', (cores, workers) => {
    expect(corePlan(cores, workers)).toBeUndefined();
  });
});
