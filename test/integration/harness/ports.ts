import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';

/** A UDP port on 127.0.0.1 that was free a moment ago (the OS picks it). */
export async function freeUdpPort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
  const { port } = s.address();
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export async function freeTcpPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const addr = srv.address();
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  if (!addr || typeof addr === 'string') throw new Error('no port');
  return addr.port;
}

/** An even base port with `count` free UDP ports above it, for an RTP range. */
export async function freeUdpRange(count: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20000 + 2 * Math.floor(Math.random() * 15000);
    const sockets = [];
    let ok = true;
    for (let p = base; p < base + count; p++) {
      const s = createSocket('udp4');
      try {
        await new Promise<void>((resolve, reject) => {
          s.once('error', reject);
          s.bind(p, '127.0.0.1', () => resolve());
        });
        sockets.push(s);
      } catch {
        ok = false;
        s.close();
        break;
      }
    }
    for (const s of sockets) s.close();
    if (ok) return base;
  }
  throw new Error('no free UDP range');
}
