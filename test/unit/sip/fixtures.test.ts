/**
 * Table-driven parser test over raw fixtures. Add a file to fixtures/sip/valid (optionally with a sidecar
 * <name>.json of expected fields) or fixtures/sip/invalid and it is picked up automatically.
 */
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SipParseError } from '../../../src/core/errors.js';
import {
  callIdOf,
  contactsOf,
  contentTypeOf,
  cseqOf,
  fromOf,
  maxForwardsOf,
  tagOf,
  toOf,
  viasOf,
} from '../../../src/sip/message/accessors.js';
import { serializeSipMessage } from '../../../src/sip/message/serialize.js';
import { decodeUser, parseUri } from '../../../src/sip/message/uri.js';
import { viaBranch } from '../../../src/sip/message/via.js';
import { parseSipMessage } from '../../../src/sip/parser/parse.js';
import type { SipMessage } from '../../../src/sip/message/types.js';

const root = join(import.meta.dirname, '../../../fixtures/sip');
const validDir = join(root, 'valid');
const invalidDir = join(root, 'invalid');
const sipFiles = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.sip')).sort();

interface Expected {
  kind?: 'request' | 'response';
  method?: string;
  uri?: string;
  status?: number;
  reason?: string;
  callId?: string;
  cseq?: { seq: number; method: string };
  fromTag?: string | null;
  toTag?: string | null;
  fromDisplayName?: string;
  fromUser?: string;
  requestUser?: string;
  requestHost?: string;
  viaCount?: number;
  topViaBranch?: string;
  topViaHost?: string;
  contentType?: string;
  bodyContains?: string;
  bodyLength?: number;
  recordRoutes?: number;
  routes?: number;
  contactHost?: string;
  maxForwards?: number;
  header?: Record<string, string>;
}

/** The fields a sidecar may assert, computed from a parsed message. */
function facts(msg: SipMessage) {
  const from = fromOf(msg);
  const to = toOf(msg);
  const vias = viasOf(msg);
  return {
    kind: msg.kind,
    method: msg.kind === 'request' ? msg.method : undefined,
    uri: msg.kind === 'request' ? msg.uri : undefined,
    status: msg.kind === 'response' ? msg.status : undefined,
    reason: msg.kind === 'response' ? msg.reason : undefined,
    callId: callIdOf(msg),
    cseq: cseqOf(msg),
    fromTag: tagOf(from) ?? null,
    toTag: tagOf(to) ?? null,
    fromDisplayName: from.displayName,
    fromUser: decodeUser(from.uri.user),
    requestUser: msg.kind === 'request' ? decodeUser(parseUri(msg.uri).user) : undefined,
    requestHost: msg.kind === 'request' ? parseUri(msg.uri).host : undefined,
    viaCount: vias.length,
    topViaBranch: viaBranch(vias[0]),
    topViaHost: vias[0].host,
    contentType: contentTypeOf(msg),
    bodyLength: msg.body.length,
    recordRoutes: msg.headers.getList('Record-Route').length,
    routes: msg.headers.getList('Route').length,
    contactHost: contactsOf(msg).contacts[0]?.uri.host,
    maxForwards: maxForwardsOf(msg),
  };
}

describe('valid SIP fixtures', () => {
  const files = sipFiles(validDir);
  it('has fixtures', () => expect(files.length).toBeGreaterThanOrEqual(10));

  for (const file of files) {
    it(`parses ${file}`, () => {
      const raw = readFileSync(join(validDir, file));
      const msg = parseSipMessage(raw);
      const got = facts(msg);
      const sidecar = join(validDir, file.replace(/\.sip$/, '.json'));
      if (existsSync(sidecar)) {
        const expected = JSON.parse(readFileSync(sidecar, 'utf8')) as Expected;
        const { header, bodyContains, ...fields } = expected;
        for (const [key, value] of Object.entries(fields)) {
          expect(got[key as keyof typeof got], `${file}: ${key}`).toEqual(value);
        }
        if (bodyContains !== undefined) expect(msg.body.toString('utf8')).toContain(bodyContains);
        for (const [name, value] of Object.entries(header ?? {})) expect(msg.headers.get(name), `${file}: ${name}`).toBe(value);
      }
      // Round trip: serialize and parse again gives the same facts and body.
      const again = parseSipMessage(serializeSipMessage(msg));
      expect(facts(again)).toEqual(got);
      expect(again.body.equals(msg.body)).toBe(true);
    });
  }
});

describe('invalid SIP fixtures', () => {
  const files = sipFiles(invalidDir);
  it('has fixtures', () => expect(files.length).toBeGreaterThanOrEqual(8));

  for (const file of files) {
    it(`rejects ${file} with SipParseError`, () => {
      const raw = readFileSync(join(invalidDir, file));
      expect(() => parseSipMessage(raw)).toThrow(SipParseError);
    });
  }
});
