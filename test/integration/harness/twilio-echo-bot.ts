/**
 * A Twilio Media Streams bot as Twilio documents the protocol: skips `connected`, takes `start`, echoes each
 * second of caller μ-law back in 40 ms media messages with a mark after it (`answer-1`, `answer-2`, …).
 * Nothing here comes from trunkbridge's source: the messages are Twilio's.
 */
import type { WebSocket } from 'ws';

/** What Twilio's `start` message carries that the tests look at. */
export interface TwilioStart {
  streamSid: string;
  customParameters?: Record<string, string>;
}

export interface TwilioEchoOptions {
  /** Called with each `start` message. */
  onStart?: (start: TwilioStart) => void;
  /** Sends a `clear` this long after the first answer's mark (barge-in while it plays). */
  clearAfterFirstAnswerMs?: number;
}

/** Serves one bot socket: echoes every 50 media messages (1 s) back in 320-byte chunks, then a mark. */
export function twilioEchoBot(ws: WebSocket, options: TwilioEchoOptions = {}): void {
  let streamSid = '';
  let heard: Buffer[] = [];
  let answers = 0;
  ws.on('message', (data) => {
    const msg = JSON.parse(String(data)) as { event: string; start?: TwilioStart; media?: { payload: string } };
    if (msg.event === 'start') {
      streamSid = msg.start!.streamSid;
      options.onStart?.(msg.start!);
    }
    if (msg.event !== 'media') return;
    heard.push(Buffer.from(msg.media!.payload, 'base64'));
    if (heard.length < 50) return;
    const all = Buffer.concat(heard);
    heard = [];
    for (let i = 0; i < all.length; i += 320) ws.send(JSON.stringify({ event: 'media', streamSid, media: { payload: all.subarray(i, i + 320).toString('base64') } }));
    ws.send(JSON.stringify({ event: 'mark', streamSid, mark: { name: `answer-${++answers}` } }));
    const clearMs = options.clearAfterFirstAnswerMs;
    if (answers === 1 && clearMs !== undefined) setTimeout(() => ws.send(JSON.stringify({ event: 'clear', streamSid })), clearMs);
  });
}
