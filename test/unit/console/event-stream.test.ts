import { describe, expect, it } from 'vitest';
import { eventStreamParser } from '../../../console/src/event-stream.js';
import { sseEvent } from '../../../src/api/events/sse.js';

describe('the console reads server-sent events from a fetch body', () => {
  it.each<[string, string[], Array<{ event: string; data: string }>]>([
    ['one event in one chunk', ['event: step\ndata: {"line":"a"}\n\n'], [{ event: 'step', data: '{"line":"a"}' }]],
    ['an event split across chunks', ['event: st', 'ep\ndata: {"li', 'ne":"a"}\n', '\n'], [{ event: 'step', data: '{"line":"a"}' }]],
    ['two events in one chunk', ['data: 1\n\nevent: result\ndata: 2\n\n'], [{ event: 'message', data: '1' }, { event: 'result', data: '2' }]],
    ['CRLF line ends and a comment', [': keep-alive\r\n\r\nevent: step\r\ndata: x\r\n\r\n'], [{ event: 'step', data: 'x' }]],
    ['several data lines joined by a newline', ['data: a\ndata: b\n\n'], [{ event: 'message', data: 'a\nb' }]],
    ['an unfinished event waits', ['event: step\ndata: x\n'], []],
  ])('%s', (_name, chunks, expected) => {
    const feed = eventStreamParser();
    expect(chunks.flatMap((c) => feed(c))).toEqual(expected);
  });

  it('reads what the bridge writes (POST /v1/test-calls), newlines inside a step included', () => {
    const feed = eventStreamParser();
    const text = sseEvent('step', { line: 'two\nlines' }) + sseEvent('result', { result: 'pass', exitCode: 0 });
    const got = [...text].flatMap((ch) => feed(ch)).map((e) => ({ event: e.event, data: JSON.parse(e.data) }));
    expect(got).toEqual([{ event: 'step', data: { line: 'two\nlines' } }, { event: 'result', data: { result: 'pass', exitCode: 0 } }]);
  });
});
