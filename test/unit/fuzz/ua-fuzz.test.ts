/**
 * The SIP stack as a whole under fuzzed input: mutated requests over real UDP (loopback) into a SipUserAgent whose
 * call handler negotiates SDP as the bridge does. Nothing may escape as an error log (a handler that threw), the
 * agent must keep answering, and the crash classes of issue #12 get their status: 400, 415 or 488, never a 500.
 * Every top Via is rewritten to the test's socket, and the manual clock never moves, so the agent sends nothing
 * anywhere else (no retransmission, no BYE to a fuzzed Contact).
 */
import { createSocket, type Socket } from 'node:dgram';
import { connect } from 'node:net';
import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { sipStatusOf } from '../../../src/core/errors.js';
import { createLogger } from '../../../src/core/logger.js';
import { negotiateAnswer } from '../../../src/sdp/negotiate.js';
import { SipUserAgent } from '../../../src/sip/ua/user-agent.js';
import { FIXTURES, sipCorpus } from '../../fuzz/corpus.js';
import { mutated } from '../../fuzz/mutator.js';
import { waitFor } from '../../helpers/wait-for.js';

const RUNS = Number(process.env.FUZZ_UA_RUNS ?? 300);
const SEED = process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED) : 12_2026;

/** What came back: status line and Call-ID read leniently (a 400 copies the malformed headers it answers). */
interface Answer {
  status: number;
  reason: string;
  callId: string | undefined;
}

let ua: SipUserAgent;
let peer: Socket;
let peerPort: number;
let uaPort: number;
let tcpPort: number;
const answers: Answer[] = [];
const errors: unknown[] = [];
let branch = 0;

/** The message with its Via lines replaced by one naming the test's socket (answers come back here only). */
function viaToUs(raw: Buffer): Buffer {
  const text = raw.toString('latin1');
  const headEnd = text.search(/\r?\n\r?\n/);
  const head = headEnd < 0 ? text : text.slice(0, headEnd);
  const rest = headEnd < 0 ? '' : text.slice(headEnd);
  const lines = head.split(/\r?\n/);
  const kept = lines.filter((l, i) => i === 0 || !/^\s*(via|v)\s*:/i.test(l));
  kept.splice(1, 0, `Via: SIP/2.0/UDP 127.0.0.1:${peerPort};rport;branch=z9hG4bKfuzz${++branch}`);
  return Buffer.from(kept.join('\r\n') + rest, 'latin1');
}

/** Sends `raw` and waits for the final answer to its Call-ID. */
function callIdOfRaw(raw: Buffer): string | undefined {
  return /\r?\n(?:Call-ID|i)[ \t]*:[ \t]*([^\r\n]*)/i.exec(raw.toString('latin1'))?.[1].trim();
}

async function answerTo(raw: Buffer): Promise<Answer> {
  const msg = viaToUs(raw);
  const callId = callIdOfRaw(msg);
  const from = answers.length;
  peer.send(msg, uaPort, '127.0.0.1');
  return waitFor(() => answers.slice(from).find((a) => a.status >= 200 && a.callId === callId), { timeoutMs: 5000, what: `the final answer to ${callId}` });
}

function inviteWithSdp(name: string, sdp: string): Buffer {
  const body = sdp.replace(/\r?\n/g, '\r\n');
  return Buffer.from(
    [
      'INVITE sip:+15550100@127.0.0.1 SIP/2.0',
      'Max-Forwards: 70',
      'From: <sip:+15551230001@127.0.0.1>;tag=f',
      'To: <sip:+15550100@127.0.0.1>',
      `Call-ID: sdp-${name}@127.0.0.1`,
      'CSeq: 1 INVITE',
      'Contact: <sip:+15551230001@127.0.0.1>',
      'Content-Type: application/sdp',
      `Content-Length: ${Buffer.byteLength(body)}`,
      '',
      body,
    ].join('\r\n'),
  );
}

beforeAll(async () => {
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n')) if (line && JSON.parse(line).level >= 50) errors.push(JSON.parse(line));
      done();
    },
  });
  ua = new SipUserAgent({ clock: new ManualClock(), logger: createLogger({ level: 'warn', destination: sink }), listen: [{ transport: 'udp', host: '127.0.0.1', port: 0 }, { transport: 'tcp', host: '127.0.0.1', port: 0 }] });
  ua.onIncomingCall((call) => {
    try {
      const answer = negotiateAnswer(call.sdp ?? '', { localAddress: '127.0.0.1', localPort: 40000, codecPreference: ['PCMU', 'PCMA'] });
      call.accept(answer.answerSdp).catch(() => undefined); // no ACK ever comes: the clock never moves
    } catch (err) {
      call.reject(sipStatusOf(err));
    }
  });
  await ua.start();
  uaPort = ua.boundAddresses()[0].port;
  tcpPort = ua.boundAddresses().find((a) => a.transport === 'tcp')!.port;
  peer = createSocket('udp4');
  peer.on('message', (buf) => {
    const m = /^SIP\/2\.0 (\d{3}) ?([^\r\n]*)/.exec(buf.toString('latin1'));
    if (m) answers.push({ status: Number(m[1]), reason: m[2], callId: callIdOfRaw(buf) });
  });
  await new Promise<void>((res) => peer.bind(0, '127.0.0.1', () => res()));
  peerPort = peer.address().port;
});

afterAll(async () => {
  await ua.stop();
  await new Promise<void>((res) => peer.close(() => res()));
});

describe('the user agent under fuzzed requests', () => {
  it(`${RUNS} mutated requests: no handler throws, the agent still answers OPTIONS`, async () => {
    const requests = sipCorpus().filter((b) => !/^SIP\//.test(b.toString('latin1', 0, 8)));
    const inputs = fc.sample(mutated(requests, 4), { numRuns: RUNS, seed: SEED });
    const options = (n: number) =>
      Buffer.from(
        ['OPTIONS sip:127.0.0.1 SIP/2.0', 'Max-Forwards: 70', 'From: <sip:probe@127.0.0.1>;tag=p', 'To: <sip:127.0.0.1>', `Call-ID: alive-${n}@127.0.0.1`, 'CSeq: 1 OPTIONS', 'Content-Length: 0', '', ''].join('\r\n'),
      );
    // In batches, each followed by an OPTIONS: datagrams on loopback are handled in order, so its 200 says the
    // batch was handled and the agent is alive; a burst of all of them would overrun the socket's receive buffer.
    for (let i = 0; i < inputs.length; i += 20) {
      for (const input of inputs.slice(i, i + 20)) peer.send(viaToUs(input), uaPort, '127.0.0.1');
      expect((await answerTo(options(i))).status).toBe(200);
    }
    const statuses = new Map<number, number>();
    for (const a of answers) if (!a.callId?.startsWith('alive-')) statuses.set(a.status, (statuses.get(a.status) ?? 0) + 1);
    console.log(`ua fuzz: ${inputs.length} requests (seed ${SEED}); answers by status ${JSON.stringify(Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0])))}`);
    expect(answers.filter((a) => a.status === 500), 'a 500 means something threw inside (501 for an unknown method is right)').toEqual([]);
    expect(errors).toEqual([]);
  });

  it(`${RUNS} mutated requests over TCP (the stream framer's path): no handler throws, the agent still answers`, async () => {
    const requests = sipCorpus().filter((b) => !/^SIP\//.test(b.toString('latin1', 0, 8)));
    const inputs = fc.sample(mutated(requests, 4), { numRuns: RUNS, seed: SEED + 1 });
    // A connection per batch: a message that breaks framing makes the agent close the stream (by design).
    for (let i = 0; i < inputs.length; i += 20) {
      const socket = connect(tcpPort, '127.0.0.1');
      socket.on('data', () => undefined);
      socket.on('error', () => undefined);
      const closed = new Promise<void>((res) => socket.once('close', () => res()));
      await new Promise<void>((res) => socket.once('connect', () => res()));
      socket.end(Buffer.concat(inputs.slice(i, i + 20).flatMap((m) => [viaToUs(m), Buffer.from('\r\n')])));
      await closed;
      const probe = Buffer.from(
        ['OPTIONS sip:127.0.0.1 SIP/2.0', 'Max-Forwards: 70', 'From: <sip:probe@127.0.0.1>;tag=p', 'To: <sip:127.0.0.1>', `Call-ID: alive-tcp-${i}@127.0.0.1`, 'CSeq: 1 OPTIONS', 'Content-Length: 0', '', ''].join('\r\n'),
      );
      expect((await answerTo(probe)).status).toBe(200);
    }
    console.log(`ua fuzz over TCP: ${inputs.length} requests in ${Math.ceil(inputs.length / 20)} connections`);
    expect(errors).toEqual([]);
  });

  it.each([
    ['cseq-abcdefg.sip', 400],
    ['from-user-unparseable.sip', 400],
    ['multipart-no-sdp-part.sip', 415],
    ['multipart-no-boundary.sip', 415],
    ['session-expires-huge.sip', 200],
  ])('%s is answered %i', async (file, status) => {
    // A Call-ID of its own: the fuzz run above sent mutations of these fixtures, and a request that repeats one
    // of them (same From tag, Call-ID, CSeq, another branch) is rightly a merged request (482, §8.2.2.2).
    const raw = Buffer.from(readFileSync(`${FIXTURES}fuzz/sip/${file}`, 'latin1').replace(/\r\nCall-ID: /, '\r\nCall-ID: fixture-'), 'latin1');
    const answer = await answerTo(raw);
    expect(answer.status, answer.reason).toBe(status);
    expect(errors).toEqual([]);
  });

  it('a comma inside <...> in a Via param of a malformed request: a 400 comes back, the agent lives on', async () => {
    // rport (and a host name) make the agent stamp and rewrite this Via: the rewrite used to split it in two
    // and the 400 path threw out of the UDP socket's message handler.
    const raw = readFileSync(`${FIXTURES}fuzz/sip/via-comma-in-brackets.sip`, 'latin1').replace(';branch=', ';rport;branch=');
    const from = answers.length;
    peer.send(Buffer.from(raw, 'latin1'), uaPort, '127.0.0.1');
    const answer = await waitFor(() => answers.slice(from).find((a) => a.callId === 'fuzz-via-angle@192.0.2.10'), { timeoutMs: 5000, what: 'the 400' });
    expect(answer.status).toBe(400);
    expect(errors).toEqual([]);
  });

  it.each(['pt-4294967296.sdp', 'numeric-connection-address.sdp', 'numeric-profile.sdp', 'port-out-of-range.sdp'])('an INVITE offering %s is answered 488', async (file) => {
    const res = await answerTo(inviteWithSdp(file, readFileSync(`${FIXTURES}fuzz/sdp/${file}`, 'utf8')));
    expect(res.status, res.reason).toBe(488);
    expect(errors).toEqual([]);
  });
});
