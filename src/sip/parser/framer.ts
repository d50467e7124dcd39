import { SipParseError } from '../../core/errors.js';
import type { SipMessage } from '../message/types.js';
import { findHeadEnd, skipLeadingCrlf } from './head.js';
import { parseSipMessage } from './parse.js';

export interface FramerOptions {
  /** Largest head+body accepted before the stream is declared broken. Default 64 KiB. */
  maxMessageBytes?: number;
}

/** One framing result: a message, or a parse error for a well-framed but malformed message. */
export type FramedItem = { message: SipMessage; raw: Buffer } | { error: SipParseError; raw: Buffer };

/**
 * Frames SIP messages on a stream transport (TCP/TLS, RFC 3261 §18.3: "In the case of stream-oriented
 * transports such as TCP, the Content-Length header field indicates the size of the body. All
 * stream-oriented transports MUST use Content-Length"). Feed chunks in; complete messages come out in order.
 * CRLF keep-alives between messages (RFC 5626 §3.5.1) are skipped.
 *
 * A head that cannot be framed (no or bad Content-Length, oversize) throws {@link SipParseError}: the byte
 * stream is then unrecoverable and the connection should be closed. A framed message that fails full
 * parsing is returned as an error item so the connection can answer 400 and go on.
 */
export class SipStreamFramer {
  private buffer: Buffer = Buffer.alloc(0);
  private readonly maxBytes: number;

  constructor(options: FramerOptions = {}) {
    this.maxBytes = options.maxMessageBytes ?? 64 * 1024;
  }

  /** Appends a chunk and returns every message now complete, parsed. */
  push(chunk: Buffer): FramedItem[] {
    return this.pushRaw(chunk).map((raw): FramedItem => {
      try {
        return { message: parseSipMessage(raw, { framing: 'exact' }), raw };
      } catch (err) {
        return { error: err as SipParseError, raw };
      }
    });
  }

  /**
   * Appends a chunk and returns the raw bytes of every message now complete, unparsed: transports run their
   * guards (budget, limits) before parsing.
   */
  pushRaw(chunk: Buffer): Buffer[] {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const out: Buffer[] = [];
    for (;;) {
      const start = skipLeadingCrlf(this.buffer);
      if (start > 0) this.buffer = this.buffer.subarray(start);
      if (this.buffer.length === 0) break;
      const headEnd = findHeadEnd(this.buffer);
      if (headEnd < 0) {
        if (this.buffer.length > this.maxBytes) throw new SipParseError('message head too large');
        break;
      }
      const length = headEnd + this.contentLength(this.buffer.subarray(0, headEnd));
      if (length > this.maxBytes) throw new SipParseError(`message of ${length} bytes too large`);
      if (this.buffer.length < length) break;
      out.push(Buffer.from(this.buffer.subarray(0, length)));
      this.buffer = this.buffer.subarray(length);
    }
    return out;
  }

  /** Bytes buffered waiting for the rest of a message. */
  get pendingBytes(): number {
    return this.buffer.length;
  }

  private contentLength(head: Buffer): number {
    const text = head.toString('latin1');
    const m = /(?:^|\n)(?:content-length|l)[ \t]*:[ \t]*([^\r\n]*)/i.exec(text);
    if (!m) throw new SipParseError('missing Content-Length on stream transport');
    const v = m[1].trim();
    if (!/^\d{1,9}$/.test(v)) throw new SipParseError(`bad Content-Length "${v}"`);
    return Number(v);
  }
}
