import type { SipMessage } from './types.js';

/**
 * Serializes a message to wire bytes: start line, headers in order (names as stored), CRLF line ends,
 * and a Content-Length computed from the body (§20.14: always sent, so stream transports can frame).
 * Any Content-Length already in the headers is dropped and the computed one is written last.
 */
export function serializeSipMessage(msg: SipMessage): Buffer {
  const startLine =
    msg.kind === 'request' ? `${msg.method} ${msg.uri} ${msg.version}` : `${msg.version} ${msg.status} ${msg.reason}`;
  const lines = [startLine];
  for (const [name, value] of msg.headers.entries()) {
    const lower = name.toLowerCase();
    if (lower === 'content-length' || lower === 'l') continue;
    lines.push(value === '' ? `${name}:` : `${name}: ${value}`);
  }
  lines.push(`Content-Length: ${msg.body.length}`);
  const head = Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'utf8');
  return msg.body.length === 0 ? head : Buffer.concat([head, msg.body]);
}
