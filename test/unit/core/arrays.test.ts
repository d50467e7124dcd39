import { describe, expect, it } from 'vitest';
import { emptyKeepingCapacity } from '../../../src/core/arrays.js';

describe('emptyKeepingCapacity', () => {
  it.each([[[]], [[1]], [[1, 2, 3]], [Array.from({ length: 100 }, (_, i) => i)]])('empties the same array (%#)', (a: number[]) => {
    const same = a;
    emptyKeepingCapacity(a);
    expect(a).toBe(same);
    expect(a).toEqual([]);
    a.push(7);
    expect(a).toEqual([7]);
  });
});
