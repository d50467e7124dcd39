import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { createAuthorizer, requiredRole, type Role } from '../../../../src/api/admin/auth.js';

/** The two things the authorizer reads of a request: its Authorization header and the peer address. */
const req = (authorization: string | undefined, remoteAddress = '198.51.100.7'): IncomingMessage =>
  ({ headers: authorization === undefined ? {} : { authorization }, socket: { remoteAddress } }) as unknown as IncomingMessage;

const KEYS = [
  { name: 'viewer', role: 'read' as const, key: 'read-key-0123456789' },
  { name: 'dialer', role: 'operate' as const, key: 'operate-key-0123456789' },
  { name: 'root', role: 'admin' as const, key: 'admin-key-0123456789' },
];

describe('requiredRole', () => {
  it.each<[string, string, Role]>([
    ['GET', '/v1/numbers', 'read'],
    ['GET', '/v1/calls', 'read'],
    ['HEAD', '/v1/openapi.json', 'read'],
    ['POST', '/v1/calls', 'operate'],
    ['POST', '/v1/calls/abc/hangup', 'operate'],
    ['POST', '/v1/calls/abc/transfer', 'operate'],
    ['POST', '/v1/numbers', 'admin'],
    ['DELETE', '/v1/inbound-trunks/a/allow/1.2.3.4', 'admin'],
    ['POST', '/v1/reload', 'admin'],
    ['POST', '/v1/callsx', 'admin'],
    ['POST', '/v1/test-calls', 'admin'],
    ['POST', '/v1/bot-checks', 'admin'],
    ['POST', '/v1/test-calls/x', 'admin'],
  ])('%s %s needs %s', (method, path, role) => {
    expect(requiredRole(method, path)).toBe(role);
  });
});

describe('createAuthorizer', () => {
  const auth = createAuthorizer(KEYS);
  it.each<[string, string | undefined, Role, number | 'ok']>([
    ['no header', undefined, 'read', 401],
    ['not bearer', 'Basic cm9vdDpwdw==', 'read', 401],
    ['an unknown key', 'Bearer nope-nope-nope-nope', 'read', 401],
    ['a prefix of a key', 'Bearer admin-key-012345678', 'read', 401],
    ['read for read', 'Bearer read-key-0123456789', 'read', 'ok'],
    ['read for operate', 'Bearer read-key-0123456789', 'operate', 403],
    ['operate for operate', 'Bearer operate-key-0123456789', 'operate', 'ok'],
    ['operate for admin', 'Bearer operate-key-0123456789', 'admin', 403],
    ['admin for admin', 'Bearer admin-key-0123456789', 'admin', 'ok'],
    ['admin for read', 'Bearer admin-key-0123456789', 'read', 'ok'],
  ])('%s -> %s', (_name, header, needed, expected) => {
    const r = auth(req(header), needed);
    if (expected === 'ok') expect(r.ok).toBe(true);
    else expect(r).toMatchObject({ ok: false, status: expected });
  });

  it('names the key that matched (for logs), never its value', () => {
    expect(auth(req('Bearer admin-key-0123456789'), 'admin')).toEqual({ ok: true, key: 'root', role: 'admin' });
  });

  it('without keys serves loopback clients only', () => {
    const open = createAuthorizer([]);
    expect(open(req(undefined, '127.0.0.1'), 'admin').ok).toBe(true);
    expect(open(req(undefined, '::1'), 'admin').ok).toBe(true);
    expect(open(req(undefined, '10.0.0.1'), 'read')).toMatchObject({ ok: false, status: 401 });
  });
});
