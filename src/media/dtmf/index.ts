/** DTMF over RTP (RFC 4733 telephone-event): payload codec, receiver (key presses once each) and sender. */
export * from './telephone-event.js';
export { TelephoneEventReceiver, type DtmfPress, type TelephoneEventPacket } from './telephone-event-receiver.js';
export {
  TelephoneEventSender,
  MAX_DTMF_DURATION_MS,
  MIN_DTMF_DURATION_MS,
  type TelephoneEventSenderOptions,
  type TelephoneEventSlot,
} from './telephone-event-sender.js';
