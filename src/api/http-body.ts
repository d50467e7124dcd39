/**
 * Bodies of the HTTP APIs: a request body read whole with a size cap (every JSON or form route reads its body
 * this way, so a client cannot make the bridge buffer more than it allows) and a stream sent as a response.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** The body, or undefined once it passes `max` bytes (the caller answers with its own error). */
export async function readBodyCapped(req: IncomingMessage, max: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > max) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/**
 * Sends `source` as the response body (headers already written). A failing source ends the response early (the
 * client sees a cut body, not a clean end) and is returned for the caller to log; a client that left is not an
 * error.
 */
export async function pipeToResponse(source: Readable, res: ServerResponse): Promise<Error | undefined> {
  try {
    await pipeline(source, res);
    return undefined;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ERR_STREAM_PREMATURE_CLOSE' ? undefined : (err as Error);
  }
}
