/**
 * Registrations under leases with a ManualClock: two nodes (real SIP user agents on loopback) share one lease table
 * (test/helpers/memory-leases.ts, the PostgreSQL rule) and one registrar (a UDP socket answering 200). Exactly one
 * node registers; when it stops renewing, the other takes over within the retry time; a clean stop hands over at
 * the other's next tick; a node that lost its lease never un-REGISTERs.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/logger.js';
import { SipUserAgent } from '../../../src/sip/ua/user-agent.js';
import { LeasedRegistration, leaseName, leaseTiming } from '../../../src/app/registration-lease.js';
import { registrationSchema } from '../../../src/config/outbound-schema.js';
import { LocalLeases, type LeaseStore } from '../../../src/store/leases.js';
import { LeaseTable, type TableLeases } from '../../helpers/memory-leases.js';
import { waitFor } from '../../helpers/wait-for.js';
import { Registrar } from './helpers/udp-registrar.js';

interface Node {
  ua: SipUserAgent;
  port: number;
  leases: LeaseStore;
  reg: LeasedRegistration;
  held: boolean[];
}

const uas: SipUserAgent[] = [];
let registrar: Registrar | undefined;

afterEach(async () => {
  for (const ua of uas.splice(0)) await ua.stop();
  await registrar?.close();
  registrar = undefined;
});

const RETRY_SEC = 4; // lease 2 s, renewed (or tried for) every second

async function node(clock: ManualClock, leases: LeaseStore, port: number): Promise<Node> {
  const ua = new SipUserAgent({ clock, logger: silentLogger(), listen: [{ transport: 'udp', host: '127.0.0.1', port: 0 }] });
  uas.push(ua);
  await ua.start();
  const config = registrationSchema.parse({ name: 'pbx', server: '127.0.0.1', port, username: 'alice', password: 'pw', extension: '1001', expires: 60, retrySec: RETRY_SEC, bot: 'b' });
  const held: boolean[] = [];
  const reg = new LeasedRegistration(config, {
    leases,
    clock,
    logger: silentLogger(),
    onHeld: (h) => held.push(h),
    create: (registrarAddresses) => ua.register({ server: '127.0.0.1', port, transport: 'udp', username: 'alice', password: 'pw', extension: '1001', expires: 60, retryMs: RETRY_SEC * 1000, registrarAddresses }),
  });
  return { ua, port: ua.boundAddresses()[0].port, leases, reg, held };
}

/** Lets lease answers (promises) and loopback datagrams land before time moves on. */
async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise((r) => setTimeout(r, 10));
}

/** Moves the clock `ms` forward in `step` ms steps, settling after each. */
async function run(clock: ManualClock, ms: number, step = 250): Promise<void> {
  for (let t = 0; t < ms; t += step) {
    clock.advance(step);
    await settle();
  }
}

async function twoNodes() {
  const clock = new ManualClock();
  registrar = await Registrar.start(clock);
  const table = new LeaseTable(clock);
  const a = await node(clock, table.node('A'), registrar.port);
  const b = await node(clock, table.node('B'), registrar.port);
  a.reg.start();
  await settle();
  b.reg.start();
  await settle();
  const r = registrar;
  await waitFor(() => r.from(a.port).length === 1, { timeoutMs: 2000, what: "A's REGISTER" });
  return { clock, table, a, b, registrar: r };
}

describe('registration leases', () => {
  it('lasts half the retry time (at least 1 s) and is renewed every quarter (at least 250 ms)', () => {
    expect(leaseTiming(4)).toEqual({ ttlMs: 2000, tickMs: 1000 });
    expect(leaseTiming(1)).toEqual({ ttlMs: 1000, tickMs: 250 });
    expect(leaseTiming(60)).toEqual({ ttlMs: 30_000, tickMs: 15_000 });
  });

  it('exactly one node registers; the others see who holds it and the state it reports', async () => {
    const { clock, table, a, b, registrar } = await twoNodes();
    await run(clock, 5000);
    expect(registrar.from(b.port)).toEqual([]);
    expect(a.reg.held).toBe(true);
    expect(b.reg.held).toBe(false);
    expect(table.rows.get(leaseName('pbx'))).toMatchObject({ holder: 'A', note: 'registered' });
    expect(b.reg.holder).toBe('A');
    expect(b.reg.state).toBe('registered');
    expect(a.held).toEqual([true]);
    expect(b.held).toEqual([]);
  });

  it('a holder that stops renewing (cut off from the store) stops registering, without an un-REGISTER; the other takes over within the retry time', async () => {
    const { clock, a, b, registrar } = await twoNodes();
    await run(clock, 2000);
    (a.leases as TableLeases).reachable = false;
    const cutAt = clock.now();
    await run(clock, 1000);
    expect(a.reg.held).toBe(true); // one failed renewal: the lease still runs
    await waitFor(async () => {
      clock.advance(250);
      await settle();
      return registrar.from(b.port).length > 0;
    }, { timeoutMs: 5000, what: "B's REGISTER" });
    const takeover = registrar.from(b.port)[0];
    expect(takeover.at - cutAt).toBeLessThanOrEqual(RETRY_SEC * 1000);
    expect(a.reg.held).toBe(false);
    expect(a.held).toEqual([true, false]);
    expect(b.reg.held).toBe(true);
    await run(clock, 1000);
    expect(registrar.from(a.port, 0)).toEqual([]); // A never sent Expires: 0
    // A hears the store again: B holds it, A stays out.
    (a.leases as TableLeases).reachable = true;
    await run(clock, 3000);
    expect(a.reg.held).toBe(false);
    expect(a.reg.holder).toBe('B');
    expect(registrar.from(a.port).length).toBe(1);
  });

  it('a clean stop un-REGISTERs, releases, and the other node takes over at its next tick (not at the expiry)', async () => {
    const { clock, table, a, b, registrar } = await twoNodes();
    await run(clock, 1000);
    await a.reg.stop();
    await waitFor(() => registrar.from(a.port, 0).length === 1, { timeoutMs: 2000, what: "A's un-REGISTER" });
    expect(table.rows.has(leaseName('pbx'))).toBe(false);
    const stoppedAt = clock.now();
    await waitFor(async () => {
      clock.advance(100);
      await settle();
      return registrar.from(b.port).length > 0;
    }, { timeoutMs: 5000, what: "B's REGISTER" });
    // B's tick is every second; the released lease would have run for up to 2 s more.
    expect(registrar.from(b.port)[0].at - stoppedAt).toBeLessThanOrEqual(leaseTiming(RETRY_SEC).tickMs);
    expect((a.leases as TableLeases).calls.at(-1)).toBe(`release ${leaseName('pbx')}`);
  });

  it('a holder told another node holds it (its lease ran out meanwhile) stops at once, without an un-REGISTER', async () => {
    const { clock, table, a, registrar } = await twoNodes();
    await run(clock, 1000);
    // B took the lease while A's renewals were late (a long pause): the row names B.
    table.rows.set(leaseName('pbx'), { holder: 'B', note: 'registering', expiresAt: clock.now() + 10_000 });
    await run(clock, 1000);
    expect(a.reg.held).toBe(false);
    expect(a.reg.holder).toBe('B');
    expect(a.reg.state).toBe('registering');
    expect(registrar.from(a.port, 0)).toEqual([]);
  });

  it('one node alone (no shared store) registers at start and un-REGISTERs at stop, as before leases', async () => {
    const clock = new ManualClock();
    registrar = await Registrar.start(clock);
    const r = registrar;
    const solo = await node(clock, new LocalLeases('solo'), r.port);
    solo.reg.start();
    await waitFor(() => r.from(solo.port).length === 1, { timeoutMs: 2000, what: 'the REGISTER' });
    await settle();
    expect(solo.reg.state).toBe('registered');
    expect(solo.reg.holder).toBe('solo');
    expect([...solo.reg.registrarAddresses]).toEqual(['127.0.0.1']);
    await solo.reg.stop();
    await waitFor(() => r.from(solo.port, 0).length === 1, { timeoutMs: 2000, what: 'the un-REGISTER' });
  });
});
