import type { SipMessage } from '../message/types.js';

/** Size limits every incoming message is held to (RFC 3261 leaves them to the implementation). */
export interface SipMessageLimits {
  /** Bytes of one message: one UDP datagram or one framed TCP/TLS message (default 16 KiB, as Kamailio). */
  maxMessageBytes: number;
  /** Header fields in one message (default 128). */
  maxHeaders: number;
  /** Bytes of one header field's value (default 4096; a STIR/SHAKEN Identity header is about 1 KB). */
  maxHeaderBytes: number;
  /** Via entries (default 20: a request through that many proxies is looping or forged). */
  maxVias: number;
  /** Body bytes (default 10 KiB; an SDP offer with every codec is about 2 KB). */
  maxBodyBytes: number;
}

export const DEFAULT_MESSAGE_LIMITS: SipMessageLimits = {
  maxMessageBytes: 16 * 1024,
  maxHeaders: 128,
  maxHeaderBytes: 4096,
  maxVias: 20,
  maxBodyBytes: 10 * 1024,
};

/** A limit a message broke, the status a request gets for it, and the metric/log reason. */
export interface LimitBreach {
  reason: 'too-many-headers' | 'header-too-long' | 'too-many-vias' | 'body-too-large';
  /** 513 Message Too Large (§21.5.14) for the head, 413 Request Entity Too Large (§21.4.11) for the body. */
  status: 413 | 513;
  detail: string;
}

/** The first limit `msg` breaks, or undefined. Pure. */
export function checkMessageLimits(msg: SipMessage, limits: SipMessageLimits): LimitBreach | undefined {
  const entries = msg.headers.entries();
  if (entries.length > limits.maxHeaders) {
    return { reason: 'too-many-headers', status: 513, detail: `${entries.length} header fields (limit ${limits.maxHeaders})` };
  }
  for (const [name, value] of entries) {
    if (value.length > limits.maxHeaderBytes) {
      return { reason: 'header-too-long', status: 513, detail: `${name.slice(0, 40)} of ${value.length} bytes (limit ${limits.maxHeaderBytes})` };
    }
  }
  // Every Via element, however the lines group them (commas inside quotes do not split).
  const vias = msg.headers.getList('Via').length;
  if (vias > limits.maxVias) return { reason: 'too-many-vias', status: 513, detail: `${vias} Via entries (limit ${limits.maxVias})` };
  if (msg.body.length > limits.maxBodyBytes) {
    return { reason: 'body-too-large', status: 413, detail: `body of ${msg.body.length} bytes (limit ${limits.maxBodyBytes})` };
  }
  return undefined;
}
