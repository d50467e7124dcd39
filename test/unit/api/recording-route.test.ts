// The recording route's Range parsing (RFC 9110 §14.1.2), as a table of headers over a 1000-byte file.
import { describe, expect, it } from 'vitest';
import { parseRange } from '../../../src/api/recording-route.js';

describe('parseRange', () => {
  it.each([
    { header: undefined, want: undefined },
    { header: 'bytes=0-99', want: { start: 0, end: 99 } },
    { header: 'bytes=500-', want: { start: 500, end: 999 } },
    { header: 'bytes=900-5000', want: { start: 900, end: 999 } },
    { header: 'bytes=-100', want: { start: 900, end: 999 } },
    { header: 'bytes=-5000', want: { start: 0, end: 999 } },
    { header: 'bytes=999-999', want: { start: 999, end: 999 } },
    { header: 'bytes=1000-', want: 'unsatisfiable' },
    { header: 'bytes=-0', want: 'unsatisfiable' },
    // Served whole, as the RFC allows for what a server does not support or cannot parse.
    { header: 'bytes=0-1,5-9', want: undefined },
    { header: 'bytes=9-5', want: undefined },
    { header: 'items=0-5', want: undefined },
    { header: 'bytes=-', want: undefined },
  ])('$header', ({ header, want }) => {
    expect(parseRange(header, 1000)).toEqual(want);
  });

  it('an empty file satisfies no suffix range', () => {
    expect(parseRange('bytes=-10', 0)).toBe('unsatisfiable');
    expect(parseRange('bytes=0-', 0)).toBe('unsatisfiable');
  });
});
