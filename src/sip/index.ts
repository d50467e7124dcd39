/** Public surface of trunkbridge's SIP stack (RFC 3261, UAS side). */
export { SipUserAgent, type SipUserAgentOptions } from './ua/user-agent.js';
export { IncomingCall } from './ua/incoming-call.js';
export { DialogSession } from './ua/dialog-session.js';
export { parseSipMessage, type ParseOptions } from './parser/parse.js';
export { SipStreamFramer, type FramedItem } from './parser/framer.js';
export { serializeSipMessage } from './message/serialize.js';
export { SipHeaders } from './message/headers.js';
export { buildResponse, type ResponseOptions } from './message/build.js';
export { parseUri, formatUri, parseNameAddr, formatNameAddr, decodeUser, type SipUri, type NameAddr } from './message/uri.js';
export { parseVia, formatVia, type Via } from './message/via.js';
export type { SipMessage, SipRequest, SipResponse } from './message/types.js';
export { UdpTransport, type UdpTransportOptions } from './transport/udp.js';
export type { Transport, SipEndpoint, Destination, SipTransportName } from './transport/transport.js';
export { TransactionLayer, type TransactionUser, type MessageContext } from './transaction/layer.js';
export { DEFAULT_SIP_TIMERS, type SipTimerConfig } from './transaction/common.js';
