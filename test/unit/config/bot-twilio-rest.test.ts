/**
 * `bots.<name>.twilio` (the Twilio REST shim's credentials): what parses, each refusal at its field, the secret
 * redacted, and what reaches the bot (the account SID in `start`, never the token).
 */
import { describe, expect, it } from 'vitest';
import { parseConfig, redactConfig } from '../../../src/config/index.js';
import { botTargetFromConfig } from '../../../src/bot/index.js';
import { twilioDialect } from '../../../src/bot/protocols/twilio.js';
import { START, context } from '../bot/dialect-fixtures.js';
import { issuesOf } from '../../helpers/config-issues.js';

const AC = 'AC0123456789abcdef0123456789abcdef';
const TOKEN = 'secret-token-0123456789';
const OUTBOUND = 'outboundTrunks:\n  - { name: carrier-out, host: 192.0.2.10 }\n';


describe('bots.<name>.twilio', () => {
  it('parses on a twilio bot and keeps the transfer trunk', () => {
    const cfg = parseConfig(`${OUTBOUND}bots:\n  b: { url: "ws://h/", protocol: twilio, twilio: { accountSid: ${AC}, authToken: ${TOKEN}, transferTrunk: carrier-out } }\n`);
    expect(cfg.bots.b).toMatchObject({ protocol: 'twilio', twilio: { accountSid: AC, authToken: TOKEN, transferTrunk: 'carrier-out' } });
  });

  it.each([
    ['on a native bot', `{ url: "ws://h/", twilio: { accountSid: ${AC}, authToken: ${TOKEN} } }`, 'bots.b.twilio', /only for protocol twilio/],
    ['an account SID not shaped like Twilio\'s', `{ url: "ws://h/", protocol: twilio, twilio: { accountSid: AC123, authToken: ${TOKEN} } }`, 'bots.b.twilio.accountSid', /AC" followed by 32 hex/],
    ['a short token', `{ url: "ws://h/", protocol: twilio, twilio: { accountSid: ${AC}, authToken: short } }`, 'bots.b.twilio.authToken', /at least 16/],
    ['an unknown key', `{ url: "ws://h/", protocol: twilio, twilio: { accountSid: ${AC}, authToken: ${TOKEN}, region: au1 } }`, 'bots.b.twilio.region', /unknown key/],
    ['an unknown transfer trunk', `{ url: "ws://h/", protocol: twilio, twilio: { accountSid: ${AC}, authToken: ${TOKEN}, transferTrunk: nope } }`, 'bots.b.twilio.transferTrunk', /unknown outbound trunk "nope"/],
    ['on the echo bot', `{ builtin: echo, twilio: { accountSid: ${AC}, authToken: ${TOKEN} } }`, 'bots.b.twilio', /not allowed for a builtin bot/],
  ])('refuses %s at its field', (_name, entry, path, message) => {
    const issue = issuesOf(`${OUTBOUND}bots:\n  b: ${entry}\n`).find((i) => i.path === path);
    expect(issue, `an issue at ${path}`).toBeDefined();
    expect(issue?.message).toMatch(message);
  });

  it('redacts the token and hands the bot only the account SID, which its start carries', () => {
    const cfg = parseConfig(`bots:\n  b: { url: "ws://h/", protocol: twilio, twilio: { accountSid: ${AC}, authToken: ${TOKEN} } }\n`);
    expect(JSON.stringify(redactConfig(cfg))).not.toContain(TOKEN);
    expect(JSON.stringify(redactConfig(cfg))).toContain(AC);
    const target = botTargetFromConfig('b', cfg.bots.b);
    expect(target.accountSid).toBe(AC);
    expect(JSON.stringify(target)).not.toContain(TOKEN);
    const [, start] = twilioDialect.open(context({ accountSid: target.accountSid })).handshake(START);
    expect(JSON.parse(start as string).start.accountSid).toBe(AC);
  });
});
