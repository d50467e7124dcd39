import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/core/errors.js';
import {
  formatPath,
  loadConfigFile,
  loadDefaultConfig,
  parseConfig,
  redactConfig,
  type Config,
} from '../../../src/config/index.js';

/** A valid base config; tests splice one bad field into it. */
const BASE = `
bots:
  echo: { builtin: echo }
  support: { url: "ws://127.0.0.1:9000/stream", headers: { Authorization: "Bearer s3cret" } }
inboundTrunks:
  - name: carrier-a
    allow: ["198.51.100.0/24", "127.0.0.1", "::1", "2001:db8::/32"]
    bot: echo
    numbers:
      "+15550100": { bot: support }
`;

function issuesOf(text: string): { path: string; message: string }[] {
  try {
    parseConfig(text, 'test.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).issues;
  }
  throw new Error('expected ConfigError');
}

function pathsOf(text: string): string[] {
  return issuesOf(text).map((i) => i.path);
}

describe('default config', () => {
  it('loads and matches the documented defaults', () => {
    const cfg = loadDefaultConfig();
    expect(cfg.sip.listen).toEqual([{ transport: 'udp', host: '127.0.0.1', port: 5060, idleTimeoutSec: 600, maxConnectionsPerSource: 32 }]);
    expect(cfg.inboundTrunks).toEqual([
      { name: 'local', allow: ['127.0.0.0/8', '::1'], credentials: [], digestAlgorithms: ['SHA-256', 'MD5'], requireE164From: false, mode: 'flow', bot: 'echo', numbers: {}, rtpTimeoutSec: 30, srtp: 'off' },
    ]);
    expect(cfg.bots.echo).toEqual({ builtin: 'echo', delayFrames: 0 });
    expect(cfg.metrics).toEqual({ enabled: true, host: '127.0.0.1', port: 9464, labelLimit: 50 });
    expect(cfg.lifecycle).toEqual({ drainTimeoutSec: 30, retryAfterSec: 30 });
    expect([cfg.media.rtpPortMin, cfg.media.rtpPortMax]).toEqual([10000, 20000]);
  });
});

describe('parseConfig', () => {
  it('applies defaults inside the schema', () => {
    const cfg = parseConfig(BASE);
    expect(cfg.sip.listen).toEqual([{ transport: 'udp', host: '0.0.0.0', port: 5060, idleTimeoutSec: 600, maxConnectionsPerSource: 32 }]);
    expect(cfg.sip.userAgent).toBe('trunkbridge');
    expect(cfg.media).toEqual({ rtpPortMin: 10000, rtpPortMax: 20000, codecs: ['opus', 'G722', 'PCMU', 'PCMA'], idleFill: 'silence', latching: 'any', workerWatchdogSec: 10 });
    expect(cfg.bots.support).toEqual({
      url: 'ws://127.0.0.1:9000/stream',
      sampleRate: 16000,
      headers: { Authorization: 'Bearer s3cret' },
      connectTimeoutMs: 3000,
    });
    expect(cfg.logging.level).toBe('info');
    expect(cfg.inboundTrunks[0].mode).toBe('flow');
  });

  it('treats an empty file as all defaults', () => {
    const cfg = parseConfig('');
    expect(cfg.inboundTrunks).toEqual([]);
    expect(cfg.bots).toEqual({});
  });

  it('deep-freezes the result', () => {
    const cfg: Config = parseConfig(BASE);
    expect(Object.isFrozen(cfg)).toBe(true);
    expect(Object.isFrozen(cfg.inboundTrunks[0].allow)).toBe(true);
    expect(Object.isFrozen(cfg.inboundTrunks[0].numbers['+15550100'])).toBe(true);
    expect(() => {
      (cfg.media as { rtpPortMin: number }).rtpPortMin = 2;
    }).toThrow(TypeError);
  });

  it('accepts tls listeners with cert and key', () => {
    const cfg = parseConfig(`sip: { listen: [{ transport: tls, port: 5061, certFile: a.pem, keyFile: b.pem }] }`);
    expect(cfg.sip.listen[0]).toEqual({
      transport: 'tls', host: '0.0.0.0', port: 5061, certFile: 'a.pem', keyFile: 'b.pem', idleTimeoutSec: 600, maxConnectionsPerSource: 32,
    });
  });

  it('defaults the port by transport: 5061 for tls, 5060 otherwise', () => {
    const cfg = parseConfig(`sip: { listen: [{ transport: tls, certFile: a.pem, keyFile: b.pem }, { transport: tcp }, { transport: udp, port: 5070 }] }`);
    expect(cfg.sip.listen.map((l) => l.port)).toEqual([5061, 5060, 5070]);
  });

  // One bad field per row: the ConfigError must name exactly that path.
  const badFields: Array<[string, string, string]> = [
    ['unknown top-level key', `${BASE}\nextra: 1`, 'extra'],
    ['unknown nested key', `${BASE}\nsip: { lsten: [] }`, 'sip.lsten'],
    ['unknown trunk key', BASE.replace('bot: echo', 'bot: echo\n    foo: 1'), 'inboundTrunks[0].foo'],
    ['trunk jitter buffer too long', BASE.replace('bot: echo', 'bot: echo\n    jitterBufferMs: 5000'), 'inboundTrunks[0].jitterBufferMs'],
    ['trunk jitter buffer mode unknown', BASE.replace('bot: echo', 'bot: echo\n    jitterBuffer: elastic'), 'inboundTrunks[0].jitterBuffer'],
    ['trunk jitter buffer max 0', BASE.replace('bot: echo', 'bot: echo\n    jitterBufferMaxMs: 0'), 'inboundTrunks[0].jitterBufferMaxMs'],
    ['trunk srtp not a policy', BASE.replace('bot: echo', 'bot: echo\n    srtp: yes'), 'inboundTrunks[0].srtp'],
    ['trunk codec unknown', BASE.replace('bot: echo', 'bot: echo\n    codecs: [PCMU, G729]'), 'inboundTrunks[0].codecs[1]'],
    ['bad transport', `${BASE}\nsip: { listen: [{ transport: sctp }] }`, 'sip.listen[0].transport'],
    ['port out of range', `${BASE}\nsip: { listen: [{ port: 70000 }] }`, 'sip.listen[0].port'],
    ['listen host not an IP', `${BASE}\nsip: { listen: [{ host: "example.com" }] }`, 'sip.listen[0].host'],
    ['tls without key', `${BASE}\nsip: { listen: [{ transport: tls, certFile: c.pem }] }`, 'sip.listen[0].keyFile'],
    ['bad public address', `${BASE}\nsip: { publicAddress: "not a host" }`, 'sip.publicAddress'],
    ['media host not an IP', `${BASE}\nmedia: { host: "somewhere" }`, 'media.host'],
    ['odd rtp min', `${BASE}\nmedia: { rtpPortMin: 10001 }`, 'media.rtpPortMin'],
    ['rtp min >= max', `${BASE}\nmedia: { rtpPortMin: 30000 }`, 'media.rtpPortMax'],
    ['rtp below 1024', `${BASE}\nmedia: { rtpPortMin: 100 }`, 'media.rtpPortMin'],
    ['unknown codec', `${BASE}\nmedia: { codecs: [PCMU, G729] }`, 'media.codecs[1]'],
    ['bad idleFill', `${BASE}\nmedia: { idleFill: music }`, 'media.idleFill'],
    ['negative watchdog', `${BASE}\nmedia: { workerWatchdogSec: -1 }`, 'media.workerWatchdogSec'],
    ['busy limit below half', `${BASE}\nmedia: { workerBusyLimit: 0.3 }`, 'media.workerBusyLimit'],
    ['busy limit as a percentage', `${BASE}\nmedia: { workerBusyLimit: 90 }`, 'media.workerBusyLimit'],
    ['bot url not ws', BASE.replace('ws://127.0.0.1:9000/stream', 'http://127.0.0.1/'), 'bots.support.url'],
    ['bot sample rate', BASE.replace('headers:', 'sampleRate: 44100, headers:'), 'bots.support.sampleRate'],
    ['bot with neither url nor builtin', BASE.replace('{ builtin: echo }', '{}'), 'bots.echo'],
    ['echo-only key on url bot', BASE.replace('headers:', 'delayFrames: 1, headers:'), 'bots.support.delayFrames'],
    ['bot timeout not a number', BASE.replace('headers:', 'connectTimeoutMs: soon, headers:'), 'bots.support.connectTimeoutMs'],
    ['bad CIDR prefix', BASE.replace('198.51.100.0/24', '198.51.100.0/33'), 'inboundTrunks[0].allow[0]'],
    ['bad IP', BASE.replace('"127.0.0.1"', '"127.0.0.256"'), 'inboundTrunks[0].allow[1]'],
    ['bad v6 CIDR', BASE.replace('2001:db8::/32', '2001:db8::/129'), 'inboundTrunks[0].allow[3]'],
    ['unknown mode', BASE.replace('bot: echo', 'bot: echo\n    mode: ivr'), 'inboundTrunks[0].mode'],
    ['pstn mode without forwardTo', BASE.replace('bot: echo', 'bot: echo\n    mode: pstn'), 'inboundTrunks[0].forwardTo'],
    ['unknown trunk bot', BASE.replace('bot: echo', 'bot: nobody'), 'inboundTrunks[0].bot'],
    ['unknown number bot', BASE.replace('{ bot: support }', '{ bot: nobody }'), 'inboundTrunks[0].numbers["+15550100"].bot'],
    ['empty allow list', BASE.replace(/allow: \[.*\]/, 'allow: []'), 'inboundTrunks[0].allow'],
    ['bad log level', `${BASE}\nlogging: { level: loud }`, 'logging.level'],
    ['metrics port', `${BASE}\nmetrics: { port: -1 }`, 'metrics.port'],
  ];
  it.each(badFields)('%s is reported at its path', (_name, text, path) => {
    expect(pathsOf(text)).toContain(path);
  });

  it('rejects duplicate trunk names and numbers routed by two trunks', () => {
    const text = `${BASE}
  - name: carrier-a
    allow: ["203.0.113.0/24"]
    numbers:
      "15550100": { bot: echo }
`;
    const issues = issuesOf(text);
    expect(issues.map((i) => i.path)).toEqual(
      expect.arrayContaining(['inboundTrunks[1].name', 'inboundTrunks[1].numbers["15550100"]']),
    );
    expect(issues.find((i) => i.path === 'inboundTrunks[1].name')?.message).toMatch(/duplicate/);
  });

  it('reports every problem at once, schema and cross-field together', () => {
    const text = `
sip: { listen: [{ port: 99999 }], bogus: true }
media: { rtpPortMin: 10001 }
bots: { b: { url: "ftp://x" } }
inboundTrunks:
  - { name: t, allow: ["10.0.0.0/40", "1.2.3.4"], bot: missing }
`;
    expect(pathsOf(text)).toEqual(
      expect.arrayContaining([
        'sip.listen[0].port',
        'sip.bogus',
        'media.rtpPortMin',
        'bots.b.url',
        'inboundTrunks[0].allow[0]',
        'inboundTrunks[0].bot',
      ]),
    );
  });

  it('reports YAML syntax errors with their line', () => {
    const issues = issuesOf('sip:\n  listen: [\n  userAgent: x\nmedia: : :\n');
    expect(issues.length).toBeGreaterThan(0);
    expect(issues[0].message).toMatch(/YAML syntax error \(line \d+, column \d+\)/);
  });

  it('rejects duplicate YAML keys', () => {
    expect(issuesOf('logging: { level: info }\nlogging: { level: debug }\n')[0].message).toMatch(/YAML/);
  });

  it('names the source in the error message', () => {
    expect(() => parseConfig('nope: 1', 'my.yaml')).toThrow(/invalid config in my\.yaml/);
  });
});

describe('loadConfigFile', () => {
  it('loads a file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tb-config-'));
    const file = join(dir, 'c.yaml');
    writeFileSync(file, BASE);
    expect(loadConfigFile(file).inboundTrunks[0].name).toBe('carrier-a');
  });

  it('throws a ConfigError naming an unreadable file', () => {
    const missing = join(tmpdir(), 'tb-no-such-dir', 'missing.yaml');
    expect(() => loadConfigFile(missing)).toThrow(ConfigError);
    expect(() => loadConfigFile(missing)).toThrow(/missing\.yaml/);
  });
});

describe('redactConfig', () => {
  it('hides bot header values and leaves the config intact', () => {
    const cfg = parseConfig(BASE);
    const red = redactConfig(cfg) as Config;
    expect(JSON.stringify(red)).not.toContain('s3cret');
    expect(red.bots.support).toMatchObject({ headers: { Authorization: '[redacted]' }, url: 'ws://127.0.0.1:9000/stream' });
    expect((cfg.bots.support as { headers: Record<string, string> }).headers.Authorization).toBe('Bearer s3cret');
  });
});

describe('formatPath', () => {
  it.each([
    [['inboundTrunks', 0, 'allow', 1], 'inboundTrunks[0].allow[1]'],
    [['inboundTrunks', 2, 'numbers', '+15550100', 'bot'], 'inboundTrunks[2].numbers["+15550100"].bot'],
    [['bots', 'support', 'url'], 'bots.support.url'],
    [[], ''],
  ] as const)('%j -> %s', (path, expected) => {
    expect(formatPath(path)).toBe(expected);
  });
});

describe('trunk authentication and routing options', () => {
  const bots = `bots: { echo: { builtin: echo } }\n`;
  it('accepts host names in allow lists, credentials, domain, country and routing options', () => {
    const cfg = parseConfig(
      `${bots}inboundTrunks:\n  - { name: acme, allow: [localhost, 10.0.0.0/8], credentials: [{ username: pbx1, password: Abcdefgh1234 }, { username: pbx2, password: Zyxwvuts9876 }], domain: ACME.sip.example.com, country: GB, routingHeader: X-Agent-ID, requireE164From: true, maxConcurrentCalls: 2, bot: echo }`,
    );
    const t = cfg.inboundTrunks[0];
    expect(t.allow).toEqual(['localhost', '10.0.0.0/8']);
    expect(t.credentials.map((c) => c.username)).toEqual(['pbx1', 'pbx2']);
    expect(t.domain).toBe('acme.sip.example.com');
    expect([t.country, t.routingHeader, t.requireE164From, t.maxConcurrentCalls]).toEqual(['GB', 'X-Agent-ID', true, 2]);
  });

  it('reports a weak password as an error naming the trunk and the missing classes', () => {
    const issues = issuesOf(`${bots}inboundTrunks:\n  - { name: acme, credentials: [{ username: pbx1, password: short1 }], bot: echo }`);
    expect(issues).toEqual([
      {
        path: 'inboundTrunks[0].credentials[0].password',
        message: 'trunk "acme": weak password for "pbx1": needs at least 12 characters, an upper case letter',
      },
    ]);
  });

  it('needs an allow list or credentials on every trunk', () => {
    expect(pathsOf(`${bots}inboundTrunks:\n  - { name: acme, bot: echo }`)).toEqual(['inboundTrunks[0].allow']);
  });

  it('refuses the same number on two trunks once normalised to E.164 with the trunk country', () => {
    const text = `${bots}inboundTrunks:\n  - { name: a, allow: [127.0.0.1], country: GB, numbers: { "02079460018": { bot: echo } } }\n  - { name: b, allow: [127.0.0.2], numbers: { "+442079460018": { bot: echo } } }`;
    expect(pathsOf(text)).toEqual(['inboundTrunks[1].numbers["+442079460018"]']);
  });
});
