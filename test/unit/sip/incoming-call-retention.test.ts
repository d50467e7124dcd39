/**
 * The INVITE server transaction outlives the call (Timer L, 32 s after a 2xx; Timer H/I after an error) and
 * references the IncomingCall until then: once the final response is sent, call control's 'cancel' listeners are
 * dropped so they do not keep the whole call alive with it (found by the 10,000-call soak, test/soak/).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startHarness } from './helpers/ua-harness.js';
import { SDP_ANSWER } from './helpers/raw-uac.js';
import type { IncomingCall } from '../../../src/sip/ua/incoming-call.js';
import type { InviteServerTransaction } from '../../../src/sip/transaction/invite-server.js';

/** The agent's own object behind the signal call control sees. */
const listeners = (call: unknown) => (call as IncomingCall).listenerCount('cancel');
/** What still points from the INVITE transaction (and the UA's CANCEL table) at the call. */
function holders(call: unknown, ua: unknown): { txTerminatedListeners: number; cancellable: boolean } {
  const tx = (call as unknown as { tx: InviteServerTransaction }).tx;
  const table = (ua as { cancellables: Map<string, unknown> }).cancellables;
  return { txTerminatedListeners: tx.listenerCount('terminated'), cancellable: table.has(tx.id) };
}

describe('IncomingCall after its final response', () => {
  let h: Awaited<ReturnType<typeof startHarness>> | undefined;

  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('accepted: no cancel listener is kept', async () => {
    h = await startHarness();
    const { call } = await h.invite();
    call.on('cancel', () => undefined);
    expect(listeners(call)).toBe(1);
    const before = holders(call, h.ua);
    expect(before.cancellable).toBe(true);
    void call.accept(SDP_ANSWER).catch(() => undefined);
    await h.peer.response(200, 'INVITE');
    expect(listeners(call)).toBe(0);
    // The transaction lives on for Timer L (32 s) without a path back to the call or its INVITE.
    expect(holders(call, h.ua)).toEqual({ txTerminatedListeners: before.txTerminatedListeners - 1, cancellable: false });
  });

  it('rejected: no cancel listener is kept', async () => {
    h = await startHarness();
    const { call } = await h.invite();
    call.on('cancel', () => undefined);
    const before = holders(call, h.ua);
    call.reject(486);
    await h.peer.response(486, 'INVITE');
    expect(listeners(call)).toBe(0);
    expect(holders(call, h.ua)).toEqual({ txTerminatedListeners: before.txTerminatedListeners - 1, cancellable: false });
  });
});
