export {
  parseRtpPacket,
  writeRtpPacket,
  RTP_HEADER_SIZE,
  type RtpHeader,
  type ParsedRtpPacket,
  type RtpWriteFields,
} from './packet.js';
export { RtpPortPool, type RtpSocket, type RtpPortPoolOptions, type LastPacket } from './port-pool.js';
export { SequenceTracker } from './sequence-tracker.js';
export { RtpHold } from './rtp-hold.js';
export { classifyDatagram, countForeign, type DatagramKind, type ForeignPackets } from './demux.js';
