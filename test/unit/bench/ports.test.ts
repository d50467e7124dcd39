import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { BLOCK_SIZE, blockLockName, BRIDGE_RTP_RANGE, PORT_RANGE, PortBlocks } from '../../../src/bench/ports.js';
import * as testPorts from '../../helpers/ports.js';

describe('bench ports', () => {
  it('uses the test suite range, block size and lock names, so a bench and a test run never share a block', () => {
    expect(PORT_RANGE).toEqual(testPorts.PORT_RANGE);
    expect(BLOCK_SIZE).toBe(testPorts.BLOCK_SIZE);
    const helper = readFileSync(new URL('../../helpers/ports.ts', import.meta.url), 'utf8');
    expect(helper).toContain('`\\0trunkbridge-test-ports-${first}-${BLOCK_SIZE}`');
    expect(blockLockName(20_100)).toBe('\0trunkbridge-test-ports-20100-50');
  });

  it("keeps the bridge's RTP range clear of the suite's ports and the bridge's default range", () => {
    expect(BRIDGE_RTP_RANGE.min).toBeGreaterThan(PORT_RANGE.last);
    expect(BRIDGE_RTP_RANGE.min).toBeGreaterThan(20_000);
  });

  it('skips a block another holder has locked, and hands out even-started runs of ports', async () => {
    const a = new PortBlocks();
    const b = new PortBlocks();
    try {
      const first = await a.take(4);
      expect(first % 2).toBe(0);
      expect(await a.take(1)).toBe(first + 4);
      expect(await a.take(4)).toBe(first + 6); // next even port
      const other = await b.take(1);
      expect(Math.floor((other - PORT_RANGE.first) / BLOCK_SIZE)).not.toBe(Math.floor((first - PORT_RANGE.first) / BLOCK_SIZE));
      // the lock really is held: nobody else can take that block's name
      const probe = createServer();
      const err = await new Promise<NodeJS.ErrnoException | undefined>((r) => {
        probe.once('error', (e) => r(e));
        probe.listen({ path: blockLockName(first - ((first - PORT_RANGE.first) % BLOCK_SIZE)) }, () => r(undefined));
      });
      probe.close();
      expect(err?.code).toBe('EADDRINUSE');
    } finally {
      a.close();
      b.close();
    }
  });
});
