/**
 * Webhook signatures, Stripe's scheme: `Trunkbridge-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret,
 * "<t>.<raw body>")>`. The timestamp is signed with the body, so a receiver that refuses old timestamps (README:
 * 5 minutes) cannot be fed a captured request later; every retry is signed afresh.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'Trunkbridge-Signature';
export const EVENT_ID_HEADER = 'Trunkbridge-Event-Id';
/** How old a signed timestamp a receiver should accept, s (the README's recipes use it). */
export const REPLAY_WINDOW_SEC = 300;

/** The header value for `body` sent at `timestampSec`. */
export function signWebhook(secret: string, timestampSec: number, body: string): string {
  const t = Math.floor(timestampSec);
  return `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`;
}

/**
 * True when `header` signs `body` with `secret` and its timestamp is within `toleranceSec` of `nowSec`. Any
 * `v1=` entry may match (a receiver rotating secrets may get several); unknown schemes are ignored.
 */
export function verifyWebhook(header: string, secret: string, body: string, nowSec: number, toleranceSec = REPLAY_WINDOW_SEC): boolean {
  const parts = header.split(',').map((p) => p.trim().split('='));
  const t = parts.find(([k]) => k === 't')?.[1] ?? '';
  if (!/^\d{1,12}$/.test(t) || Math.abs(nowSec - Number(t)) > toleranceSec) return false;
  const want = Buffer.from(createHmac('sha256', secret).update(`${t}.${body}`).digest('hex'));
  return parts.some(([k, v]) => k === 'v1' && v !== undefined && v.length === want.length && timingSafeEqual(Buffer.from(v), want));
}
