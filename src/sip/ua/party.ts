import type { NameAddr, SipUri } from '../message/uri.js';
import { decodeUser, formatUri } from '../message/uri.js';

/** Routing identity (structurally calls/ PartyInfo). */
export interface Party {
  user: string;
  host: string;
  uri: string;
  displayName?: string;
}

/** A From/To name-addr reduced to routing facts; the user part is percent-decoded ("%2B1555" → "+1555"). */
export function partyFromNameAddr(addr: NameAddr): Party {
  const party = partyFromUri(addr.uri, formatUri(addr.uri));
  if (addr.displayName !== undefined && addr.displayName !== '') party.displayName = addr.displayName;
  return party;
}

/** A URI reduced to routing facts; `text` is the URI as written (Request-URI). */
export function partyFromUri(uri: SipUri, text: string): Party {
  return { user: decodeUser(uri.user), host: uri.host, uri: text };
}
