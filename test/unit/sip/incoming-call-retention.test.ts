/**
 * The INVITE server transaction outlives the call (Timer L, 32 s after a 2xx; Timer H/I after an error) and
 * references the IncomingCall until then: once the final response is sent, call control's 'cancel' listeners are
 * dropped so they do not keep the whole call alive with it (found by the 10,000-call soak, test/soak/).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startHarness } from './helpers/ua-harness.js';
import { SDP_ANSWER } from './helpers/raw-uac.js';
import type { IncomingCall } from '../../../src/sip/ua/incoming-call.js';

/** The agent's own object behind the signal call control sees. */
const listeners = (call: unknown) => (call as IncomingCall).listenerCount('cancel');

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
    void call.accept(SDP_ANSWER).catch(() => undefined);
    await h.peer.response(200, 'INVITE');
    expect(listeners(call)).toBe(0);
  });

  it('rejected: no cancel listener is kept', async () => {
    h = await startHarness();
    const { call } = await h.invite();
    call.on('cancel', () => undefined);
    call.reject(486);
    await h.peer.response(486, 'INVITE');
    expect(listeners(call)).toBe(0);
  });
});
