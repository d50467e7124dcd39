import { describe, expect, it } from 'vitest';
import { CallRejectedError } from '../../../src/core/errors.js';
import { parseConfig } from '../../../src/config/index.js';
import { InboundRouter, type RouteDecision } from '../../../src/trunks/index.js';

const cfg = parseConfig(`
bots:
  echo: { builtin: echo }
  support: { url: "ws://127.0.0.1:9000/a" }
  sales: { url: "ws://127.0.0.1:9000/b" }
  lab: { url: "ws://127.0.0.1:9000/c" }
inboundTrunks:
  - name: carrier-a
    allow: ["198.51.100.0/24", "2001:db8::/32"]
    numbers:
      "+15550100": { bot: support }
      "15550200": { bot: sales }
      "15550300": { bot: sales }
      "+15550300": { bot: support }
  - name: local
    allow: ["127.0.0.0/8", "::1"]
    bot: echo
    numbers:
      "1000": { bot: lab }
  - name: overlap
    allow: ["198.51.100.7"]
    bot: lab
`);
const router = new InboundRouter(cfg.inboundTrunks);

describe('InboundRouter.route', () => {
  const cases: Array<[string, { src: string; ruri: string; to?: string }, RouteDecision]> = [
    ['exact number', { src: '198.51.100.5', ruri: '+15550100' }, { trunk: 'carrier-a', bot: 'support', number: '+15550100' }],
    ['number without + matches +entry', { src: '198.51.100.5', ruri: '15550100' }, { trunk: 'carrier-a', bot: 'support', number: '+15550100' }],
    ['number with + matches bare entry', { src: '198.51.100.5', ruri: '+15550200' }, { trunk: 'carrier-a', bot: 'sales', number: '15550200' }],
    ['exact beats lenient (bare)', { src: '198.51.100.5', ruri: '15550300' }, { trunk: 'carrier-a', bot: 'sales', number: '15550300' }],
    ['exact beats lenient (+)', { src: '198.51.100.5', ruri: '+15550300' }, { trunk: 'carrier-a', bot: 'support', number: '+15550300' }],
    ['IPv6 CIDR source', { src: '2001:db8:1::9', ruri: '+15550100' }, { trunk: 'carrier-a', bot: 'support', number: '+15550100' }],
    ['falls back to To user when R-URI has none', { src: '198.51.100.5', ruri: '', to: '+15550100' }, { trunk: 'carrier-a', bot: 'support', number: '+15550100' }],
    ['R-URI wins over To', { src: '198.51.100.5', ruri: '15550200', to: '+15550100' }, { trunk: 'carrier-a', bot: 'sales', number: '15550200' }],
    ['trunk bot for unlisted number', { src: '127.0.0.1', ruri: '999' }, { trunk: 'local', bot: 'echo', number: '999' }],
    ['listed number on trunk with bot', { src: '127.0.0.2', ruri: '1000' }, { trunk: 'local', bot: 'lab', number: '1000' }],
    ['IPv4-mapped IPv6 matches IPv4 rule', { src: '::ffff:127.0.0.1', ruri: '5' }, { trunk: 'local', bot: 'echo', number: '5' }],
    ['bracketed IPv6', { src: '[::1]', ruri: '5' }, { trunk: 'local', bot: 'echo', number: '5' }],
    ['overlapping trunks: number found on first', { src: '198.51.100.7', ruri: '+15550100' }, { trunk: 'carrier-a', bot: 'support', number: '+15550100' }],
    ['overlapping trunks: trunk bot of the other', { src: '198.51.100.7', ruri: '777' }, { trunk: 'overlap', bot: 'lab', number: '777' }],
    ['empty dialed number goes to trunk bot', { src: '127.0.0.1', ruri: '', to: '' }, { trunk: 'local', bot: 'echo', number: '' }],
  ];
  it.each(cases)('%s', (_name, req, expected) => {
    expect(router.route({ sourceAddress: req.src, requestUser: req.ruri, toUser: req.to ?? '' })).toEqual(expected);
  });

  const rejects: Array<[string, string, string, number, string]> = [
    ['unknown IPv4 source', '203.0.113.9', '+15550100', 403, 'source-not-allowed'],
    ['unknown IPv6 source', '2001:db9::1', '+15550100', 403, 'source-not-allowed'],
    ['garbage source', 'not-an-ip', '+15550100', 403, 'source-not-allowed'],
    ['number not on trunk without bot', '198.51.100.5', '+19990000', 404, 'number-not-routed'],
    ['number of another trunk', '198.51.100.5', '1000', 404, 'number-not-routed'],
  ];
  it.each(rejects)('rejects %s', (_name, src, ruri, status, reason) => {
    let caught: unknown;
    try {
      router.route({ sourceAddress: src, requestUser: ruri, toUser: '' });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(CallRejectedError);
    expect((caught as CallRejectedError).sipStatus).toBe(status);
    expect((caught as CallRejectedError).reason).toBe(reason);
  });
});

describe('InboundRouter.trunksForSource', () => {
  it.each([
    ['198.51.100.7', ['carrier-a', 'overlap']],
    ['198.51.100.8', ['carrier-a']],
    ['::1', ['local']],
    ['::ffff:127.9.9.9', ['local']],
    ['10.0.0.1', []],
    ['', []],
  ])('%s -> %j', (addr, expected) => {
    expect(router.trunksForSource(addr)).toEqual(expected);
  });
});
