import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/core/errors.js';
import { parseConfig, redactConfig } from '../../../src/config/index.js';
import { parseRouteString } from '../../../src/config/route-string.js';

function issuesOf(text: string): string[] {
  try {
    parseConfig(text, 'test.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).issues.map((i) => `${i.path}: ${i.message}`);
  }
  throw new Error('expected ConfigError');
}

describe('outboundTrunks', () => {
  it('fills defaults: port 5060 (5061 for tls), udp, e164', () => {
    const cfg = parseConfig(`
outboundTrunks:
  - { name: a, host: sip.carrier.example }
  - { name: b, host: 192.0.2.10, transport: tls, auth: { username: u, password: p }, callerId: "+15550100", proxy: "192.0.2.1" }
  - { name: c, host: sip.carrier.example, numberFormat: national, country: ro, headers: { X-Account: "7" } }
`);
    // No port configured: explicitPort false, so RFC 3263 SRV lookup applies.
    expect(cfg.outboundTrunks[0]).toEqual({ name: 'a', host: 'sip.carrier.example', port: 5060, explicitPort: false, transport: 'udp', numberFormat: 'e164', headers: {} });
    expect(cfg.outboundTrunks[1]).toMatchObject({ port: 5061, transport: 'tls', proxy: { host: '192.0.2.1', port: 5061, explicitPort: false }, auth: { username: 'u', password: 'p' } });
    expect(cfg.outboundTrunks[2]).toMatchObject({ numberFormat: 'national', country: 'RO', headers: { 'X-Account': '7' } });
    expect(JSON.stringify(redactConfig(cfg))).not.toContain('"p"');
  });

  it('accepts the Vida route string form', () => {
    const cfg = parseConfig(`
outboundTrunks:
  - { name: v, route: "sip.vida.example:5070;transport=tcp;proxyAddress=192.0.2.5:5080" }
  - { name: w, route: "192.0.2.7" }
`);
    expect(cfg.outboundTrunks[0]).toMatchObject({ host: 'sip.vida.example', port: 5070, explicitPort: true, transport: 'tcp', proxy: { host: '192.0.2.5', port: 5080, explicitPort: true } });
    expect(cfg.outboundTrunks[1]).toMatchObject({ host: '192.0.2.7', port: 5060, transport: 'udp' });
  });

  it('reports every bad field by path', () => {
    const issues = issuesOf(`
outboundTrunks:
  - { name: a }
  - { name: b, route: "x.example;transport=sctp", port: 5070 }
  - { name: c, host: h.example, numberFormat: national }
  - { name: c, host: h.example, country: XX }
transferDestinations:
  desk: { number: "+15557654321", trunk: nope }
  both: { number: "+15557654321", uri: "sip:a@b.example", trunk: a }
  bad: { uri: "http://x" }
`);
    expect(issues).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^outboundTrunks\[0\]\.host: .*exactly one/),
        expect.stringMatching(/^outboundTrunks\[1\]\.route: transport must be/),
        expect.stringMatching(/^outboundTrunks\[1\]\.port: set it inside "route"/),
        expect.stringMatching(/^outboundTrunks\[2\]\.country: required for numberFormat national/),
        expect.stringMatching(/^outboundTrunks\[3\]\.country: unknown country/),
        expect.stringMatching(/^outboundTrunks\[3\]\.name: duplicate/),
        expect.stringMatching(/^transferDestinations\.desk\.trunk: unknown outbound trunk "nope"/),
        expect.stringMatching(/^transferDestinations\.both: .*exactly one/),
        expect.stringMatching(/^transferDestinations\.bad\.uri: must be a sip/),
      ]),
    );
  });
});

describe('registrations and pstn mode', () => {
  it('defaults port/transport/expires and checks bots, names and forward trunks', () => {
    const cfg = parseConfig(`
bots: { echo: { builtin: echo } }
registrations:
  - { name: pbx, server: 192.0.2.20, username: "1001", password: pw, bot: echo }
inboundTrunks:
  - { name: p, allow: ["192.0.2.1"], mode: pstn, forwardTo: { uri: "sip:desk@192.0.2.30" } }
`);
    expect(cfg.registrations[0]).toMatchObject({ port: 5060, transport: 'udp', expires: 300 });
    expect(cfg.inboundTrunks[0].forwardTo).toMatchObject({ uri: 'sip:desk@192.0.2.30', ringTimeoutSec: 60 });
    expect(JSON.stringify(redactConfig(cfg))).not.toContain('"pw"');
    expect(
      issuesOf(`
bots: { echo: { builtin: echo } }
registrations:
  - { name: pbx, server: 192.0.2.20, username: u, password: p, bot: nobody }
  - { name: pbx, server: 192.0.2.20, username: u, password: p, bot: echo, expires: 5 }
inboundTrunks:
  - { name: p, allow: ["192.0.2.1"], mode: pstn, forwardTo: { number: "+15550100", trunk: nope } }
  - { name: q, allow: ["192.0.2.1"], bot: echo, forwardTo: { uri: "sip:a@b.example" }, numbers: { "+1555": { mode: pstn } } }
`),
    ).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^registrations\[0\]\.bot: unknown bot/),
        expect.stringMatching(/^registrations\[1\]\.name: duplicate/),
        expect.stringMatching(/^registrations\[1\]\.expires/),
        expect.stringMatching(/^inboundTrunks\[0\]\.forwardTo\.trunk: unknown outbound trunk "nope"/),
        expect.stringMatching(/^inboundTrunks\[1\]\.forwardTo: only with mode: pstn/),
        expect.stringMatching(/^inboundTrunks\[1\]\.numbers\["\+1555"\]\.forwardTo: required for mode pstn/),
      ]),
    );
  });
});

describe('parseRouteString', () => {
  it.each([
    ['h.example', { host: 'h.example' }],
    ['[2001:db8::1]:5080;transport=TLS', { host: '2001:db8::1', port: 5080, transport: 'tls' }],
    ['h.example;proxyAddress=p.example', { host: 'h.example', proxy: { host: 'p.example' } }],
  ])('%s', (text, expected) => {
    expect(parseRouteString(text)).toEqual(expected);
  });
  it.each(['', 'h.example:99999', 'h.example;foo=1', 'h.example;proxyAddress=', 'bad host'])('rejects "%s"', (text) => {
    expect(typeof parseRouteString(text)).toBe('string');
  });
});

describe('RFC 3263 facts in requests and sip.dnsServers / sip.timers', () => {
  it('a trunk without a port lets SRV apply; with a port (or a URI with one) it does not', async () => {
    const { trunkCallRequest, uriCallRequest } = await import('../../../src/calls/outbound-request.js');
    const cfg = parseConfig(`
outboundTrunks:
  - { name: a, host: carrier.test }
  - { name: b, host: carrier.test, port: 5080, transport: tcp }
  - { name: c, host: carrier.test, proxy: "edge.carrier.test" }
`);
    const req = (i: number) => trunkCallRequest(cfg.outboundTrunks[i], { to: '+12025550123', sdp: '', ringTimeoutMs: 1000 }).nextHop;
    expect(req(0)).toEqual({ host: 'carrier.test', port: 5060, transport: 'udp', explicitPort: false });
    expect(req(1)).toEqual({ host: 'carrier.test', port: 5080, transport: 'tcp', explicitPort: true });
    expect(req(2)).toEqual({ host: 'edge.carrier.test', port: 5060, transport: 'udp', explicitPort: false });
    const uri = (u: string) => uriCallRequest(u, { fromUser: 'tb', ourHost: '127.0.0.1', sdp: '', ringTimeoutMs: 1000 }).nextHop;
    expect(uri('sip:agent@pbx.test')).toEqual({ host: 'pbx.test', port: 5060, transport: 'udp', explicitPort: false });
    expect(uri('sips:agent@pbx.test')).toEqual({ host: 'pbx.test', port: 5061, transport: 'tls', explicitPort: false });
    expect(uri('sip:agent@pbx.test:5070;transport=tcp')).toEqual({ host: 'pbx.test', port: 5070, transport: 'tcp', explicitPort: true });
  });

  it('accepts dnsServers with ports and timer overrides; rejects names and unknown timer keys', () => {
    const cfg = parseConfig(`
sip:
  dnsServers: ["127.0.0.1:5353", "10.0.0.2", "[::1]:53"]
  timers: { t1Ms: 50 }
`);
    expect(cfg.sip.dnsServers).toEqual(['127.0.0.1:5353', '10.0.0.2', '[::1]:53']);
    expect(cfg.sip.timers).toEqual({ t1Ms: 50 });
    const issues = issuesOf(`
sip:
  dnsServers: ["dns.example.com"]
  timers: { t1Ms: 1, t9: 3 }
`);
    expect(issues, issues.join("; ")).toContainEqual(expect.stringContaining("dnsServers"));
    expect(issues.some((i) => i.includes('sip.timers.t1Ms'))).toBe(true);
    expect(issues.some((i) => i.includes('t9'))).toBe(true);
  });
});
