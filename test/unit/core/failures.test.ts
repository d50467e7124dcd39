import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  BotConnectError,
  CallRejectedError,
  classifyFailure,
  CodecNegotiationError,
  PortPoolExhaustedError,
  SdpError,
  sipStatusOf,
  TransactionTimeoutError,
} from '../../../src/core/errors.js';
import { END_REASONS, failureSpec, isFailureReason, OWN_FAILURES, REMOTE_STATUS_REASONS, remoteStatusReason, wsCloseCodeOf } from '../../../src/core/failures.js';
import { renderReasonTables, withSection } from './failure-doc.js';

describe('classifyFailure', () => {
  const cases: Array<[string, unknown, { reason: string; sipStatus: number; httpStatus: number; level: string; retryAfter?: string }]> = [
    ['routing refusal', new CallRejectedError('source-not-allowed', 'no trunk'), { reason: 'source-not-allowed', sipStatus: 403, httpStatus: 403, level: 'info' }],
    ['busy trunk', new CallRejectedError('trunk-busy'), { reason: 'trunk-busy', sipStatus: 486, httpStatus: 429, level: 'info' }],
    ['bot down', new BotConnectError('refused'), { reason: 'bot-unavailable', sipStatus: 503, httpStatus: 503, level: 'warn', retryAfter: '5' }],
    ['no port', new PortPoolExhaustedError(), { reason: 'no-media-port', sipStatus: 503, httpStatus: 503, level: 'warn', retryAfter: '5' }],
    ['draining', new CallRejectedError('shutting-down'), { reason: 'shutting-down', sipStatus: 503, httpStatus: 503, level: 'info', retryAfter: '30' }],
    ['codec', new CodecNegotiationError('none'), { reason: 'no-common-codec', sipStatus: 488, httpStatus: 502, level: 'info' }],
    ['sdp', new SdpError('bad'), { reason: 'sdp-unusable', sipStatus: 488, httpStatus: 502, level: 'info' }],
    ['timeout', new TransactionTimeoutError('Timer B'), { reason: 'sip-timeout', sipStatus: 408, httpStatus: 504, level: 'info' }],
    ['far end busy', new CallRejectedError('busy-here', 'INVITE answered 486', { sipStatus: 486 }), { reason: 'busy-here', sipStatus: 486, httpStatus: 502, level: 'info' }],
    ['far end odd status', new CallRejectedError('remote-rejected', 'x', { sipStatus: 499 }), { reason: 'remote-rejected', sipStatus: 499, httpStatus: 502, level: 'info' }],
    ['a bug', new TypeError('undefined is not a function'), { reason: 'internal', sipStatus: 500, httpStatus: 500, level: 'error' }],
    ['a thrown string', 'oops', { reason: 'internal', sipStatus: 500, httpStatus: 500, level: 'error' }],
  ];
  it.each(cases)('%s', (_name, err, want) => {
    const f = classifyFailure(err);
    expect({ reason: f.reason, sipStatus: f.sipStatus, httpStatus: f.httpStatus, level: f.level }).toEqual({
      reason: want.reason,
      sipStatus: want.sipStatus,
      httpStatus: want.httpStatus,
      level: want.level,
    });
    expect(f.sipHeaders['Retry-After']).toBe(want.retryAfter);
    expect(sipStatusOf(err)).toBe(want.sipStatus);
  });

  it('keeps the headers a rejection carries, and a Retry-After it chose itself', () => {
    const challenge = new CallRejectedError('auth-challenge', 'challenge', { headers: { 'WWW-Authenticate': ['Digest a', 'Digest b'] } });
    expect(classifyFailure(challenge).sipHeaders).toEqual({ 'WWW-Authenticate': ['Digest a', 'Digest b'] });
    const own = new CallRejectedError('shutting-down', 'x', { headers: { 'Retry-After': '120' } });
    expect(classifyFailure(own).sipHeaders['Retry-After']).toBe('120');
  });

  it('logs a bug with its stack, an expected refusal by its message only', () => {
    const bug = new Error('boom');
    expect(classifyFailure(bug).logErr).toBe(bug);
    expect(classifyFailure(new CallRejectedError('trunk-busy', 'trunk t at 3')).logErr).toBe('trunk t at 3');
  });
});

describe('the catalogue', () => {
  it('maps every SIP status of the remote table back to itself, and unknown ones to remote-rejected', () => {
    for (const [status, slug] of Object.entries(REMOTE_STATUS_REASONS)) {
      expect(remoteStatusReason(Number(status))).toBe(slug);
      expect(failureSpec(slug).sip).toBe(Number(status));
      expect(isFailureReason(slug)).toBe(true);
    }
    expect(remoteStatusReason(499)).toBe('remote-rejected');
    expect(isFailureReason('Busy Here')).toBe(false);
  });

  it('has kebab-case reasons, real statuses, and Retry-After only on 503s', () => {
    for (const [reason, s] of Object.entries(OWN_FAILURES)) {
      expect(reason).toMatch(/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/);
      expect(s.sip).toBeGreaterThanOrEqual(300);
      expect(s.sip).toBeLessThan(700);
      expect(s.http).toBeGreaterThanOrEqual(400);
      expect(s.http).toBeLessThan(600);
      if ('retryAfterSec' in s) expect(s.sip).toBe(503);
    }
  });

  it('closes the bot socket 1001 (going away, RFC 6455) on shutdown, 1000 otherwise', () => {
    expect(wsCloseCodeOf('shutdown')).toBe(1001);
    expect(wsCloseCodeOf('error')).toBe(1000);
    expect(wsCloseCodeOf('caller-hangup')).toBe(1000);
    expect(wsCloseCodeOf('something-else')).toBe(1000);
    expect(Object.keys(END_REASONS)).toContain('not-answered');
  });

  it('is documented in the README exactly as catalogued', () => {
    const path = new URL('../../../README.md', import.meta.url);
    const readme = readFileSync(path, 'utf8');
    const expected = withSection(readme, renderReasonTables());
    if (process.env.UPDATE_README === '1' && expected !== readme) writeFileSync(path, expected);
    expect(readme).toBe(expected);
  });
});
