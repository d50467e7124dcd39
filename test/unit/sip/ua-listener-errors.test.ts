import { afterEach, describe, expect, it } from 'vitest';
import { startHarness } from './helpers/ua-harness.js';
import { SDP_OFFER } from './helpers/raw-uac.js';

let h: Awaited<ReturnType<typeof startHarness>> | undefined;

afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('UA: call-control listeners that throw (safe emit)', () => {
  it('a throwing re-INVITE listener answers 500; the dialog lives on', async () => {
    h = await startHarness();
    const { callId, toTag, dialog } = await h.establish();
    dialog.on('reinvite', () => {
      throw new Error('call control bug');
    });
    h.send({ method: 'INVITE', cseq: 2, callId, branch: 'z9hG4bKthrow1', toTag, body: SDP_OFFER });
    await h.peer.response(500, 'INVITE');
    expect(dialog.terminated).toBe(false);
  });

  it('a throwing INFO listener neither stops the next listener nor the 200', async () => {
    h = await startHarness();
    const { callId, toTag, dialog } = await h.establish();
    const bodies: string[] = [];
    dialog.on('info', () => {
      throw new Error('call control bug');
    });
    dialog.on('info', (contentType) => bodies.push(contentType));
    h.send({ method: 'INFO', cseq: 2, callId, branch: 'z9hG4bKthrow2', toTag });
    await h.peer.response(200, 'INFO');
    expect(bodies).toEqual(['']);
    expect(dialog.terminated).toBe(false);
  });
});
