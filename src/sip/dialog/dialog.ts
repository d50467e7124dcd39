import { randomInt } from 'node:crypto';
import { SipParseError } from '../../core/errors.js';
import { callIdOf, contactsOf, cseqOf, fromOf, tagOf, toOf } from '../message/accessors.js';
import { withTag } from '../message/build.js';
import { SipHeaders } from '../message/headers.js';
import type { SipRequest, SipResponse } from '../message/types.js';
import { formatUri, parseNameAddr, parseUri, type SipUri } from '../message/uri.js';
import type { Destination } from '../transport/transport.js';

/** Dialog ID (§12): Call-ID, local tag, remote tag. */
export function dialogKey(callId: string, localTag: string, remoteTag: string): string {
  return `${callId}|${localTag}|${remoteTag}`;
}

export interface InDialogRequestOptions {
  /** Extra headers, appended in order (Contact, Content-Type... as the method needs). */
  headers?: ReadonlyArray<readonly [string, string]>;
  body?: Buffer | string;
  contentType?: string;
}

/**
 * Dialog state (RFC 3261 §12.1) as seen by the UAS that accepted an INVITE, and the §12.2.1.1 rules for
 * building requests inside it.
 */
export class Dialog {
  readonly callId: string;
  readonly localTag: string;
  readonly remoteTag: string;
  /** Our side's From value for requests we send (the INVITE's To plus our tag). */
  readonly localParty: string;
  /** The peer's To value for requests we send (the INVITE's From, tag included). */
  readonly remoteParty: string;
  /** Highest CSeq number received from the peer. */
  remoteSeq: number;
  /** Last CSeq number we used (§12.1.1: empty for a UAS until it sends; we pick a random start). */
  localSeq: number;
  /** Peer's Contact URI text (§12.1.1 "remote target"). */
  remoteTarget: string;
  /** Record-Route entries in request order, e.g. "<sip:p1.example.com;lr>" (§12.1.1). */
  readonly routeSet: readonly string[];

  private constructor(init: {
    callId: string;
    localTag: string;
    remoteTag: string;
    localParty: string;
    remoteParty: string;
    remoteSeq: number;
    remoteTarget: string;
    routeSet: string[];
  }) {
    this.callId = init.callId;
    this.localTag = init.localTag;
    this.remoteTag = init.remoteTag;
    this.localParty = init.localParty;
    this.remoteParty = init.remoteParty;
    this.remoteSeq = init.remoteSeq;
    this.remoteTarget = init.remoteTarget;
    this.routeSet = init.routeSet;
    this.localSeq = randomInt(1, 2 ** 20);
  }

  /**
   * §12.1.1 UAS behavior: "The route set MUST be set to the list of URIs in the Record-Route header field
   * from the request, taken in order and preserving all URI parameters ... The remote target MUST be set to
   * the URI from the Contact header field of the request ... The remote sequence number MUST be set to the
   * value of the sequence number in the CSeq header field of the request ... The remote URI MUST be set to
   * the URI in the From field, and the local URI MUST be set to the URI in the To field."
   * Throws {@link SipParseError} when the INVITE has no usable Contact (§8.1.1.8 makes it mandatory).
   */
  static asUas(invite: SipRequest, localTag: string): Dialog {
    const contact = contactsOf(invite).contacts[0];
    if (!contact) throw new SipParseError('INVITE without Contact');
    const remoteTag = tagOf(fromOf(invite)) ?? '';
    return new Dialog({
      callId: callIdOf(invite),
      localTag,
      remoteTag,
      localParty: withTag(invite.headers.get('To') ?? '', localTag),
      remoteParty: invite.headers.get('From') ?? '',
      remoteSeq: cseqOf(invite).seq,
      remoteTarget: formatUri(contact.uri),
      routeSet: invite.headers.getList('Record-Route'),
    });
  }

  /**
   * §12.1.2 UAC behavior: "The route set MUST be set to the list of URIs in the Record-Route header field
   * from the response, taken in reverse order ... The remote target MUST be set to the URI from the Contact
   * header field of the response ... The local sequence number MUST be set to the value of the sequence
   * number in the CSeq header field of the request. The remote sequence number MUST be empty".
   * Throws {@link SipParseError} when the 2xx/1xx has no Contact or no To tag.
   */
  static asUac(invite: SipRequest, response: SipResponse): Dialog {
    const contact = contactsOf(response).contacts[0];
    if (!contact) throw new SipParseError('dialog-creating response without Contact');
    const remoteTag = tagOf(toOf(response));
    if (remoteTag === undefined) throw new SipParseError('dialog-creating response without To tag');
    const dialog = new Dialog({
      callId: callIdOf(invite),
      localTag: tagOf(fromOf(invite)) ?? '',
      remoteTag,
      localParty: invite.headers.get('From') ?? '',
      remoteParty: response.headers.get('To') ?? '',
      remoteSeq: 0,
      remoteTarget: formatUri(contact.uri),
      routeSet: response.headers.getList('Record-Route').reverse(),
    });
    dialog.localSeq = cseqOf(invite).seq;
    return dialog;
  }

  get key(): string {
    return dialogKey(this.callId, this.localTag, this.remoteTag);
  }

  /**
   * §12.2.2: "If the remote sequence number is not empty, but the sequence number of the request is lower
   * than the remote sequence number, the request is out of order and MUST be rejected with a 500". Returns
   * false for such a request; otherwise records the number.
   */
  acceptRemoteCSeq(req: SipRequest): boolean {
    const seq = cseqOf(req).seq;
    if (seq < this.remoteSeq) return false;
    this.remoteSeq = seq;
    return true;
  }

  /** Target refresh (§12.2.2): a re-INVITE/UPDATE's Contact replaces the remote target. */
  refreshTarget(req: SipRequest): void {
    const contact = contactsOf(req).contacts[0];
    if (contact) this.remoteTarget = formatUri(contact.uri);
  }

  /**
   * A request within the dialog (§12.2.1.1): To = remote URI + remote tag, From = local URI + local tag,
   * Call-ID of the dialog, CSeq = local sequence + 1, and Request-URI/Route from the route set — loose
   * routing when the first route has `lr`, else strict routing (first route becomes the Request-URI and the
   * remote target is appended to the Route list). No Via: the sender adds it with a fresh branch.
   */
  createRequest(method: string, options: InDialogRequestOptions = {}): SipRequest {
    this.localSeq += 1;
    const headers = new SipHeaders();
    let uri = this.remoteTarget;
    const routes = [...this.routeSet];
    if (routes.length > 0 && !parseNameAddr(routes[0]).uri.params.has('lr')) {
      const first = parseNameAddr(routes[0]).uri;
      first.headers = undefined;
      uri = formatUri(first);
      routes.shift();
      routes.push(`<${this.remoteTarget}>`);
    }
    for (const r of routes) headers.append('Route', r);
    headers.append('Max-Forwards', '70');
    headers.append('From', this.localParty);
    headers.append('To', this.remoteParty);
    headers.append('Call-ID', this.callId);
    headers.append('CSeq', `${this.localSeq} ${method}`);
    for (const [n, v] of options.headers ?? []) headers.append(n, v);
    let body: Buffer = Buffer.alloc(0);
    if (options.body !== undefined) {
      body = typeof options.body === 'string' ? Buffer.from(options.body, 'utf8') : options.body;
      if (body.length > 0) headers.append('Content-Type', options.contentType ?? 'application/sdp');
    }
    return { kind: 'request', method, uri, version: 'SIP/2.0', headers, body };
  }

  /** The URI the next request is sent to: the first Route if any, else the remote target (§8.1.2). */
  nextHopUri(): SipUri {
    if (this.routeSet.length > 0) return parseNameAddr(this.routeSet[0]).uri;
    return parseUri(this.remoteTarget);
  }
}

/**
 * Transport destination for a URI: maddr or host, explicit port or the scheme default (RFC 3263 §4.2 without
 * SRV/NAPTR: a host name is resolved by the OS resolver when sending).
 */
export function uriDestination(uri: SipUri): Destination {
  const maddr = uri.params.get('maddr');
  return { address: maddr || uri.host, port: uri.port ?? (uri.scheme === 'sips' ? 5061 : 5060) };
}
