/**
 * Secrets taken out of a SIP message's text before it is logged: digest credentials (the response hash and
 * cnonce a replay would need) and SDES SRTP keys in SDP. Pure: text in, text out.
 */

/** Authorization/Proxy-Authorization: keep who and which realm, drop the proof. */
const AUTH_HEADER = /^((?:Proxy-)?Authorization\s*:)(.*)$/gim;
const AUTH_SECRET_PARAMS = /\b(response|cnonce)\s*=\s*("[^"]*"|[^,\s]+)/gi;
/** RFC 4568 a=crypto: the inline key and salt. */
const SDES_KEY = /^(a=crypto:\S+\s+\S+\s+inline:)([^|\s]+)/gim;

export function redactSipText(text: string): string {
  return text
    .replace(AUTH_HEADER, (_m, name: string, value: string) => `${name}${value.replace(AUTH_SECRET_PARAMS, '$1="[redacted]"')}`)
    .replace(SDES_KEY, '$1[redacted]');
}
