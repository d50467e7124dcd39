/**
 * The bot a POST /v1/bot-checks body stands for (api/admin/bot-check-target.ts): a URL as given, or a stored
 * bot with its URL, dialect, rate, timeout, headers and secret; 400 naming the field otherwise.
 */
import { describe, expect, it } from 'vitest';
import { botCheckBody, botCheckRequestOf } from '../../../../src/api/admin/bot-check-target.js';
import { botSchema, type BotConfig } from '../../../../src/config/index.js';

const bots: Record<string, BotConfig> = {
  support: botSchema.parse({ url: 'wss://bot.example.com/media?t=1', protocol: 'twilio', headers: { Authorization: 'Bearer tok-123' }, secret: 'sign-secret-0123456789', connectTimeoutMs: 800 }),
  plain: botSchema.parse({ url: 'ws://127.0.0.1:9/bot' }),
  echo: botSchema.parse({ builtin: 'echo' }),
  tx: botSchema.parse({ url: 'wss://tx.example.com/s', protocol: 'telnyx', encoding: 'PCMA', parameters: { tenant: 'acme' } }),
};
const body = botCheckBody(['native', 'twilio']);

describe('botCheckBody', () => {
  it.each([
    [{}, 'url', 'give a url, or the name of a stored bot as "bot"'],
    [{ bot: 'support', url: 'ws://x/y' }, 'url', 'not with "bot": the stored bot\'s url is used'],
    [{ bot: 'support', protocol: 'twilio' }, 'protocol', 'not with "bot": the stored bot\'s protocol is used'],
    [{ bot: 'support', sampleRate: 8000 }, 'sampleRate', 'not with "bot": the stored bot\'s sampleRate is used'],
    [{ url: 'http://x/' }, 'url', 'must be a ws:// or wss:// URL'],
    [{ bot: 'support', headers: { a: 'b' } }, '', 'Unrecognized key: "headers"'],
  ])('%j: 400 at %s', (b, field, message) => {
    const r = body.safeParse(b);
    expect(r.success).toBe(false);
    expect(r.error!.issues.map((i) => ({ field: i.path.join('.'), message: i.message }))).toContainEqual({ field, message });
  });
});

describe('botCheckRequestOf', () => {
  it.each([
    ['a URL with the default protocol', { url: 'ws://127.0.0.1:9/b' }, { url: 'ws://127.0.0.1:9/b', protocol: 'native' }],
    ['a URL with its protocol, rate and listen time', { url: 'ws://h/b', protocol: 'twilio', sampleRate: 8000, listenSec: 3 }, { url: 'ws://h/b', protocol: 'twilio', sampleRate: 8000, listenSec: 3 }],
    ['a stored bot: its URL, dialect, rate, timeout, headers and secret', { bot: 'support', listenSec: 4 }, {
      bot: 'support', url: 'wss://bot.example.com/media?t=1', protocol: 'twilio', sampleRate: 8000, connectTimeoutMs: 800,
      headers: { Authorization: 'Bearer tok-123' }, secret: 'sign-secret-0123456789', listenSec: 4,
    }],
    ['a stored Telnyx bot: its custom parameters and encoding', { bot: 'tx' }, {
      bot: 'tx', url: 'wss://tx.example.com/s', protocol: 'telnyx', sampleRate: 8000, connectTimeoutMs: 3000, parameters: { tenant: 'acme' }, encoding: 'PCMA',
    }],
    ['a stored native bot without headers or secret', { bot: 'plain' }, { bot: 'plain', url: 'ws://127.0.0.1:9/bot', protocol: 'native', sampleRate: 16000, connectTimeoutMs: 3000 }],
  ])('%s', (_what, b, want) => {
    expect(botCheckRequestOf(body.parse(b), bots, 'native')).toEqual(want);
  });

  it.each([
    ['unknown', 'no bot "unknown"'],
    ['echo', '"echo" is a built-in bot (echo): there is no WebSocket to check'],
    ['__proto__', 'no bot "__proto__"'],
  ])('%s: 400 naming bot', (name, message) => {
    let err: any;
    try {
      botCheckRequestOf(body.parse({ bot: name }), bots, 'native');
    } catch (e) {
      err = e;
    }
    expect(err?.reason).toBe('bad-request');
    expect(err.details.issues).toEqual([{ field: 'bot', path: 'bot', message }]);
  });
});
