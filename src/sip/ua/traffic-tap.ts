/**
 * What the UA's transport tap does with each message in and out: responses counted by CSeq method and status
 * (metrics), and at debug level the message's text with its secrets redacted, its Call-ID, peer and transport.
 */
import type { Logger } from 'pino';
import { callIdOf, cseqOf } from '../message/accessors.js';
import { redactSipText } from '../message/redact.js';
import { serializeSipMessage } from '../message/serialize.js';
import type { SipMessage } from '../message/types.js';
import type { TransportTap } from '../transport/tap.js';
import type { SipTrafficObserver } from './user-agent-options.js';

export function trafficTap(log: Logger, traffic: SipTrafficObserver | undefined): TransportTap {
  const seen = (direction: 'sent' | 'received', msg: SipMessage, peer: string, transport: string): void => {
    if (msg.kind === 'response' && traffic?.response) {
      try {
        traffic.response(direction, cseqOf(msg).method, msg.status);
      } catch {
        // A response without a usable CSeq is not counted; the transaction layer drops it.
      }
    }
    if (!log.isLevelEnabled('debug')) return;
    let sipCallId: string | undefined;
    try {
      sipCallId = callIdOf(msg);
    } catch {
      sipCallId = undefined;
    }
    log.debug({ sipCallId, direction, peer, transport, sip: redactSipText(serializeSipMessage(msg).toString('utf8')) }, 'SIP message');
  };
  return {
    sent: (msg, dest, via) => seen('sent', msg, `${dest.address}:${dest.port}`, via.name),
    received: (msg, source, via) => seen('received', msg, `${source.address}:${source.port}`, via.name),
  };
}
