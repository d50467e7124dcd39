/** `callRecords` and `webhooks`: defaults, each refusal at its field, the secret redacted. */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConfig, redactConfig } from '../../../src/config/index.js';
import { issuesOf } from '../../helpers/config-issues.js';


const SECRET = 'whsec-0123456789abcdef';

describe('callRecords and webhooks config', () => {
  it('defaults: no records, no webhooks', () => {
    const cfg = parseConfig('');
    expect(cfg.callRecords).toEqual({ cdrFiles: true, recordingWaitSec: 10 });
    expect(cfg.webhooks).toEqual([]);
  });

  it('a webhook takes every event and the documented retry defaults unless told', () => {
    const cfg = parseConfig(`callRecords: { dir: /var/lib/tb }\nwebhooks:\n  - { url: "https://hooks.example.com/in", secret: ${SECRET} }\n`);
    expect(cfg.webhooks[0]).toEqual({
      url: 'https://hooks.example.com/in', secret: SECRET, events: ['call.started', 'call.answered', 'call.ended', 'call.transfer', 'recording.ready'],
      timeoutMs: 10_000, retryInitialMs: 1000, retryMaxMs: 300_000, maxAgeHours: 72,
    });
    expect(JSON.stringify(redactConfig(cfg))).not.toContain(SECRET);
  });

  it.each([
    ['webhooks without callRecords.dir', `webhooks: [{ url: "https://h/in", secret: ${SECRET} }]`, 'callRecords.dir', /required when webhooks are configured/],
    ['a non-http URL', `callRecords: { dir: /d }\nwebhooks: [{ url: "ftp://h/in", secret: ${SECRET} }]`, 'webhooks[0].url', /http/],
    ['a short secret', 'callRecords: { dir: /d }\nwebhooks: [{ url: "https://h/in", secret: short }]', 'webhooks[0].secret', /at least 16/],
    ['an unknown event', `callRecords: { dir: /d }\nwebhooks: [{ url: "https://h/in", secret: ${SECRET}, events: [call.dance] }]`, 'webhooks[0].events[0]', /./],
    ['an empty event list', `callRecords: { dir: /d }\nwebhooks: [{ url: "https://h/in", secret: ${SECRET}, events: [] }]`, 'webhooks[0].events', /./],
    ['a URL listed twice', `callRecords: { dir: /d }\nwebhooks: [{ url: "https://h/in", secret: ${SECRET} }, { url: "https://h/in", secret: ${SECRET} }]`, 'webhooks[1].url', /listed twice/],
    ['an unknown key', `callRecords: { dir: /d, rotate: hourly }`, 'callRecords.rotate', /unknown key/],
  ])('refuses %s at its field', (_name, text, path, message) => {
    const issues = issuesOf(`${text}\n`);
    const issue = issues.find((i) => i.path === path);
    expect(issue, JSON.stringify(issues)).toBeDefined();
    expect(issue!.message).toMatch(message);
  });

  it('the README\'s "Call records" example parses as written', () => {
    const readme = readFileSync(resolve(fileURLToPath(import.meta.url), '../../../../README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Call records'));
    const yaml = /```yaml\n([\s\S]*?)```/.exec(section)![1];
    const cfg = parseConfig(yaml);
    expect(cfg.callRecords.dir).toBe('/var/lib/trunkbridge');
    expect(cfg.webhooks[0]).toMatchObject({ url: 'https://hooks.example.com/trunkbridge', events: ['call.started', 'call.answered', 'call.ended', 'call.transfer', 'recording.ready'] });
  });
});
