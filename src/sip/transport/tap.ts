/**
 * A transport seen through a tap: every message it sends or hands up is shown to the tap first (debug logging
 * and counters in the UA), then passed on unchanged. The transport's own answers to malformed input (400) do
 * not pass the tap.
 */
import type { SipMessage } from '../message/types.js';
import type { Destination, SipEndpoint, Transport } from './transport.js';

export interface TransportTap {
  sent(msg: SipMessage, dest: Destination, transport: Transport): void;
  received(msg: SipMessage, source: SipEndpoint, transport: Transport): void;
}

export function tapTransport(inner: Transport, tap: TransportTap): Transport {
  const outer: Transport = {
    name: inner.name,
    reliable: inner.reliable,
    listen: () => inner.listen(),
    localAddress: () => inner.localAddress(),
    send: (msg, dest) => {
      tap.sent(msg, dest, outer);
      return inner.send(msg, dest);
    },
    onMessage: (listener) =>
      inner.onMessage((msg, source) => {
        tap.received(msg, source, outer);
        listener(msg, source);
      }),
    onMalformed: (listener) => inner.onMalformed(listener),
    close: () => inner.close(),
  };
  return outer;
}
