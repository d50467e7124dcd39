export {
  parseRtcpCompound,
  writeSenderReport,
  writeReceiverReport,
  writeSdesCname,
  writeBye,
  looksLikeRtcp,
  ntpFromUnixMs,
  ntpMiddle32,
  RTCP_SR,
  RTCP_RR,
  RTCP_SDES,
  RTCP_BYE,
  type ReportBlock,
  type SenderInfo,
  type RtcpPacket,
} from './packet.js';
export { RtcpReporter, rtcpInterval, type RtcpReporterOptions, type MediaQuality, type RtcpInput } from './rtcp-reporter.js';
export { estimateMos, lossPercent, mosFromR, type MosInput } from './mos.js';
