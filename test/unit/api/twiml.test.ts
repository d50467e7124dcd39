import { describe, expect, it } from 'vitest';
import { MAX_TWIML_CHARS, parseDialTwiml, parseStreamTwiml } from '../../../src/api/twiml.js';

describe('parseDialTwiml', () => {
  it.each([
    ['the bare shape', '<Response><Dial>+15557654321</Dial></Response>', '+15557654321'],
    ['with the declaration the helper libraries write', '<?xml version="1.0" encoding="UTF-8"?><Response><Dial>+15557654321</Dial></Response>', '+15557654321'],
    ['indented, number padded', '<?xml version="1.0"?>\n<Response>\n  <Dial>\n    15557654321\n  </Dial>\n</Response>\n', '15557654321'],
  ])('accepts %s', (_name, text, number) => {
    expect(parseDialTwiml(text)).toEqual({ ok: true, dial: number });
  });

  it.each([
    ['empty', ''],
    ['not XML', 'hang up please'],
    ['another verb', '<Response><Hangup/></Response>'],
    ['a Say before the Dial', '<Response><Say>bye</Say><Dial>+15557654321</Dial></Response>'],
    ['a Dial with attributes', '<Response><Dial callerId="+1555">+15557654321</Dial></Response>'],
    ['a Number noun', '<Response><Dial><Number>+15557654321</Number></Dial></Response>'],
    ['a Sip noun', '<Response><Dial><Sip>sip:a@b</Sip></Dial></Response>'],
    ['an empty Dial', '<Response><Dial></Dial></Response>'],
    ['letters in the number', '<Response><Dial>+1555CALLNOW</Dial></Response>'],
    ['an entity', '<Response><Dial>&xxe;</Dial></Response>'],
    ['a DOCTYPE', '<!DOCTYPE r [<!ENTITY x "1">]><Response><Dial>+15557654321</Dial></Response>'],
    ['an odd declaration', '<?xml version="1.1"?><Response><Dial>+15557654321</Dial></Response>'],
    ['trailing content', '<Response><Dial>+15557654321</Dial></Response><Response/>'],
    ['unclosed', '<Response><Dial>+15557654321</Dial>'],
    ['lower-case tags', '<response><dial>+15557654321</dial></response>'],
    ['a stray <', '<Response><Dial>+1555<7654321</Dial></Response>'],
  ])('refuses %s', (_name, text) => {
    const r = parseDialTwiml(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problem).toMatch(/<Response><Dial>NUMBER<\/Dial><\/Response>|declaration/);
  });

  it('refuses an oversized document before looking at it, and stays fast on hostile input', () => {
    expect(parseDialTwiml(`<Response><Dial>+1555</Dial></Response>${' '.repeat(MAX_TWIML_CHARS)}`)).toEqual({ ok: false, problem: `Twiml longer than ${MAX_TWIML_CHARS} characters` });
    const hostile = `<Response><Dial>${' '.repeat(MAX_TWIML_CHARS - 40)}`;
    const t0 = performance.now();
    expect(parseDialTwiml(hostile).ok).toBe(false);
    expect(performance.now() - t0).toBeLessThan(50);
  });
});

describe('parseStreamTwiml (a new call: Calls.json)', () => {
  it.each([
    ['a self-closing Stream', '<Response><Connect><Stream url="wss://bot.example/ws"/></Connect></Response>', 'wss://bot.example/ws', {}],
    [
      'as twilio-python writes it, with parameters',
      '<?xml version="1.0" encoding="UTF-8"?><Response><Connect><Stream url="wss://bot.example/ws?a=1&amp;b=2"><Parameter name="to_number" value="+15557654321" /><Parameter name="lead" value="A &quot;hot&quot; one" /></Stream></Connect></Response>',
      'wss://bot.example/ws?a=1&b=2',
      { to_number: '+15557654321', lead: 'A "hot" one' },
    ],
    [
      "Pipecat's outbound example (a Pause after the Connect)",
      '<?xml version="1.0" encoding="UTF-8"?>\n<Response>\n  <Connect>\n    <Stream url="wss://bot.example/ws">\n      <Parameter name="from" value="+15550100"/>\n      <Parameter name="to" value="+15557654321"/>\n    </Stream>\n  </Connect>\n  <Pause length="20"/>\n</Response>',
      'wss://bot.example/ws',
      { from: '+15550100', to: '+15557654321' },
    ],
    ["single quotes, indented, a name", "<Response>\n  <Connect>\n    <Stream name='s1' url='ws://127.0.0.1:8080/media'></Stream>\n  </Connect>\n</Response>", 'ws://127.0.0.1:8080/media', {}],
  ])('accepts %s', (_name, text, url, parameters) => {
    expect(parseStreamTwiml(text)).toEqual({ ok: true, url, parameters });
  });

  it.each([
    ['a Dial', '<Response><Dial>+15557654321</Dial></Response>', /only <Response><Connect><Stream/],
    ['a Say first', '<Response><Say>hi</Say><Connect><Stream url="wss://b/ws"/></Connect></Response>', /only <Response><Connect><Stream/],
    ['no url', '<Response><Connect><Stream/></Connect></Response>', /ws:\/\/ or wss:\/\//],
    ['an https url', '<Response><Connect><Stream url="https://b/ws"/></Connect></Response>', /ws:\/\/ or wss:\/\//],
    ['a track attribute', '<Response><Connect><Stream url="wss://b/ws" track="both_tracks"/></Connect></Response>', /attribute track is not supported/],
    ['junk in the tag', '<Response><Connect><Stream url="wss://b/ws" x/></Connect></Response>', /only <Response><Connect><Stream/],
    ['a Parameter without value', '<Response><Connect><Stream url="wss://b/ws"><Parameter name="a"/></Stream></Connect></Response>', /only <Parameter/],
    ['text inside Stream', '<Response><Connect><Stream url="wss://b/ws">hello</Stream></Connect></Response>', /only <Parameter/],
    ['unclosed', '<Response><Connect><Stream url="wss://b/ws"></Connect></Response>', /only <Parameter|only <Response/],
    ['a verb other than Pause or Hangup after it', '<Response><Connect><Stream url="wss://b/ws"/></Connect><Say>bye</Say></Response>', /only <Pause\/> or <Hangup\/>/],
    ['an entity outside the five', '<Response><Connect><Stream url="wss://b/&xxe;"/></Connect></Response>', /ws:\/\/ or wss:\/\/|only/],
  ])('refuses %s', (_name, text, problem) => {
    const r = parseStreamTwiml(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problem).toMatch(problem);
  });
});
