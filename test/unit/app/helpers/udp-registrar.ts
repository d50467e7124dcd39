/** A registrar on 127.0.0.1 for unit tests: answers every REGISTER 200 and records who sent it, when (ManualClock). */
import { createSocket, type Socket } from 'node:dgram';
import type { ManualClock } from '../../../../src/core/clock.js';
import { buildResponse } from '../../../../src/sip/message/build.js';
import { serializeSipMessage } from '../../../../src/sip/message/serialize.js';
import { parseSipMessage } from '../../../../src/sip/parser/parse.js';
import type { SipRequest } from '../../../../src/sip/message/types.js';

/** What the registrar saw: each REGISTER (retransmissions left out) with the sending node's port and Expires. */
export interface Seen {
  port: number;
  expires: number;
  at: number;
}

export class Registrar {
  readonly seen: Seen[] = [];
  private readonly keys = new Set<string>();
  port = 0;
  private constructor(
    private readonly socket: Socket,
    private readonly clock: ManualClock,
  ) {}

  static async start(clock: ManualClock): Promise<Registrar> {
    const socket = createSocket('udp4');
    const r = new Registrar(socket, clock);
    socket.on('message', (buf, from) => {
      const req = parseSipMessage(buf) as SipRequest;
      if (req.kind !== 'request' || req.method !== 'REGISTER') return;
      const key = `${req.headers.get('Call-ID')} ${req.headers.get('CSeq')}`;
      if (!r.keys.has(key)) {
        r.keys.add(key);
        r.seen.push({ port: from.port, expires: Number(req.headers.get('Expires')), at: clock.now() });
      }
      socket.send(serializeSipMessage(buildResponse(req, 200, { toTag: 'reg', headers: [['Expires', req.headers.get('Expires') ?? '60']] })), from.port, from.address);
    });
    await new Promise<void>((ok) => socket.bind(0, '127.0.0.1', () => ok()));
    r.port = socket.address().port;
    return r;
  }

  from(port: number, expires?: number): Seen[] {
    return this.seen.filter((s) => s.port === port && (expires === undefined || (expires === 0) === (s.expires === 0)));
  }

  close(): Promise<void> {
    return new Promise((ok) => this.socket.close(() => ok()));
  }
}
