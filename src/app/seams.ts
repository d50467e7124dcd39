/**
 * The composition root's compile-time half (no runtime code). Layers that may not import each other meet in
 * app.ts, where structural typing lets one layer's values flow into another's ports. Each check below names
 * one such seam, so a shape that drifts fails here, with both types in the message, instead of somewhere
 * inside app.ts's wiring or not at all (an optional method, a bivariant parameter).
 */
import type { BotDefinition, DialectName } from '../bot/index.js';
import type {
  DialogSignal,
  IncomingCallSignal,
  OutgoingCallRequest,
  OutgoingCallSignal,
  SignalingEngine,
} from '../calls/signaling.js';
import type { BotProtocol, Config, FallbackConfig } from '../config/index.js';
import type { BotFallback } from '../calls/bot-fallback.js';
import type { DigestServer } from '../sip/auth/digest-server.js';
import type { DialogSession } from '../sip/ua/dialog-session.js';
import type { IncomingCall } from '../sip/ua/incoming-call.js';
import type { OutgoingCall } from '../sip/ua/outgoing-call.js';
import type { OutgoingCallRequest as SipOutgoingCallRequest } from '../sip/ua/types.js';
import type { SipUserAgent } from '../sip/ua/user-agent.js';
import type { DigestVerifier, InboundTrunkConfig, OutboundTrunkConfig } from '../trunks/index.js';
import type { SipGuardReason } from '../sip/security/ingress.js';
import type { SipGuardLabel } from '../metrics/index.js';

/** Compiles only when `T` is assignable to `Port`. */
type Fits<T extends Port, Port> = T;

/** sip/ua is call control's signaling engine (calls/signaling.ts), object by object. */
type SipFitsSignalingPort = [
  Fits<SipUserAgent, SignalingEngine>,
  Fits<IncomingCall, IncomingCallSignal>,
  Fits<DialogSession, DialogSignal>,
  Fits<OutgoingCall, OutgoingCallSignal>,
  // Method parameters are compared bivariantly above; this is the direction that matters: whatever call
  // control asks for, the UA can place.
  Fits<OutgoingCallRequest, SipOutgoingCallRequest>,
];

/** sip/auth's digest server is the verifier inbound routing asks for (trunks/digest-verifier.ts). */
type DigestFitsRouting = Fits<DigestServer, DigestVerifier>;

/** Parsed config fits what trunks/ and bot/ declare they read (neither imports config/). */
type ConfigFitsLayers = [
  Fits<Config['inboundTrunks'][number], InboundTrunkConfig>,
  Fits<Config['outboundTrunks'][number], OutboundTrunkConfig>,
  Fits<Config['bots'][string], BotDefinition>,
  // The number's/trunk's `fallback` is what call control runs when the bot is gone.
  Fits<FallbackConfig, BotFallback>,
];

/**
 * config's protocol names and bot/'s dialect registry are one list: a dialect config cannot name fails here,
 * and so does a name config accepts that no dialect implements.
 */
type ProtocolNamesAgree = [Fits<BotProtocol, DialectName>, Fits<DialectName, BotProtocol>];

/** Every reason a SIP guard reports has its own metric label (none collapses to 'other'), and no label is unused. */
type GuardReasonsLabelled = [Fits<SipGuardReason, SipGuardLabel>, Fits<SipGuardLabel, SipGuardReason>];

export type { GuardReasonsLabelled, SipFitsSignalingPort, DigestFitsRouting, ConfigFitsLayers, ProtocolNamesAgree };
