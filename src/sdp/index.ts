/** SDP offer/answer for audio. Knows codecs (media/codecs) but nothing of SIP, bots or calls. */
export {
  negotiateAnswer,
  chooseCodec,
  chooseTelephoneEvent,
  TELEPHONE_EVENT_FMTP,
  type NegotiatedMedia,
  type NegotiateOptions,
  type SrtpPolicy,
} from './negotiate.js';
export { isSdesSrtp, readCrypto, chooseCrypto, answerCrypto, type OfferedCrypto } from './crypto.js';
export { createOffer, parseAnswer, type CreateOfferOptions, type AnsweredMedia } from './offer.js';
export { listFormats, mirrorDirection, type MediaDirection, type OfferedFormat } from './media-description.js';
