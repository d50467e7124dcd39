import { describe, expect, it } from 'vitest';
import { formatNumber, toE164 } from '../../../src/trunks/number-format.js';

describe('toE164', () => {
  it.each([
    ['+12025550123', undefined, '+12025550123'],
    ['+1 (202) 555-0123', undefined, '+12025550123'],
    ['0012025550123', undefined, '+12025550123'],
    ['12025550123', undefined, '+12025550123'],
    ['2025550123', 'US', '+12025550123'],
    ['011 44 20 7946 0000', 'US', '+442079460000'],
    ['020 7946 0000', 'GB', '+442079460000'],
    ['0741926265', 'RO', '+40741926265'],
    ['0040741926265', 'RO', '+40741926265'],
    ['06 1234 5678', 'IT', '+390612345678'],
    ['612345678', 'ES', '+34612345678'],
    ['34612345678', 'ES', '+34612345678'],
    // From the former inbound e164.ts table (same results now that both directions share this function).
    ['09876543210', 'IN', '+919876543210'],
    ['442079460018', 'GB', '+442079460018'],
    ['0012025550123', 'US', '+12025550123'],
  ])('%s (%s) → %s', (input, country, expected) => {
    expect(toE164(input, country)).toBe(expected);
  });

  it.each([
    ['abc', undefined],
    ['+1-800-FLOWERS', undefined],
    ['+12', undefined],
    ['+1234567890123456', undefined],
    ['0123456789', undefined],
    ['2025550123', 'XX'],
    ['', undefined],
    // Ambiguous without more digits: a NANP local number, a GB number without its trunk 0, an extension.
    ['555 0100', 'US'],
    ['2079460018', 'GB'],
    ['1000', 'GB'],
    ['1234567', undefined],
  ])('rejects %s (%s) with 484', (input, country) => {
    expect(() => toE164(input, country)).toThrow(expect.objectContaining({ sipStatus: 484, reason: 'invalid-number' }));
  });
});

describe('formatNumber', () => {
  it.each([
    ['+12025550123', 'e164', undefined, '+12025550123'],
    ['+12025550123', 'e164-no-plus', undefined, '12025550123'],
    ['+12025550123', 'national', 'US', '2025550123'],
    ['+40741926265', 'national', 'RO', '0741926265'],
    ['+442079460000', 'national', 'GB', '02079460000'],
    ['+442079460000', 'national', 'US', '011442079460000'],
    ['+390612345678', 'national', 'IT', '0612345678'],
  ] as const)('%s as %s (%s) → %s', (e164, format, country, expected) => {
    expect(formatNumber(e164, format, country)).toBe(expected);
  });

  it('national without a country is refused', () => {
    expect(() => formatNumber('+12025550123', 'national')).toThrow(/known country/);
  });
});
