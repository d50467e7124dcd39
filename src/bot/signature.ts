/**
 * Signed start: with a per-bot `secret`, every WebSocket upgrade the bridge makes carries an HMAC-SHA256 over the
 * call id, a timestamp and the bot's URL, so a bot can tell a call really came from its bridge (as Twilio's
 * X-Twilio-Signature does) before it reads a frame. README "Signed start" has the verification recipes.
 *
 *   X-Trunkbridge-Call-Id:   <callId>
 *   X-Trunkbridge-Timestamp: <Unix seconds>
 *   X-Trunkbridge-Signature: v1=<hex HMAC-SHA256(secret, "<timestamp>.<callId>.<url>")>
 *
 * `url` is the bot's `url` exactly as configured (query string included). A reconnect signs again, with a new
 * timestamp.
 */
import { createHmac } from 'node:crypto';

/** Header names (lower case, as Node servers see them). */
export const SIGNATURE_HEADERS = {
  callId: 'x-trunkbridge-call-id',
  timestamp: 'x-trunkbridge-timestamp',
  signature: 'x-trunkbridge-signature',
} as const;

/** The three headers for one upgrade request. `nowMs`: wall-clock milliseconds since the epoch. */
export function signedStartHeaders(secret: string, callId: string, url: string, nowMs: number): Record<string, string> {
  const timestamp = String(Math.floor(nowMs / 1000));
  const mac = createHmac('sha256', secret).update(`${timestamp}.${callId}.${url}`).digest('hex');
  return {
    [SIGNATURE_HEADERS.callId]: callId,
    [SIGNATURE_HEADERS.timestamp]: timestamp,
    [SIGNATURE_HEADERS.signature]: `v1=${mac}`,
  };
}
