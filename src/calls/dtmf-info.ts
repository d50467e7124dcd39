/**
 * DTMF carried in SIP INFO bodies, the two forms carriers use (neither has an RFC; these follow the de-facto
 * formats of Cisco/Asterisk/FreeSWITCH):
 *
 *   application/dtmf-relay:  "Signal=5\r\nDuration=160\r\n"   (Duration in ms)
 *   application/dtmf:        "5"
 */

export interface InfoDtmf {
  digit: string;
  durationMs: number;
}

/** Duration reported when the body has none (application/dtmf never has one). */
export const INFO_DEFAULT_DURATION_MS = 100;

const KEY = /^[0-9*#A-D]$/;

/** The key press in an INFO body, or undefined when the body is not DTMF (or not a valid key). */
export function parseInfoDtmf(contentType: string, body: string): InfoDtmf | undefined {
  const type = contentType.split(';')[0].trim().toLowerCase();
  if (type === 'application/dtmf') {
    const digit = normalise(body.trim());
    return digit ? { digit, durationMs: INFO_DEFAULT_DURATION_MS } : undefined;
  }
  if (type !== 'application/dtmf-relay') return undefined;
  let digit: string | undefined;
  let durationMs = INFO_DEFAULT_DURATION_MS;
  for (const line of body.split(/\r?\n/)) {
    const eq = line.indexOf('=');
    if (eq < 0) continue;
    const name = line.slice(0, eq).trim().toLowerCase();
    const value = line.slice(eq + 1).trim();
    if (name === 'signal') digit = normalise(value);
    else if (name === 'duration' && /^\d{1,6}$/.test(value)) durationMs = Number(value);
  }
  return digit ? { digit, durationMs } : undefined;
}

/** Upper-cases A–D; some phones send event codes 10/11 for * and #. */
function normalise(v: string): string | undefined {
  const s = v === '10' ? '*' : v === '11' ? '#' : v.toUpperCase();
  return KEY.test(s) ? s : undefined;
}
