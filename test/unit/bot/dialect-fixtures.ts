/** Shared inputs for the dialect table tests: a fixed call, fixed randomness, and G.711 byte helpers. */
import alawmulaw from 'alawmulaw';
import type { DialectContext, StartMessage } from '../../../src/bot/index.js';

export const CALL_ID = '0f8e2a4c-1b3d-4e5f-8a9b-0c1d2e3f4a5b';

/** Deterministic "random" bytes: 0x00, 0x01, ... so stream ids are known in advance. */
export function countingBytes(n: number): Buffer {
  return Buffer.from(Array.from({ length: n }, (_, i) => i));
}

export function context(extra: Partial<DialectContext> = {}): DialectContext {
  return {
    callId: CALL_ID,
    botName: 'support',
    sampleRate: 8000,
    parameters: {},
    randomBytes: countingBytes,
    wallClock: () => Date.UTC(2025, 5, 5, 8, 54, 19, 698),
    ...extra,
  };
}

export const START: StartMessage = {
  type: 'start',
  callId: CALL_ID,
  sipCallId: 'sip-1@carrier',
  from: '+15551230001',
  to: '+15550100',
  trunk: 'carrier-a',
  direction: 'inbound',
  headers: { 'X-Customer-Id': 'cust-42' },
  media: { encoding: 'L16', sampleRate: 8000, channels: 1, frameMs: 20 },
};

/** One 20 ms L16 frame at 8 kHz holding `value` in every sample. */
export function l16Frame(value: number, samples = 160): Buffer {
  const b = Buffer.alloc(samples * 2);
  for (let i = 0; i < samples; i++) b.writeInt16LE(value, i * 2);
  return b;
}

/** `n` G.711 bytes of `sample` encoded by the reference library, base64 (what a provider would put in a payload). */
export function g711Payload(law: 'PCMU' | 'PCMA', sample: number, n: number): string {
  const lib = law === 'PCMU' ? alawmulaw.mulaw : alawmulaw.alaw;
  return Buffer.alloc(n, lib.encodeSample(sample)).toString('base64');
}

/** The L16 a G.711 byte of `sample` decodes to, `n` times (what the bridge should hand the media path). */
export function decodedL16(law: 'PCMU' | 'PCMA', sample: number, n: number): Buffer {
  const lib = law === 'PCMU' ? alawmulaw.mulaw : alawmulaw.alaw;
  return l16Frame(lib.decodeSample(lib.encodeSample(sample)), n);
}
