/**
 * The RIFF/WAVE header of a PCM recording (16-bit little-endian, interleaved). Pure: the file writer puts a header
 * with a zero length first and rewrites it with the real one when the recording is finished.
 */

/** Bytes of the canonical PCM header. */
export const WAV_HEADER_BYTES = 44;

/** Largest data chunk a RIFF file can describe (its sizes are 32-bit). */
export const WAV_MAX_DATA_BYTES = 0xffff_ffff - 36;

/**
 * The 44-byte header for `dataBytes` of 16-bit PCM at `sampleRate` with `channels` interleaved.
 * @throws RangeError for a length beyond what RIFF can hold, or an odd sample frame.
 */
export function wavHeader(o: { sampleRate: number; channels: number; dataBytes: number }): Buffer {
  const blockAlign = o.channels * 2;
  if (!Number.isInteger(o.dataBytes) || o.dataBytes < 0 || o.dataBytes > WAV_MAX_DATA_BYTES) throw new RangeError(`WAV data length out of range: ${o.dataBytes}`);
  if (o.dataBytes % blockAlign !== 0) throw new RangeError(`WAV data length ${o.dataBytes} is not a whole number of ${blockAlign}-byte frames`);
  const h = Buffer.alloc(WAV_HEADER_BYTES);
  h.write('RIFF', 0, 'ascii');
  h.writeUInt32LE(36 + o.dataBytes, 4);
  h.write('WAVEfmt ', 8, 'ascii');
  h.writeUInt32LE(16, 16); // fmt chunk size
  h.writeUInt16LE(1, 20); // PCM
  h.writeUInt16LE(o.channels, 22);
  h.writeUInt32LE(o.sampleRate, 24);
  h.writeUInt32LE(o.sampleRate * blockAlign, 28);
  h.writeUInt16LE(blockAlign, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36, 'ascii');
  h.writeUInt32LE(o.dataBytes, 40);
  return h;
}

/** Interleaved samples as the little-endian bytes of a WAV data chunk. */
export function pcmBytesLE(samples: Int16Array): Buffer {
  const out = Buffer.allocUnsafe(samples.length * 2);
  for (let i = 0; i < samples.length; i++) out.writeInt16LE(samples[i], i * 2);
  return out;
}
