export { SrtpContext, SrtpSession, SrtpError, deriveSessionKey, SRTP_SUITES, SRTP_KEY_SALT_BYTES, type SrtpSuite } from './srtp-context.js';
