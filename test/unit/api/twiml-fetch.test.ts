/**
 * A new call's TwiML from its Url: Twilio's request signature (against Twilio's own published vector), and the
 * request against a TwiML server on loopback: POST form or GET query, the signature the server can check, and
 * every way it can fail (status, size, no answer in time, no server).
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { fetchTwiml, twilioSignature } from '../../../src/api/twiml-fetch.js';

let server: Server | undefined;
afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

interface Seen {
  method: string;
  url: string;
  body: string;
  signature: string | undefined;
}

async function twimlServer(answer: (req: IncomingMessage) => { status: number; body: string } | 'never'): Promise<{ base: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, body, signature: req.headers['x-twilio-signature'] as string | undefined });
      const a = answer(req);
      if (a !== 'never') res.writeHead(a.status, { 'Content-Type': 'application/xml' }).end(a.body);
    });
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
  return { base: `http://127.0.0.1:${(server!.address() as AddressInfo).port}`, seen };
}

const PARAMS = { CallSid: 'CA0123', To: '+15557654321', From: '+15550100', Direction: 'outbound-api' };

describe('twilioSignature', () => {
  it("matches Twilio's published example (token 12345, URL with a query, five POST parameters)", () => {
    const params = { CallSid: 'CA1234567890ABCDE', Caller: '+14158675309', Digits: '1234', From: '+14158675309', To: '+18005551212' };
    expect(twilioSignature('12345', 'https://mycompany.com/myapp.php?foo=1&bar=2', params)).toBe('RSOYDt4T1cUTdK1PDd93/VVr8B8=');
    expect(twilioSignature('12345', 'https://mycompany.com/myapp.php?foo=1&bar=2', { ...params, Digits: '9999' })).not.toBe('RSOYDt4T1cUTdK1PDd93/VVr8B8=');
  });
});

describe('fetchTwiml', () => {
  it('POST: the form carries the call, the signature covers the URL and the sorted form; the answer is returned', async () => {
    const { base, seen } = await twimlServer(() => ({ status: 200, body: '<Response/>' }));
    const r = await fetchTwiml({ url: `${base}/twiml?x=1`, method: 'POST', params: PARAMS, authToken: 'token-0123456789abcdef' });
    expect(r).toEqual({ ok: true, text: '<Response/>' });
    expect(seen[0]).toMatchObject({ method: 'POST', url: '/twiml?x=1' });
    expect(Object.fromEntries(new URLSearchParams(seen[0].body))).toEqual(PARAMS);
    expect(seen[0].signature).toBe(twilioSignature('token-0123456789abcdef', `${base}/twiml?x=1`, PARAMS));
  });

  it('GET: the call in the query, signed as that whole URL', async () => {
    const { base, seen } = await twimlServer(() => ({ status: 200, body: '<Response/>' }));
    expect((await fetchTwiml({ url: `${base}/twiml`, method: 'GET', params: PARAMS, authToken: 't' })).ok).toBe(true);
    expect(seen[0].method).toBe('GET');
    expect(Object.fromEntries(new URL(seen[0].url, base).searchParams)).toEqual(PARAMS);
    expect(seen[0].signature).toBe(twilioSignature('t', `${base}${seen[0].url}`, undefined));
  });

  it.each([
    ['a 500', () => ({ status: 500, body: 'oops' }), /answered 500/],
    ['an answer over 16 KiB', () => ({ status: 200, body: 'x'.repeat(17 * 1024) }), /over 16384 bytes/],
    ['no answer in time', () => 'never' as const, /no answer within 200 ms/],
  ])('%s is a problem, not TwiML', async (_name, answer, problem) => {
    const { base } = await twimlServer(answer);
    const r = await fetchTwiml({ url: `${base}/twiml`, method: 'POST', params: PARAMS, authToken: 't', timeoutMs: 200 });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problem).toMatch(problem);
  });

  it('nothing listening: a problem naming the refusal', async () => {
    const { base } = await twimlServer(() => ({ status: 200, body: '' }));
    await new Promise<void>((r) => server!.close(() => r()));
    server = undefined;
    const r = await fetchTwiml({ url: `${base}/twiml`, method: 'POST', params: PARAMS, authToken: 't' });
    expect(r).toMatchObject({ ok: false, problem: expect.stringMatching(/ECONNREFUSED|fetch failed/) });
  });
});
