import { describe, expect, it } from 'vitest';
import { MAX_TWIML_CHARS, parseDialTwiml } from '../../../src/api/twiml.js';

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
