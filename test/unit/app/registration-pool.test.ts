/**
 * The registration pool with leases (ManualClock, real SIP user agents on loopback, a shared lease table): a
 * configuration change on the holder hands the registration over in order (un-REGISTER and release first), a
 * removed registration frees its lease for good, a release announced by the store is taken at once, and every
 * node routes every registration's extension.
 */
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/logger.js';
import { SipUserAgent } from '../../../src/sip/ua/user-agent.js';
import { RegistrationPool } from '../../../src/app/registrations.js';
import { leaseName } from '../../../src/app/registration-lease.js';
import { RegistrationMetrics } from '../../../src/metrics/registration-metrics.js';
import { registrationSchema } from '../../../src/config/outbound-schema.js';
import { LocalLeases, type LeaseStore } from '../../../src/store/leases.js';
import { LeaseTable, type TableLeases } from '../../helpers/memory-leases.js';
import { waitFor } from '../../helpers/wait-for.js';
import { Registrar } from './helpers/udp-registrar.js';

const uas: SipUserAgent[] = [];
let registrar: Registrar | undefined;

afterEach(async () => {
  for (const ua of uas.splice(0)) await ua.stop();
  await registrar?.close();
  registrar = undefined;
});

async function pool(clock: ManualClock, leases: LeaseStore) {
  const ua = new SipUserAgent({ clock, logger: silentLogger(), listen: [{ transport: 'udp', host: '127.0.0.1', port: 0 }] });
  uas.push(ua);
  await ua.start();
  const registry = new Registry();
  const p = new RegistrationPool({ sip: ua, metrics: new RegistrationMetrics(registry), leases, clock, logger: silentLogger() });
  return { pool: p, port: ua.boundAddresses()[0].port, leases, registry };
}

const reg = (port: number, extra: Record<string, unknown> = {}) =>
  registrationSchema.parse({ name: 'pbx', server: '127.0.0.1', port, username: 'alice', password: 'pw', extension: '1001', expires: 60, retrySec: 4, bot: 'b', ...extra });

async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise((r) => setTimeout(r, 10));
}

async function run(clock: ManualClock, ms: number): Promise<void> {
  for (let t = 0; t < ms; t += 250) {
    clock.advance(250);
    await settle();
  }
}

async function gauge(registry: Registry, name: string): Promise<number | undefined> {
  const m = (await registry.getMetricsAsJSON()).find((x) => x.name === name);
  return (m?.values[0]?.value as number | undefined) ?? undefined;
}

describe('RegistrationPool with leases', () => {
  it('a changed registration on the holder: the old binding is removed and the lease released before the new one takes it', async () => {
    const clock = new ManualClock();
    registrar = await Registrar.start(clock);
    const r = registrar;
    const table = new LeaseTable(clock);
    const a = await pool(clock, table.node('A'));
    const b = await pool(clock, table.node('B'));
    a.pool.sync([reg(r.port)]);
    b.pool.sync([reg(r.port)]);
    a.pool.start();
    await settle();
    b.pool.start();
    await waitFor(() => r.from(a.port).length === 1, { timeoutMs: 2000, what: "A's REGISTER" });
    await run(clock, 1000);
    expect(b.pool.holder('pbx')).toBe('A');
    expect(b.pool.state('pbx')).toBe('registered');
    expect(await gauge(a.registry, 'trunkbridge_registration_lease_held')).toBe(1);
    expect(await gauge(b.registry, 'trunkbridge_registration_lease_held')).toBe(0);
    // Every node routes the extension, from the registrar's address.
    expect(b.pool.set.extensions.map((e) => [e.contactUser, [...e.registrarAddresses]])).toEqual([['1001', ['127.0.0.1']]]);

    a.pool.sync([reg(r.port, { expires: 120 })]);
    await waitFor(() => r.from(a.port, 0).length === 1, { timeoutMs: 2000, what: "A's un-REGISTER" });
    await waitFor(() => r.seen.some((s) => s.expires === 120), { timeoutMs: 2000, what: 'the new REGISTER' });
    const unregAt = r.seen.findIndex((s) => s.expires === 0);
    const newAt = r.seen.findIndex((s) => s.expires === 120);
    expect(unregAt).toBeLessThan(newAt);
    expect(r.seen[newAt].port).toBe(a.port); // A released and took it again at once (B ticks only every second)
    expect(r.from(b.port)).toEqual([]);
  });

  it('a removed registration un-REGISTERs and frees its lease; stop() hands the rest over', async () => {
    const clock = new ManualClock();
    registrar = await Registrar.start(clock);
    const r = registrar;
    const table = new LeaseTable(clock);
    const a = await pool(clock, table.node('A'));
    a.pool.sync([reg(r.port), reg(r.port, { name: 'pbx2', extension: '1002' })]);
    a.pool.start();
    await waitFor(() => r.from(a.port).length === 2, { timeoutMs: 2000, what: 'two REGISTERs' });
    await run(clock, 500);
    a.pool.sync([reg(r.port, { name: 'pbx2', extension: '1002' })]);
    await waitFor(() => r.from(a.port, 0).length === 1, { timeoutMs: 2000, what: 'the un-REGISTER' });
    await settle();
    expect([...table.rows.keys()]).toEqual([leaseName('pbx2')]);
    expect(a.pool.state('pbx')).toBeUndefined();
    await a.pool.stop();
    expect(table.rows.size).toBe(0);
    expect((a.leases as TableLeases).calls.filter((c) => c.startsWith('release'))).toEqual([`release ${leaseName('pbx')}`, `release ${leaseName('pbx2')}`]);
    // The extensions stay routed while calls drain.
    expect(a.pool.set.extensions.map((e) => e.contactUser)).toEqual(['1002']);
  });

  it.each([
    ['announced: the waiting node takes it at once, the clock standing still', true],
    ['not announced (LISTEN down): at the waiting node\'s next tick', false],
  ] as const)('a release %s', async (_what, announce) => {
    const clock = new ManualClock();
    registrar = await Registrar.start(clock);
    const r = registrar;
    const table = new LeaseTable(clock);
    const a = await pool(clock, table.node('A'));
    const b = await pool(clock, table.node('B'));
    for (const p of [a, b]) p.pool.sync([reg(r.port)]);
    a.pool.start();
    await settle();
    b.pool.start();
    await waitFor(() => r.from(a.port).length === 1, { timeoutMs: 2000, what: "A's REGISTER" });
    await run(clock, 500);
    table.announce = announce;
    await a.pool.stop();
    await settle();
    if (announce) {
      await waitFor(() => r.from(b.port).length === 1, { timeoutMs: 2000, what: "B's REGISTER" });
    } else {
      expect(r.from(b.port)).toEqual([]);
      await run(clock, 1000); // B's tick: every second (retrySec 4)
      await waitFor(() => r.from(b.port).length === 1, { timeoutMs: 2000, what: "B's REGISTER" });
    }
    expect(b.pool.holder('pbx')).toBe('B');
    expect(r.from(a.port, 0)).toHaveLength(1);
    // The stopped node no longer claims it.
    expect(a.pool.holder('pbx')).toBeUndefined();
    expect(a.pool.state('pbx')).toBeUndefined();
  });

  it('without a shared store the API shows no node, and the registration runs at once', async () => {
    const clock = new ManualClock();
    registrar = await Registrar.start(clock);
    const r = registrar;
    const solo = await pool(clock, new LocalLeases('solo'));
    solo.pool.sync([reg(r.port)]);
    solo.pool.start();
    await waitFor(() => solo.pool.state('pbx') === 'registered', { timeoutMs: 2000, what: 'registered' });
    expect(solo.pool.holder('pbx')).toBeUndefined();
    expect(solo.pool.refresh('pbx')).toBe(true);
    expect(solo.pool.refresh('nope')).toBe(false);
    await waitFor(() => r.from(solo.port).length === 2, { timeoutMs: 2000, what: 'the refresh' });
  });
});
