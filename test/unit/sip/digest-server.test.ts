import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { digestResponse, type DigestAlgorithm } from '../../../src/sip/auth/digest.js';
import { formatAuthHeader, parseAuthHeader } from '../../../src/sip/auth/digest-params.js';
import { DigestServer } from '../../../src/sip/auth/digest-server.js';

const REALM = 'carrier-a';
const USERS: Record<string, string> = { alice: 'Str0ngPassword1' };
const lookup = (u: string) => USERS[u];

/** What a UAC would send back for a challenge. */
function answer(challenge: string, opts: { user?: string; password?: string; nc?: string; method?: string } = {}): string {
  const c = parseAuthHeader(challenge)!.params;
  const algorithm = c.get('algorithm') as DigestAlgorithm;
  const fields = {
    algorithm,
    username: opts.user ?? 'alice',
    realm: c.get('realm')!,
    password: opts.password ?? 'Str0ngPassword1',
    method: opts.method ?? 'INVITE',
    uri: 'sip:+15550100@127.0.0.1',
    nonce: c.get('nonce')!,
    qop: 'auth' as const,
    nc: opts.nc ?? '00000001',
    cnonce: 'abc123',
  };
  return formatAuthHeader('Digest', [
    ['username', fields.username],
    ['realm', fields.realm],
    ['nonce', fields.nonce],
    ['uri', fields.uri],
    ['response', digestResponse(fields)],
    ['algorithm', algorithm],
    ['qop', 'auth'],
    ['nc', fields.nc],
    ['cnonce', fields.cnonce],
  ]);
}

describe('DigestServer', () => {
  it('challenges with SHA-256 and MD5, qop=auth, distinct nonces', () => {
    const s = new DigestServer({ clock: new ManualClock() });
    const [sha, md5] = s.challenges(REALM);
    expect(sha).toMatch(/^Digest realm="carrier-a", nonce="[^"]+", algorithm=SHA-256, qop="auth"$/);
    expect(md5).toMatch(/algorithm=MD5/);
    expect(parseAuthHeader(sha)!.params.get('nonce')).not.toBe(parseAuthHeader(md5)!.params.get('nonce'));
    expect(s.challenges(REALM, true)[0]).toMatch(/stale=true/);
  });

  it('accepts right credentials for either algorithm', () => {
    const s = new DigestServer({ clock: new ManualClock() });
    for (const ch of s.challenges(REALM)) {
      expect(s.verify(answer(ch), REALM, 'INVITE', lookup)).toEqual({ kind: 'ok', username: 'alice' });
    }
  });

  it('rejects wrong password, unknown user, other method, forged nonce, replayed nc', () => {
    const s = new DigestServer({ clock: new ManualClock() });
    const [ch] = s.challenges(REALM);
    expect(s.verify(answer(ch, { password: 'Wr0ngPassword1' }), REALM, 'INVITE', lookup)).toMatchObject({ kind: 'invalid', reason: 'wrong credentials' });
    expect(s.verify(answer(ch, { user: 'mallory' }), REALM, 'INVITE', lookup)).toMatchObject({ kind: 'invalid', reason: 'unknown user' });
    expect(s.verify(answer(ch), REALM, 'BYE', lookup)).toMatchObject({ kind: 'invalid' });
    const other = new DigestServer({ clock: new ManualClock() });
    expect(other.verify(answer(ch), REALM, 'INVITE', lookup)).toMatchObject({ kind: 'invalid', reason: 'nonce not issued by us' });
    expect(s.verify(answer(ch), REALM, 'INVITE', lookup).kind).toBe('ok');
    expect(s.verify(answer(ch), REALM, 'INVITE', lookup)).toMatchObject({ kind: 'invalid', reason: 'nonce count replayed' });
    expect(s.verify(answer(ch, { nc: '00000002' }), REALM, 'INVITE', lookup).kind).toBe('ok');
  });

  it('answers an expired nonce with stale (only when the credentials are right)', () => {
    const clock = new ManualClock();
    const s = new DigestServer({ clock, nonceLifetimeMs: 1000 });
    const [ch] = s.challenges(REALM);
    clock.advance(1001);
    expect(s.verify(answer(ch), REALM, 'INVITE', lookup)).toEqual({ kind: 'stale', username: 'alice' });
    expect(s.verify(answer(ch, { password: 'nope' }), REALM, 'INVITE', lookup).kind).toBe('invalid');
  });

  it('treats no Authorization, or one for another realm, as missing', () => {
    const s = new DigestServer({ clock: new ManualClock() });
    expect(s.verify(undefined, REALM, 'INVITE', lookup).kind).toBe('missing');
    const [ch] = new DigestServer({ clock: new ManualClock() }).challenges('elsewhere');
    expect(s.verify(answer(ch), REALM, 'INVITE', lookup).kind).toBe('missing');
  });
});
