import { SipParseError } from '../../core/errors.js';
import type { SipMessage } from '../message/types.js';
import { findHeadEnd, skipLeadingCrlf } from './head.js';
import { parseSipMessage } from './parse.js';

export interface FramerOptions {
  /** Largest head+body accepted before the stream is declared broken. Default 64 KiB. */
  maxMessageBytes?: number;
}

/**
 * One framing result: a message, a parse error for a well-framed but malformed message, or (`fatal`, always
 * last) the point where the stream could no longer be framed, with the bytes from there on.
 */
export type FramedItem = { message: SipMessage; raw: Buffer } | { error: SipParseError; raw: Buffer; fatal?: true };

/** What one chunk completed: the raw messages framed, then `lost` if framing broke after them. */
export interface RawFrames {
  frames: Buffer[];
  /** The stream cannot be framed from here on (no/bad Content-Length, oversize): close the connection. */
  lost?: SipParseError;
  /** With `lost`: the buffered bytes from the message that broke framing on. */
  rest?: Buffer;
}

/**
 * Frames SIP messages on a stream transport (TCP/TLS, RFC 3261 §18.3: "In the case of stream-oriented
 * transports such as TCP, the Content-Length header field indicates the size of the body. All
 * stream-oriented transports MUST use Content-Length"). Feed chunks in; complete messages come out in order.
 * CRLF keep-alives between messages (RFC 5626 §3.5.1) are skipped.
 *
 * A head that cannot be framed (no or bad Content-Length, oversize) ends the stream: the messages complete
 * before it in the same chunk still come out, then `lost` (the connection should be closed; later pushes
 * return nothing but the same error). A framed message that fails full parsing is returned as an error item
 * so the connection can answer 400 and go on.
 */
export class SipStreamFramer {
  private buffer: Buffer = Buffer.alloc(0);
  private readonly maxBytes: number;
  private lost: SipParseError | undefined;

  constructor(options: FramerOptions = {}) {
    this.maxBytes = options.maxMessageBytes ?? 64 * 1024;
  }

  /** Appends a chunk and returns every message now complete, parsed; a broken stream ends with a fatal item. */
  push(chunk: Buffer): FramedItem[] {
    const { frames, lost, rest } = this.pushRaw(chunk);
    const items = frames.map((raw): FramedItem => {
      try {
        return { message: parseSipMessage(raw, { framing: 'exact' }), raw };
      } catch (err) {
        return { error: err as SipParseError, raw };
      }
    });
    if (lost) items.push({ error: lost, raw: rest ?? Buffer.alloc(0), fatal: true });
    return items;
  }

  /**
   * Appends a chunk and returns the raw bytes of every message now complete, unparsed (transports run their
   * guards (budget, limits) before parsing), and whether framing broke after them.
   */
  pushRaw(chunk: Buffer): RawFrames {
    if (this.lost) return { frames: [], lost: this.lost, rest: this.buffer };
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const frames: Buffer[] = [];
    try {
      this.frameBuffered(frames);
    } catch (err) {
      this.lost = err instanceof SipParseError ? err : new SipParseError(String(err));
      return { frames, lost: this.lost, rest: this.buffer };
    }
    return { frames };
  }

  /** Cuts every complete message off the buffer into `out`; throws when the head cannot be framed. */
  private frameBuffered(out: Buffer[]): void {
    for (;;) {
      const start = skipLeadingCrlf(this.buffer);
      if (start > 0) this.buffer = this.buffer.subarray(start);
      if (this.buffer.length === 0) return;
      const headEnd = findHeadEnd(this.buffer);
      if (headEnd < 0) {
        if (this.buffer.length > this.maxBytes) throw new SipParseError('message head too large');
        return;
      }
      const length = headEnd + this.contentLength(this.buffer.subarray(0, headEnd));
      if (length > this.maxBytes) throw new SipParseError(`message of ${length} bytes too large`);
      if (this.buffer.length < length) return;
      out.push(Buffer.from(this.buffer.subarray(0, length)));
      this.buffer = this.buffer.subarray(length);
    }
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
