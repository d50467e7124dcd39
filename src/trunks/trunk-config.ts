/**
 * The trunk vocabulary: what routing and call control read about a trunk. trunks/ owns these shapes and never
 * imports config/; config/'s parsed values fit them structurally, checked where the composition root joins
 * the two (src/app/seams.ts). Optional fields are the ones routing has a default for.
 */

/** Digest algorithms a trunk may offer in its challenges (RFC 8760), most preferred first. */
export type TrunkDigestAlgorithm = 'SHA-256' | 'MD5';

/** Where a `mode: pstn` trunk or DID sends its calls (no bot): a SIP URI, or a number through an outbound trunk. */
export interface ForwardToConfig {
  readonly uri?: string;
  readonly number?: string;
  /** Outbound trunk for `number`. */
  readonly trunk?: string;
  /** Digest credentials for the leg we place. */
  readonly auth?: { readonly username: string; readonly password: string };
  /** Seconds to ring the forward target before the caller gets 408. */
  readonly ringTimeoutSec: number;
}

/** One dialed number on an inbound trunk: a bot (mode flow) or a forward target (mode pstn). */
export interface InboundNumberConfig {
  readonly bot?: string;
  readonly mode?: 'flow' | 'pstn';
  readonly forwardTo?: ForwardToConfig;
}

/** An inbound trunk as the router reads it. */
export interface InboundTrunkConfig {
  readonly name: string;
  /** Source IPs, CIDRs or host names allowed to send INVITEs. Empty: digest credentials only. */
  readonly allow: readonly string[];
  /** SIP users that may send calls (digest); with `allow` both must pass. */
  readonly credentials?: ReadonlyArray<{ readonly username: string; readonly password: string }>;
  /** Default SHA-256 then MD5. */
  readonly digestAlgorithms?: readonly TrunkDigestAlgorithm[];
  /** Digest realm; defaults to `domain`, else the trunk name. */
  readonly realm?: string;
  /** SIP domain this trunk owns (lower case). */
  readonly domain?: string;
  /** ISO 3166 country for reading national numbers. */
  readonly country?: string;
  /** A header naming the bot for the call, checked before numbers. */
  readonly routingHeader?: string;
  readonly requireE164From?: boolean;
  readonly mode?: 'flow' | 'pstn';
  /** pstn mode: where calls go. */
  readonly forwardTo?: ForwardToConfig;
  /** Bot for numbers not listed in `numbers`. */
  readonly bot?: string;
  readonly numbers: Readonly<Record<string, InboundNumberConfig>>;
}

/** An outbound trunk as resolved after parsing: `route` strings are expanded into host/port/transport/proxy. */
export interface OutboundTrunkConfig {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  /** The port was configured (not the 5060/5061 default): RFC 3263 SRV lookup is skipped. Absent: true. */
  readonly explicitPort?: boolean;
  readonly transport: 'udp' | 'tcp' | 'tls';
  readonly proxy?: { readonly host: string; readonly port: number; readonly explicitPort?: boolean };
  readonly auth?: { readonly username: string; readonly password: string };
  readonly callerId?: string;
  readonly numberFormat: 'e164' | 'e164-no-plus' | 'national';
  readonly country?: string;
  readonly headers: Readonly<Record<string, string>>;
}
