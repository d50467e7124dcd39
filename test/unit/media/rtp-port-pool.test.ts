import dgram from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { PortPoolExhaustedError } from '../../../src/core/errors.js';
import { RtpPortPool, type RtpSocket } from '../../../src/media/rtp/index.js';
import { lookupLiteralAtOnce } from '../../../src/media/rtp/port-pool.js';
import { reservePorts } from '../../helpers/ports.js';

// A reserved block (test/helpers/ports.ts): the tests expect exact ports, so nothing else may hold them.
const base = () => reservePorts(22);

const open: RtpSocket[] = [];
const foreign: dgram.Socket[] = [];
afterEach(() => {
  open.splice(0).forEach((s) => s.close());
  // A socket whose bind failed is already closed; closing it again throws ERR_SOCKET_DGRAM_NOT_RUNNING.
  foreign.splice(0).forEach((s) => {
    try {
      s.close();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ERR_SOCKET_DGRAM_NOT_RUNNING') throw err;
    }
  });
});

async function take(pool: RtpPortPool): Promise<RtpSocket> {
  const s = await pool.allocate();
  open.push(s);
  return s;
}

describe('RtpPortPool', () => {
  it('hands out even ports in range, bound on the host, and counts them', async () => {
    const min = (await base()) + 1; // odd min rounds up
    const pool = new RtpPortPool({ min, max: min + 9, host: '127.0.0.1' });
    const a = await take(pool);
    const b = await take(pool);
    expect(a.port).toBe(min + 1);
    expect(b.port).toBe(min + 3);
    expect(a.socket.address()).toMatchObject({ address: '127.0.0.1', port: a.port });
    expect(pool.inUse()).toBe(2);
  });

  it('skips a port someone else holds (EADDRINUSE)', async () => {
    // A base whose first port we can hold ourselves (another process may hold a random pick: try again).
    let min = await base();
    for (let attempt = 0; ; attempt++) {
      const other = dgram.createSocket('udp4');
      foreign.push(other);
      const bound = await new Promise<boolean>((r) => {
        other.once('error', () => r(false));
        other.bind(min, '127.0.0.1', () => r(true));
      });
      if (bound) break;
      if (attempt > 20) throw new Error('no free port to hold');
      min = await base();
    }
    const pool = new RtpPortPool({ min, max: min + 4, host: '127.0.0.1' });
    const s = await take(pool);
    expect(s.port).toBe(min + 2);
  });

  it('throws PortPoolExhaustedError when every port is taken, and reuses a closed one', async () => {
    const min = await base();
    const pool = new RtpPortPool({ min, max: min + 3, host: '127.0.0.1' });
    const a = await take(pool);
    await take(pool);
    await expect(pool.allocate()).rejects.toBeInstanceOf(PortPoolExhaustedError);
    a.close();
    a.close(); // safe twice
    expect(pool.inUse()).toBe(1);
    const again = await take(pool);
    expect(again.port).toBe(a.port);
  });

  it('gives different ports to concurrent allocations', async () => {
    const min = await base();
    const pool = new RtpPortPool({ min, max: min + 20, host: '127.0.0.1' });
    const socks = await Promise.all([0, 1, 2, 3].map(() => take(pool)));
    expect(new Set(socks.map((s) => s.port)).size).toBe(4);
  });

  it('binds IPv6 loopback', async () => {
    const min = await base();
    const pool = new RtpPortPool({ min, max: min + 2, host: '::1' });
    const s = await take(pool);
    expect(s.socket.address().family).toBe('IPv6');
  });

  it('rejects an empty range', () => {
    expect(() => new RtpPortPool({ min: 5000, max: 4000, host: '127.0.0.1' })).toThrow(RangeError);
  });
});

describe('lookupLiteralAtOnce (the RTP sockets address lookup)', () => {
  it.each([
    ['127.0.0.1', 4],
    ['192.0.2.7', 4],
    ['::1', 6],
    ['2001:db8::5', 6],
  ])('answers the literal %s at once, family %i', (host, family) => {
    const answers: unknown[][] = [];
    lookupLiteralAtOnce(host, { family: 4 }, (...a) => answers.push(a));
    expect(answers).toEqual([[null, host, family]]);
  });

  it('sends a name to the resolver, which answers later', async () => {
    const answer = await new Promise<unknown[]>((resolve) => {
      let sync = true;
      lookupLiteralAtOnce('localhost', { family: 4 }, (...a) => resolve([sync, ...a.slice(0, 1), a[2]]));
      sync = false;
    });
    expect(answer).toEqual([false, null, 4]);
  });

  it('carries a datagram from a pool socket to the literal address', async () => {
    const min = await base();
    const pool = new RtpPortPool({ min, max: min + 9, host: '127.0.0.1' });
    const a = await take(pool);
    const b = await take(pool);
    const got = new Promise<string>((resolve) => b.socket.once('message', (m) => resolve(m.toString())));
    a.socket.send(Buffer.from('rtp'), b.port, '127.0.0.1');
    expect(await got).toBe('rtp');
  });
});
