/**
 * `npm run bench:store`: what one admin API change costs with the embedded store, at two configuration sizes:
 * validating the whole configuration (the same schema and cross-checks as the YAML) and the durable write
 * (JSON, temp file, fsync, rename, fsync of the folder). README "Admin API" quotes its figures.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { FileConfigStore } from '../store/index.js';
import { buildSnapshot, type ManagedConfig } from '../config/index.js';

/** A configuration with `trunks` inbound trunks and `numbers` DIDs spread over them. */
function managedOf(trunks: number, numbers: number): ManagedConfig {
  const inboundTrunks = Array.from({ length: trunks }, (_, t) => ({
    name: `carrier-${t}`,
    allow: [`10.${t >> 8}.${t & 255}.0/24`],
    credentials: [{ username: `pbx${t}`, password: `Passw0rd-${t}-abcdef` }],
    numbers: {} as Record<string, { bot: string }>,
  }));
  for (let n = 0; n < numbers; n++) inboundTrunks[n % trunks].numbers[`+1555${String(n).padStart(7, '0')}`] = { bot: `bot-${n % 20}` };
  const bots = Object.fromEntries(Array.from({ length: 20 }, (_, b) => [`bot-${b}`, { url: `wss://bots.example/${b}`, headers: { Authorization: 'Bearer x' } }]));
  return { bots, inboundTrunks, outboundTrunks: [], transferDestinations: {}, registrations: [] };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function measure(label: string, trunks: number, numbers: number, rounds: number): Promise<Record<string, string>> {
  const managed = managedOf(trunks, numbers);
  const base = { sip: { listen: [{ transport: 'udp', host: '127.0.0.1', port: 5060 }] } };
  const validate: number[] = [];
  const write: number[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'tb-store-bench-'));
  const store = new FileConfigStore(dir);
  await store.open();
  const bytes = Buffer.byteLength(JSON.stringify(managed, null, 2));
  try {
    for (let i = 0; i < rounds; i++) {
      let t = performance.now();
      const s = buildSnapshot(base, managed, i + 1);
      validate.push(performance.now() - t);
      if (Array.isArray(s)) throw new Error(`bench config invalid: ${JSON.stringify(s.slice(0, 3))}`);
      t = performance.now();
      await store.write(managed, i);
      write.push(performance.now() - t);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  validate.sort((a, b) => a - b);
  write.sort((a, b) => a - b);
  const ms = (v: number) => v.toFixed(2);
  return {
    config: label,
    'file KB': (bytes / 1024).toFixed(0),
    'validate p50 ms': ms(percentile(validate, 50)),
    'validate p99 ms': ms(percentile(validate, 99)),
    'write p50 ms': ms(percentile(write, 50)),
    'write p99 ms': ms(percentile(write, 99)),
  };
}

async function main(): Promise<void> {
  const rows = [await measure('5 trunks, 50 numbers', 5, 50, 200), await measure('100 trunks, 10000 numbers', 100, 10_000, 30)];
  const cols = Object.keys(rows[0]);
  const width = cols.map((c) => Math.max(c.length, ...rows.map((r) => r[c].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(width[i]) : c.padStart(width[i]))).join('  ');
  console.log(`store: one change = validate the whole configuration + durable write (${tmpdir()})`);
  console.log(line(cols));
  console.log(width.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(cols.map((c) => r[c])));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
