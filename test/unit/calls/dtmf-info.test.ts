import { describe, expect, it } from 'vitest';
import { parseInfoDtmf } from '../../../src/calls/dtmf-info.js';

describe('parseInfoDtmf', () => {
  it.each([
    ['application/dtmf-relay', 'Signal=5\r\nDuration=160\r\n', { digit: '5', durationMs: 160 }],
    ['application/dtmf-relay', 'Signal= #\nDuration= 250', { digit: '#', durationMs: 250 }],
    ['Application/DTMF-Relay; charset=utf-8', 'signal=*\r\n', { digit: '*', durationMs: 100 }],
    ['application/dtmf-relay', 'Signal=11\r\nDuration=100\r\n', { digit: '#', durationMs: 100 }],
    ['application/dtmf-relay', 'Signal=a\r\nDuration=x\r\n', { digit: 'A', durationMs: 100 }],
    ['application/dtmf', '7\r\n', { digit: '7', durationMs: 100 }],
    ['application/dtmf-relay', 'Signal=Z\r\n', undefined],
    ['application/dtmf-relay', 'Duration=100\r\n', undefined],
    ['application/dtmf', '', undefined],
    ['application/sdp', 'v=0', undefined],
    ['', 'Signal=1', undefined],
  ])('%s %j', (type, body, expected) => {
    expect(parseInfoDtmf(type, body)).toEqual(expected);
  });
});
