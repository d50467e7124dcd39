/**
 * A lossy UDP relay for RTP between the bridge and a caller endpoint in the test, standing in for a bad network
 * (no `tc netem` on the test kernel). `near` faces the bridge: the SDP offer names its port, so the bridge sends
 * there and sees the caller's packets come from there (latching holds). `far` faces the caller endpoint. Each
 * direction drops packets with its own probability, from a seeded generator so a run's loss pattern replays.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';

/** mulberry32: small, seedable, good enough to pick packets to drop. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

export interface RelayCounts {
  forwarded: number;
  dropped: number;
}

export class LossyRelay {
  /** bridge -> caller and caller -> bridge. */
  readonly toCaller: RelayCounts = { forwarded: 0, dropped: 0 };
  readonly toBridge: RelayCounts = { forwarded: 0, dropped: 0 };
  private bridge: { address: string; port: number } | undefined;

  private constructor(
    private readonly near: Socket,
    private readonly far: Socket,
    private readonly caller: { address: string; port: number },
    private readonly loss: number,
    private readonly random: () => number,
  ) {
    near.on('message', (msg, from: RemoteInfo) => {
      this.bridge ??= { address: from.address, port: from.port };
      this.forward(msg, far, this.caller, this.toCaller);
    });
    far.on('message', (msg) => {
      // Until the bridge has sent once, its port is the one it answered with: `setBridge` names it.
      if (this.bridge) this.forward(msg, near, this.bridge, this.toBridge);
    });
  }

  /**
   * @param caller where bridge -> caller packets go (the test's caller endpoint).
   * @param loss drop probability per packet, each direction (0.05 = 5 %).
   */
  static async start(caller: { address: string; port: number }, loss: number, seed = 12): Promise<LossyRelay> {
    const bind = async () => {
      const s = createSocket('udp4');
      await new Promise<void>((res) => s.bind(0, '127.0.0.1', () => res()));
      return s;
    };
    return new LossyRelay(await bind(), await bind(), caller, loss, prng(seed));
  }

  /** The port the SDP offer names (the bridge's side). */
  get nearPort(): number {
    return this.near.address().port;
  }

  /** The port the caller endpoint sends its RTP to. */
  get farPort(): number {
    return this.far.address().port;
  }

  /** Where caller -> bridge packets go before the bridge has sent any (its RTP port from the SDP answer). */
  setBridge(address: string, port: number): void {
    this.bridge = { address, port };
  }

  private forward(msg: Buffer, via: Socket, to: { address: string; port: number }, counts: RelayCounts): void {
    if (this.random() < this.loss) {
      counts.dropped++;
      return;
    }
    counts.forwarded++;
    via.send(msg, to.port, to.address);
  }

  close(): void {
    this.near.close();
    this.far.close();
  }
}
