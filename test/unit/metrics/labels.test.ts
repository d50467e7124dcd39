import { describe, expect, it } from 'vitest';
import { BoundedLabel, statusClass } from '../../../src/metrics/labels.js';

describe('BoundedLabel', () => {
  it('keeps the first `limit` names, then collapses new ones to other; known names keep their series', () => {
    const l = new BoundedLabel(2);
    expect(['a', 'b', 'c', 'a', 'b', 'd'].map((n) => l.value(n))).toEqual(['a', 'b', 'other', 'a', 'b', 'other']);
  });

  it.each([
    [undefined, 'none'],
    ['', 'none'],
    ['carrier-a', 'carrier-a'],
    ['bad name', 'other'],
    ['x'.repeat(65), 'other'],
    ['other', 'other'],
    ['none', 'other'],
    ['line\nbreak', 'other'],
  ])('%j -> %s', (name, label) => {
    expect(new BoundedLabel(5).value(name)).toBe(label);
  });

  it('refuses a limit that is not a positive integer', () => {
    expect(() => new BoundedLabel(0)).toThrow(RangeError);
  });
});

describe('statusClass', () => {
  it.each([
    [100, '1xx'],
    [183, '1xx'],
    [200, '2xx'],
    [302, '3xx'],
    [486, '4xx'],
    [503, '5xx'],
    [603, '6xx'],
    [99, 'other'],
    [700, 'other'],
    [NaN, 'other'],
  ])('%s -> %s', (status, cls) => {
    expect(statusClass(status)).toBe(cls);
  });
});
