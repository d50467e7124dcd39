/** REGISTER through the real UA on loopback, with a raw UDP peer as the registrar and a ManualClock. */
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/logger.js';
import { buildResponse } from '../../../src/sip/message/build.js';
import { serializeSipMessage } from '../../../src/sip/message/serialize.js';
import type { SipRequest } from '../../../src/sip/message/types.js';
import type { RegistrationState } from '../../../src/sip/ua/registration.js';
import { SipUserAgent } from '../../../src/sip/ua/user-agent.js';
import { RawPeer } from './helpers/raw-uac.js';

const md5 = (s: string) => createHash('md5').update(s).digest('hex');
let ua: SipUserAgent | undefined;
let peer: RawPeer | undefined;

afterEach(async () => {
  await ua?.stop();
  await peer?.close();
  ua = undefined;
  peer = undefined;
});

async function setup(expires = 120) {
  const clock = new ManualClock();
  ua = new SipUserAgent({ clock, logger: silentLogger(), listen: [{ transport: 'udp', host: '127.0.0.1', port: 0 }] });
  await ua.start();
  peer = new RawPeer();
  await peer.bind();
  const p = peer;
  const uaPort = ua.boundAddresses()[0].port;
  const reg = ua.register({ server: '127.0.0.1', port: p.port, transport: 'udp', username: 'alice', password: 'pw', extension: '1001', expires, retryMs: 5000 });
  const states: RegistrationState[] = [];
  reg.on('state', (s: RegistrationState) => states.push(s));
  const reply = (req: SipRequest, status: number, headers: Array<[string, string]> = []) =>
    p.send(serializeSipMessage(buildResponse(req, status, { toTag: 'reg1', headers })), uaPort);
  return { clock, reg, states, reply, peer: p };
}

describe('Registration (REGISTER client)', () => {
  it('answers the 401, refreshes before expiry with the same Call-ID, recovers with backoff, un-registers on stop', async () => {
    const { clock, reg, states, reply, peer } = await setup(120);
    reg.start();
    const r1 = await peer.request('REGISTER');
    expect(r1.uri).toBe('sip:127.0.0.1');
    expect(r1.headers.get('To')).toBe('<sip:1001@127.0.0.1>');
    expect(r1.headers.get('Contact')).toMatch(/^<sip:1001@127\.0\.0\.1:\d+>$/);
    expect(r1.headers.get('Expires')).toBe('120');
    reply(r1, 401, [['WWW-Authenticate', 'Digest realm="pbx", nonce="abc", qop="auth"']]);
    const r2 = await peer.request('REGISTER');
    expect(r2.headers.get('Call-ID')).toBe(r1.headers.get('Call-ID'));
    expect(r2.headers.get('CSeq')).toBe('2 REGISTER');
    const auth = r2.headers.get('Authorization') ?? '';
    const f = (k: string) => new RegExp(`${k}="?([^",]+)"?`).exec(auth)?.[1] ?? '';
    expect(f('response')).toBe(md5(`${md5('alice:pbx:pw')}:abc:${f('nc')}:${f('cnonce')}:auth:${md5('REGISTER:sip:127.0.0.1')}`));
    reply(r2, 200, [['Contact', `${r2.headers.get('Contact') ?? ''};expires=60`]]);
    await peer.settle();
    expect(reg.state).toBe('registered');
    expect([...reg.registrarAddresses]).toEqual(['127.0.0.1']);

    // Granted 60 s: refreshed at 30 s, same Call-ID, higher CSeq.
    clock.advance(29_000);
    await peer.settle();
    expect(peer.pending()).toHaveLength(0);
    clock.advance(1000);
    const r3 = await peer.request('REGISTER');
    expect(r3.headers.get('Call-ID')).toBe(r1.headers.get('Call-ID'));
    expect(r3.headers.get('CSeq')).toBe('3 REGISTER');

    // The registrar is gone: timeout (64*T1), then a retry after 5 s.
    clock.advance(32_000);
    await peer.settle();
    expect(reg.state).toBe('failed');
    while (peer.pending().length > 0) await peer.request('REGISTER'); // drop retransmissions of r3
    clock.advance(5000);
    const r4 = await peer.request('REGISTER');
    reply(r4, 200, [['Expires', '300']]);
    await peer.settle();
    expect(reg.state).toBe('registered');
    expect(states).toEqual(['registered', 'failed', 'registering', 'registered']);

    reg.stop();
    const bye = await peer.request('REGISTER');
    expect(bye.headers.get('Expires')).toBe('0');
  });

  it('a challenged un-REGISTER is answered once with credentials; stop() resolves when the registrar answers', async () => {
    const { reg, reply, peer } = await setup(120);
    reg.start();
    reply(await peer.request('REGISTER'), 200);
    await peer.settle();
    expect(reg.state).toBe('registered');
    let stopped = false;
    const done = reg.stop().then(() => (stopped = true));
    const u1 = await peer.request('REGISTER');
    expect(u1.headers.get('Expires')).toBe('0');
    expect(u1.headers.get('Authorization')).toBeUndefined();
    reply(u1, 401, [['WWW-Authenticate', 'Digest realm="pbx", nonce="n-unreg", qop="auth"']]);
    const u2 = await peer.request('REGISTER');
    expect(u2.headers.get('Expires')).toBe('0');
    expect(u2.headers.get('Authorization')).toMatch(/nonce="n-unreg"/);
    await peer.settle();
    expect(stopped).toBe(false);
    // The same nonce again: not answered twice (the credentials are wrong); the stop is over.
    reply(u2, 401, [['WWW-Authenticate', 'Digest realm="pbx", nonce="n-unreg", qop="auth"']]);
    await done;
    await peer.settle();
    expect(peer.pending()).toHaveLength(0);
    // Not registered: nothing to remove, resolved at once.
    await expect(reg.stop()).resolves.toBeUndefined();
  });

  it('stop({ unregister: false }) sends nothing (another node re-registers the binding)', async () => {
    const { reg, reply, peer } = await setup(120);
    reg.start();
    reply(await peer.request('REGISTER'), 200);
    await peer.settle();
    await reg.stop({ unregister: false });
    await peer.settle();
    expect(reg.state).toBe('stopped');
    expect(peer.pending()).toHaveLength(0);
  });

  it('refused credentials: failed, with the retry delay doubling', async () => {
    const { clock, reg, reply, peer } = await setup();
    reg.start();
    reply(await peer.request('REGISTER'), 403);
    await peer.settle();
    expect(reg.state).toBe('failed');
    clock.advance(5000);
    reply(await peer.request('REGISTER'), 403);
    await peer.settle();
    clock.advance(9000);
    await peer.settle();
    expect(peer.pending()).toHaveLength(0); // the second delay is 10 s
    clock.advance(1000);
    await peer.request('REGISTER');
  });
});
