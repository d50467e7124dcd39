// LOG_FORMAT=pretty: pino JSON lines become one readable line each, call ids first, error stacks below.
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { prettyLine } from '../../../src/core/pretty-log.js';
import { createLogger, defaultLogFormat } from '../../../src/core/logger.js';

describe('prettyLine', () => {
  it.each([
    [
      '{"level":30,"time":"2026-12-05T15:48:32.123Z","service":"trunkbridge","trunk":"carrier-a","callId":"c-1","sipCallId":"abc@h","msg":"call answered"}',
      '15:48:32.123 INFO  call answered  callId=c-1 sipCallId=abc@h trunk=carrier-a\n',
    ],
    [
      '{"level":40,"time":"2026-12-05T00:00:00.000Z","msg":"bot audio refused","maxPlayoutMs":500,"detail":{"a":1},"why":"two words"}',
      '00:00:00.000 WARN  bot audio refused  maxPlayoutMs=500 detail={"a":1} why="two words"\n',
    ],
    ['{"level":50,"time":"2026-12-05T00:00:00.000Z","msg":"boom","err":{"message":"bad","stack":"Error: bad\\n    at f (x.js:1:1)"}}', '00:00:00.000 ERROR boom\n    Error: bad\n        at f (x.js:1:1)\n'],
    ['not json at all', 'not json at all\n'],
  ])('%s', (input, output) => {
    expect(prettyLine(input)).toBe(output);
  });

  it('colours the level only when asked', () => {
    expect(prettyLine('{"level":30,"time":"2026-12-05T00:00:00.000Z","msg":"x"}', true)).toBe('00:00:00.000 \x1b[32mINFO \x1b[0m x\n');
  });
});

describe('log format', () => {
  it('LOG_FORMAT wins, else pretty on a TTY and JSON otherwise', () => {
    expect(defaultLogFormat({ LOG_FORMAT: 'pretty' }, false)).toBe('pretty');
    expect(defaultLogFormat({ LOG_FORMAT: 'json' }, true)).toBe('json');
    expect(defaultLogFormat({}, true)).toBe('pretty');
    expect(defaultLogFormat({}, false)).toBe('json');
  });

  it('a pretty logger still redacts secrets', () => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (c: Buffer) => (text += c.toString()));
    createLogger({ level: 'info', destination: out, format: 'pretty' }).info({ callId: 'c-9', password: 'hunter2' }, 'registering');
    expect(text).toMatch(/^\d\d:\d\d:\d\d\.\d{3} INFO  registering {2}callId=c-9 password=\[redacted\]\n$/);
  });
});
