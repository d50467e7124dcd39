/**
 * The webhook signature against the README's recipes, run as written (Node module and python3): a receiver that
 * follows the documentation accepts what the bridge signs and refuses tampering, another secret and old timestamps.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { signWebhook, verifyWebhook } from '../../../src/records/signature.js';
import { readmeRecipe } from '../../helpers/readme-recipes.js';

type NodeVerify = (header: string, rawBody: string | Buffer, secret: string, toleranceSec?: number) => boolean;
let nodeVerify: NodeVerify;

beforeAll(async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'tb-webhook-recipe-')), 'verify.mjs');
  writeFileSync(file, readmeRecipe('webhook-verify-node'));
  nodeVerify = ((await import(pathToFileURL(file).href)) as { verifyTrunkbridgeWebhook: NodeVerify }).verifyTrunkbridgeWebhook;
});

/** The README's Python recipe on several cases at once (one python3 process). */
function pythonVerify(cases: Array<{ header: string; body: string; secret: string }>): boolean[] {
  const script = `${readmeRecipe('webhook-verify-python')}
import json, sys
print(json.dumps([verify_trunkbridge_webhook(c["header"], c["body"].encode(), c["secret"]) for c in json.load(sys.stdin)]))
`;
  return JSON.parse(execFileSync('python3', ['-c', script], { input: JSON.stringify(cases), encoding: 'utf8' })) as boolean[];
}

const SECRET = 'whsec-0123456789abcdef';
const BODY = JSON.stringify({ id: 'e1', type: 'call.ended', callId: 'c1', data: { from: '+15551230001', note: 'ünïcode' } });

describe('webhook signature', () => {
  it('has the documented shape: t=<unix seconds>,v1=<64 hex>', () => {
    expect(signWebhook(SECRET, 1_765_000_000.7, BODY)).toMatch(/^t=1765000000,v1=[0-9a-f]{64}$/);
  });

  it('the README recipes accept a fresh signature and refuse tampering, another secret and a stale timestamp', () => {
    const now = Date.now() / 1000;
    const cases = [
      { header: signWebhook(SECRET, now, BODY), body: BODY, secret: SECRET, ok: true },
      { header: signWebhook(SECRET, now, BODY), body: BODY.replace('c1', 'c2'), secret: SECRET, ok: false },
      { header: signWebhook(SECRET, now, BODY), body: BODY, secret: 'whsec-another-secret-0000', ok: false },
      // Clear of the 300 s window on both sides (python3 starts a second or so after the signing).
      { header: signWebhook(SECRET, now - 400, BODY), body: BODY, secret: SECRET, ok: false },
      { header: signWebhook(SECRET, now + 400, BODY), body: BODY, secret: SECRET, ok: false },
      { header: signWebhook(SECRET, now - 200, BODY), body: BODY, secret: SECRET, ok: true },
      { header: `${signWebhook(SECRET, now, BODY)},v0=ignored`, body: BODY, secret: SECRET, ok: true },
      { header: 'v1=deadbeef', body: BODY, secret: SECRET, ok: false },
      { header: '', body: BODY, secret: SECRET, ok: false },
    ];
    expect(cases.map((c) => nodeVerify(c.header, c.body, c.secret))).toEqual(cases.map((c) => c.ok));
    expect(cases.map((c) => nodeVerify(c.header, Buffer.from(c.body), c.secret))).toEqual(cases.map((c) => c.ok));
    expect(pythonVerify(cases)).toEqual(cases.map((c) => c.ok));
    expect(cases.map((c) => verifyWebhook(c.header, c.secret, c.body, now))).toEqual(cases.map((c) => c.ok));
  });
});
