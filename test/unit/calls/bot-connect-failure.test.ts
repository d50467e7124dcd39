import { describe, expect, it } from 'vitest';
import { botConnectFailureReason } from '../../../src/calls/bot-connect-failure.js';
import { BotConnectError } from '../../../src/core/errors.js';

describe('botConnectFailureReason', () => {
  it.each([
    ['bot "a" at ws://h/: no WebSocket upgrade within 3000 ms', 'timeout'],
    ['bot "a" at ws://h/: connect ECONNREFUSED 127.0.0.1:9', 'refused'],
    ['bot "a" at ws://h/: read ECONNRESET', 'refused'],
    ['bot "a" at ws://h/: upgrade rejected with HTTP 403', 'upgrade-rejected'],
    ['bot "a" at ws://h/: getaddrinfo ENOTFOUND bots.invalid', 'dns'],
    ['bot "a" at ws://h/: connection attempt aborted', 'aborted'],
    ['bot "a" has neither url nor builtin', 'other'],
  ])('%s -> %s', (message, reason) => {
    expect(botConnectFailureReason(new BotConnectError(message))).toBe(reason);
  });

  it('a non-Error is read as text', () => {
    expect(botConnectFailureReason('ETIMEDOUT')).toBe('timeout');
  });
});
