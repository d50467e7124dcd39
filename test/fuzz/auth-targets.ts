/**
 * Fuzz target for Digest authentication input from the network: Authorization headers a caller sends (verified
 * by the server side) and WWW-Authenticate challenges a carrier sends us (parsed by the client side). Seeds are
 * real answers to our own challenges, so mutations reach the nonce, nc and response checks.
 */
import { ManualClock } from '../../src/core/clock.js';
import { SipParseError } from '../../src/core/errors.js';
import { computeDigestAnswer, formatDigestAnswer, parseDigestChallenge } from '../../src/sip/auth/digest-client.js';
import { parseAuthHeader } from '../../src/sip/auth/digest-params.js';
import { DigestServer } from '../../src/sip/auth/digest-server.js';
import { fuzzBytes } from './mutator.js';
import { only, type FuzzTarget } from './runner.js';

const REALM = 'trunkbridge';
const clock = new ManualClock();
const server = new DigestServer({ clock, secret: Buffer.alloc(32, 1) });

function seeds(): Buffer[] {
  const out: Buffer[] = [];
  for (const header of server.challenges(REALM)) {
    out.push(Buffer.from(header));
    const challenge = parseDigestChallenge(header);
    const answer = computeDigestAnswer(challenge, { username: 'carrier', password: 's3cret' }, { method: 'INVITE', uri: 'sip:+15550100@127.0.0.1' });
    out.push(Buffer.from(formatDigestAnswer(answer)));
  }
  out.push(Buffer.from('Digest username="a\\"b", realm="x", nonce="", uri="sip:a", response="", nc=00000001, cnonce="c", qop=auth'));
  return out;
}

export const digestTarget: FuzzTarget<Buffer> = {
  name: 'digest',
  arbitrary: fuzzBytes(seeds(), 256),
  check(buf) {
    const text = buf.toString('utf8');
    parseAuthHeader(text);
    only(() => parseDigestChallenge(text), [SipParseError], 'parseDigestChallenge');
    const verdict = server.verify(text, REALM, 'INVITE', (u) => (u === 'carrier' ? 's3cret' : undefined));
    if (!['ok', 'missing', 'stale', 'invalid'].includes(verdict.kind)) throw new Error(`verdict ${JSON.stringify(verdict)}`);
  },
};
