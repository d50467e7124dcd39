/**
 * A new call's TwiML from its `Url` (Calls.json with `Url` instead of `Twiml`), requested the way Twilio requests
 * a voice webhook: the call's parameters (form-encoded for POST, in the query for GET) and `X-Twilio-Signature`
 * made with the account's auth token, so a bot server that validates Twilio's requests accepts ours. Twilio asks
 * once the call is answered; the bridge asks before it dials (it needs the bot first), so `CallStatus` is
 * "queued". Bounded: 5 s, 16 KiB.
 */
import { createHmac } from 'node:crypto';

/** How long the TwiML server may take, ms. */
export const TWIML_FETCH_TIMEOUT_MS = 5000;
/** Most of an answer read. */
const MAX_ANSWER_BYTES = 16 * 1024;

/** Twilio's request signature: HMAC-SHA1 of the URL (with the query of a GET) and, for POST, each sorted key and value. */
export function twilioSignature(authToken: string, url: string, postParams: Record<string, string> | undefined): string {
  const data = url + Object.keys(postParams ?? {}).sort().map((k) => k + postParams![k]).join('');
  return createHmac('sha1', authToken).update(data, 'utf8').digest('base64');
}

export interface TwimlRequest {
  url: string;
  method: 'GET' | 'POST';
  params: Record<string, string>;
  authToken: string;
  /** Default {@link TWIML_FETCH_TIMEOUT_MS}. */
  timeoutMs?: number;
}

/** The answer's text, or why there is none (no answer in time, not 2xx, too long, not XML). */
export async function fetchTwiml(r: TwimlRequest, fetchFn: typeof fetch = fetch): Promise<{ ok: true; text: string } | { ok: false; problem: string }> {
  const timeoutMs = r.timeoutMs ?? TWIML_FETCH_TIMEOUT_MS;
  let target = r.url;
  const headers: Record<string, string> = { 'User-Agent': 'trunkbridge (Twilio REST shim)', Accept: 'application/xml, text/xml' };
  let body: URLSearchParams | undefined;
  if (r.method === 'GET') {
    const u = new URL(r.url);
    for (const [k, v] of Object.entries(r.params)) u.searchParams.append(k, v);
    target = u.href;
    headers['X-Twilio-Signature'] = twilioSignature(r.authToken, target, undefined);
  } else {
    body = new URLSearchParams(r.params);
    headers['Content-Type'] = 'application/x-www-form-urlencoded';
    headers['X-Twilio-Signature'] = twilioSignature(r.authToken, target, r.params);
  }
  let res: Response;
  try {
    res = await fetchFn(target, { method: r.method, headers, ...(body ? { body } : {}), redirect: 'error', signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    const e = err as Error;
    return { ok: false, problem: e.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : `${e.message}${e.cause instanceof Error ? ` (${e.cause.message})` : ''}` };
  }
  if (res.status < 200 || res.status > 299) {
    await res.body?.cancel();
    return { ok: false, problem: `the TwiML server answered ${res.status}` };
  }
  const text = await readCapped(res);
  if (text === undefined) return { ok: false, problem: `an answer over ${MAX_ANSWER_BYTES} bytes` };
  return { ok: true, text };
}

async function readCapped(res: Response): Promise<string | undefined> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_ANSWER_BYTES) {
      await reader.cancel();
      return undefined;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}
