/**
 * The bot-connection keys: `bots.<name>` reconnect/keepalive/buffer/secret keys, and `fallback` on trunks and
 * numbers. What parses, what each call's fallback is, which prompt files the app checks, and every refusal named
 * at its field.
 */
import { describe, expect, it } from 'vitest';
import { fallbackFor, outboundFallbackFor, parseConfig, promptFiles, redactConfig } from '../../../src/config/index.js';
import { issuesOf } from '../../helpers/config-issues.js';


const TRUNK = (extra: string, numbers = ''): string => `
bots:
  b: { url: "ws://h/" }
outboundTrunks:
  - { name: carrier-out, host: 127.0.0.1 }
transferDestinations:
  support-desk: { number: "+15557654321", trunk: carrier-out }
inboundTrunks:
  - name: carrier-a
    allow: [127.0.0.1]
    bot: b
${extra}${numbers ? `    numbers:\n${numbers}` : ''}`;

describe('bot link keys', () => {
  it('absent keys stay absent (bot/ applies the defaults); given keys are kept', () => {
    const cfg = parseConfig(`
bots:
  plain: { url: "ws://h/" }
  tuned: { url: "ws://h/", reconnectMs: 0, holdFile: /srv/hold.wav, pingIntervalMs: 0, pingTimeoutMs: 800, sendBufferBytes: 16384, maxPlayoutSec: 10, secret: "0123456789abcdef" }
`);
    expect(cfg.bots.plain).toEqual({ url: 'ws://h/', sampleRate: 16000, headers: {}, connectTimeoutMs: 3000 });
    expect(cfg.bots.tuned).toMatchObject({ reconnectMs: 0, holdFile: '/srv/hold.wav', pingIntervalMs: 0, pingTimeoutMs: 800, sendBufferBytes: 16384, maxPlayoutSec: 10, secret: '0123456789abcdef' });
  });

  it.each([
    ['reconnectMs', '{ url: "ws://h/", reconnectMs: -1 }', 'bots.b.reconnectMs'],
    ['pingIntervalMs below 100', '{ url: "ws://h/", pingIntervalMs: 50 }', 'bots.b.pingIntervalMs'],
    ['pingTimeoutMs', '{ url: "ws://h/", pingTimeoutMs: 10 }', 'bots.b.pingTimeoutMs'],
    ['sendBufferBytes', '{ url: "ws://h/", sendBufferBytes: 100 }', 'bots.b.sendBufferBytes'],
    ['maxPlayoutSec', '{ url: "ws://h/", maxPlayoutSec: 0 }', 'bots.b.maxPlayoutSec'],
    ['a short secret', '{ url: "ws://h/", secret: "short" }', 'bots.b.secret'],
    ['a link key on the echo bot', '{ builtin: echo, reconnectMs: 100 }', 'bots.b.reconnectMs'],
  ])('%s is refused at its field', (_what, entry, path) => {
    const issues = issuesOf(`bots:\n  b: ${entry}\n`);
    expect(issues.map((i) => i.path)).toEqual([path]);
  });

  it('the secret never reaches a log: redacted with the other secrets', () => {
    const cfg = parseConfig('bots:\n  b: { url: "ws://h/", secret: "0123456789abcdef-s3cret" }\n');
    expect(JSON.stringify(redactConfig(cfg))).not.toContain('s3cret');
  });
});

describe('fallback', () => {
  it('parses reject (also as a string), play and transfer, on trunks and numbers; a number overrides its trunk', () => {
    const cfg = parseConfig(TRUNK('    fallback: { action: play, file: /srv/sorry.wav }\n', [
      '      "+15550100": { bot: b, fallback: { action: transfer, to: support-desk, method: refer } }',
      '      "+15550101": { bot: b, fallback: reject }',
      '      "+15550102": { bot: b, fallback: { action: transfer, to: "+15557654321", trunk: carrier-out } }',
      '      "+15550103": { bot: b }',
      '',
    ].join('\n')));
    expect(fallbackFor(cfg, 'carrier-a', '+15550100')).toEqual({ action: 'transfer', to: 'support-desk', method: 'refer' });
    expect(fallbackFor(cfg, 'carrier-a', '+15550101')).toEqual({ action: 'reject' });
    expect(fallbackFor(cfg, 'carrier-a', '+15550102')).toEqual({ action: 'transfer', to: '+15557654321', trunk: 'carrier-out' });
    expect(fallbackFor(cfg, 'carrier-a', '+15550103')).toEqual({ action: 'play', file: '/srv/sorry.wav' });
    expect(fallbackFor(cfg, 'carrier-a', '+19999')).toEqual({ action: 'play', file: '/srv/sorry.wav' });
    expect(fallbackFor(cfg, 'registration-x', '+15550100')).toBeUndefined();
  });

  it('lists every prompt file with the field that names it', () => {
    const cfg = parseConfig(TRUNK('    fallback: { action: play, file: /srv/sorry.wav }\n', '      "+15550100": { bot: b, fallback: { action: play, file: /srv/other.wav } }\n')
      .replace('b: { url: "ws://h/" }', 'b: { url: "ws://h/", holdFile: /srv/hold.wav }'));
    expect(promptFiles(cfg)).toEqual([
      { path: 'bots.b.holdFile', file: '/srv/hold.wav' },
      { path: 'inboundTrunks[0].fallback.file', file: '/srv/sorry.wav' },
      { path: 'inboundTrunks[0].numbers["+15550100"].fallback.file', file: '/srv/other.wav' },
    ]);
  });

  it.each([
    ['an unknown action', '    fallback: { action: voicemail }\n', 'inboundTrunks[0].fallback.action', /one of: reject, play, transfer/],
    ['play without a file', '    fallback: { action: play }\n', 'inboundTrunks[0].fallback.file', /required for action play/],
    ['transfer without a destination', '    fallback: { action: transfer }\n', 'inboundTrunks[0].fallback.to', /required for action transfer/],
    ['a file on reject', '    fallback: { action: reject, file: /x.wav }\n', 'inboundTrunks[0].fallback.file', /not allowed for action reject/],
    ['an unknown destination name', '    fallback: { action: transfer, to: no-such-desk }\n', 'inboundTrunks[0].fallback.to', /unknown transfer destination "no-such-desk"/],
    ['an unknown trunk', '    fallback: { action: transfer, to: "+15557654321", trunk: nope }\n', 'inboundTrunks[0].fallback.trunk', /unknown outbound trunk "nope"/],
    ['an unknown key', '    fallback: { action: reject, after: 3 }\n', 'inboundTrunks[0].fallback.after', /./],
  ])('%s is refused at its field', (_what, extra, path, message) => {
    const issues = issuesOf(TRUNK(extra));
    expect(issues.map((i) => i.path)).toEqual([path]);
    expect(issues[0].message).toMatch(message);
  });

  it('a number-level fallback is checked at its own path', () => {
    const issues = issuesOf(TRUNK('', '      "+15550100": { bot: b, fallback: { action: transfer, to: nowhere } }\n'));
    expect(issues).toEqual([{ path: 'inboundTrunks[0].numbers["+15550100"].fallback.to', message: 'unknown transfer destination "nowhere"' }]);
  });

  it('an outbound trunk\'s fallback: for calls placed through it; checked at its own path; its prompt listed', () => {
    const text = TRUNK('').replace('  - { name: carrier-out, host: 127.0.0.1 }', '  - { name: carrier-out, host: 127.0.0.1, fallback: { action: play, file: /srv/out.wav } }\n  - { name: plain-out, host: 127.0.0.1 }');
    const cfg = parseConfig(text);
    expect(outboundFallbackFor(cfg, 'carrier-out')).toEqual({ action: 'play', file: '/srv/out.wav' });
    expect(outboundFallbackFor(cfg, 'plain-out')).toBeUndefined();
    expect(promptFiles(cfg)).toEqual([{ path: 'outboundTrunks[0].fallback.file', file: '/srv/out.wav' }]);
    const issues = issuesOf(TRUNK('').replace('  - { name: carrier-out, host: 127.0.0.1 }', '  - { name: carrier-out, host: 127.0.0.1, fallback: { action: transfer, to: nowhere } }'));
    expect(issues).toEqual([{ path: 'outboundTrunks[0].fallback.to', message: expect.stringMatching(/must name a transferDestinations entry .*"nowhere"/) }]);
    const byNumber = issuesOf(TRUNK('').replace('  - { name: carrier-out, host: 127.0.0.1 }', '  - { name: carrier-out, host: 127.0.0.1, fallback: { action: transfer, to: "+15557654321", trunk: carrier-out } }'));
    expect(byNumber.map((i) => i.path)).toEqual(['outboundTrunks[0].fallback.to']);
    const named = parseConfig(TRUNK('').replace('  - { name: carrier-out, host: 127.0.0.1 }', '  - { name: carrier-out, host: 127.0.0.1, fallback: { action: transfer, to: support-desk } }'));
    expect(outboundFallbackFor(named, 'carrier-out')).toEqual({ action: 'transfer', to: 'support-desk' });
  });

  it('a pstn trunk has no bot, so no fallback', () => {
    const issues = issuesOf(`
outboundTrunks:
  - { name: carrier-out, host: 127.0.0.1 }
inboundTrunks:
  - name: p
    allow: [127.0.0.1]
    mode: pstn
    forwardTo: { trunk: carrier-out, number: "+15557654321" }
    fallback: reject
`);
    expect(issues.map((i) => i.path)).toEqual(['inboundTrunks[0].fallback']);
  });
});
