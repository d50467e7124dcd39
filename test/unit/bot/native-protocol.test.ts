import { describe, expect, it } from 'vitest';
import { BotProtocolError } from '../../../src/core/errors.js';
import { encodeBridgeEvent, parseBotCommand, type BridgeEvent } from '../../../src/bot/protocols/native.js';

describe('parseBotCommand', () => {
  it.each([
    ['{"type":"clear"}', { type: 'clear' }],
    ['{"type":"mark","name":"m1"}', { type: 'mark', name: 'm1' }],
    ['{"type":"hangup"}', { type: 'hangup' }],
    ['{"type":"hangup","reason":"done"}', { type: 'hangup', reason: 'done' }],
    ['{"type":"mark","name":"x","extra":1}', { type: 'mark', name: 'x' }],
    ['{"type":"transfer","to":"support-desk"}', { type: 'transfer', to: 'support-desk' }],
    ['{"type":"transfer","to":"+15557654321","trunk":"carrier-out","method":"bridge","listen":true}', { type: 'transfer', to: '+15557654321', trunk: 'carrier-out', method: 'bridge', listen: true }],
    ['{"type":"dtmf","digits":"123#","durationMs":100}', { type: 'dtmf', digits: '123#', durationMs: 100 }],
    ['{"type":"dtmf","digits":"*0abcd"}', { type: 'dtmf', digits: '*0ABCD', durationMs: 100 }],
  ])('%s', (text, expected) => {
    expect(parseBotCommand(text)).toEqual(expected);
  });

  it.each([
    ['not json', 'invalid JSON'],
    ['', 'invalid JSON'],
    ['[1,2]', 'JSON object'],
    ['null', 'JSON object'],
    ['"clear"', 'JSON object'],
    ['{}', 'no "type"'],
    ['{"type":"dance"}', 'unknown message type'],
    ['{"type":"mark"}', 'string "name"'],
    ['{"type":"mark","name":""}', 'string "name"'],
    ['{"type":"mark","name":7}', 'string "name"'],
    ['{"type":"hangup","reason":false}', 'string "reason"'],
    ['{"type":"transfer"}', 'string "to"'],
    ['{"type":"transfer","to":"x","method":"blind"}', 'method must be'],
    ['{"type":"transfer","to":"x","listen":"yes"}', 'listen must be'],
    [`{"type":"mark","name":"${'a'.repeat(300)}"}`, 'longer than'],
    ['{"type":"dtmf"}', '"digits"'],
    ['{"type":"dtmf","digits":""}', '"digits"'],
    ['{"type":"dtmf","digits":"12e"}', '"digits"'],
    [`{"type":"dtmf","digits":"${'1'.repeat(65)}"}`, '"digits"'],
    ['{"type":"dtmf","digits":"1","durationMs":10}', '"durationMs"'],
    ['{"type":"dtmf","digits":"1","durationMs":"100"}', '"durationMs"'],
    ['{"type":"dtmf","digits":"1","durationMs":99.5}', '"durationMs"'],
  ])('rejects %j', (text, fragment) => {
    expect(() => parseBotCommand(text)).toThrow(BotProtocolError);
    expect(() => parseBotCommand(text)).toThrow(fragment);
  });

  it('gives the error a stable code', () => {
    try {
      parseBotCommand('{');
    } catch (err) {
      expect((err as BotProtocolError).code).toBe('BOT_PROTOCOL');
      return;
    }
    throw new Error('expected a throw');
  });
});

describe('encodeBridgeEvent', () => {
  it.each<[BridgeEvent, string]>([
    [{ type: 'stop', reason: 'caller-hangup' }, '{"type":"stop","reason":"caller-hangup"}'],
    [{ type: 'cleared', playedMs: 120, lastMark: 'm' }, '{"type":"cleared","playedMs":120,"lastMark":"m"}'],
    [{ type: 'cleared', playedMs: 0 }, '{"type":"cleared","playedMs":0}'],
    [{ type: 'mark', name: 'm1' }, '{"type":"mark","name":"m1"}'],
    [{ type: 'error', message: 'bad' }, '{"type":"error","message":"bad"}'],
  ])('%j', (event, json) => {
    expect(encodeBridgeEvent(event)).toBe(json);
  });
});
