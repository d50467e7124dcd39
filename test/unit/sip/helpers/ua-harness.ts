/** A SipUserAgent on 127.0.0.1:0 driven by a ManualClock, plus a raw peer acting as the carrier. */
import type { IncomingCallSignal } from '../../../../src/calls/signaling.js';
import { ManualClock } from '../../../../src/core/clock.js';
import { silentLogger } from '../../../../src/core/logger.js';
import { tagOf, toOf } from '../../../../src/sip/message/accessors.js';
import { SipUserAgent, type SipUserAgentOptions } from '../../../../src/sip/ua/user-agent.js';
import { RawPeer, requestText, SDP_ANSWER, SDP_OFFER, type RequestText } from './raw-uac.js';
import { waitFor } from '../../../helpers/wait-for.js';

let counter = 0;

export async function startHarness(options: Partial<SipUserAgentOptions> = {}) {
  const clock = new ManualClock();
  const ua = new SipUserAgent({ clock, logger: silentLogger(), listen: [{ transport: 'udp', host: '127.0.0.1', port: 0 }], ...options });
  const calls: IncomingCallSignal[] = [];
  ua.onIncomingCall((c) => calls.push(c));
  await ua.start();
  const uaPort = ua.boundAddresses()[0].port;
  const peer = new RawPeer();
  await peer.bind();

  const ids = () => {
    counter++;
    return { callId: `h-${counter}-${Date.now()}@127.0.0.1`, branch: `z9hG4bKh${counter}x${Date.now()}` };
  };
  const send = (r: Omit<RequestText, 'port'>) => peer.send(requestText({ ...r, port: peer.port }), uaPort);

  async function waitForCall(callId: string, ms = 2000): Promise<IncomingCallSignal> {
    return waitFor(() => calls.find((x) => x.callId === callId), { timeoutMs: ms, intervalMs: 5, what: `call ${callId}` });
  }

  /** INVITE → 100 → call. */
  async function invite(extra: Partial<RequestText> = {}) {
    const id = ids();
    send({ method: 'INVITE', cseq: 1, body: SDP_OFFER, ...id, ...extra });
    await peer.response(100);
    const call = await waitForCall(id.callId);
    return { ...id, call };
  }

  /** INVITE, accept, 200, ACK: an established dialog. */
  async function establish() {
    const { callId, call } = await invite();
    const accepted = call.accept(SDP_ANSWER);
    const ok = await peer.response(200, 'INVITE');
    const toTag = tagOf(toOf(ok)) ?? '';
    send({ method: 'ACK', cseq: 1, callId, branch: `z9hG4bKack${callId}`, toTag });
    const dialog = await accepted;
    return { callId, toTag, dialog, call };
  }

  async function close() {
    await ua.stop();
    await peer.close();
  }

  return { clock, ua, uaPort, peer, calls, ids, send, invite, establish, waitForCall, close };
}
