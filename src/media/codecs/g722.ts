/**
 * G.722 wideband (16 kHz audio, 64 kbit/s). RTP clock 8000 by RFC 3551's historical error (§4.5.2): one
 * payload byte = two 16 kHz samples = one 8 kHz clock tick. Static payload type 9, SDP name "G722/8000".
 */
import { G722DecoderState, G722EncoderState } from './g722-core.js';
import { allocInt16 } from '../pcm.js';
import { codecRegistry } from './registry.js';
import type { AudioCodec, AudioDecoder, AudioEncoder } from './types.js';

class G722Decoder implements AudioDecoder {
  private readonly state = new G722DecoderState();
  decode(payload: Buffer): Int16Array {
    const out = allocInt16(payload.length * 2);
    this.state.decode(payload, out);
    return out;
  }
}

class G722Encoder implements AudioEncoder {
  private readonly state = new G722EncoderState();
  encode(pcm: Int16Array): Buffer {
    const out = Buffer.allocUnsafe(pcm.length >> 1);
    this.state.encode(pcm, out);
    return out;
  }
}

export const G722: AudioCodec = {
  name: 'G722',
  clockRate: 8000,
  sampleRate: 16000,
  channels: 1,
  staticPayloadType: 9,
  rtpDuration: (payload) => payload.length,
  createDecoder: () => new G722Decoder(),
  createEncoder: () => new G722Encoder(),
};

codecRegistry.register(G722);
