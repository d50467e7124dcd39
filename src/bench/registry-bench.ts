/**
 * `npm run bench:registry -- postgres://user@host/db`: what a cluster's trunk limit costs a call (README "Past one
 * machine"). Two registries (nodes) on the given database: the latency of one claim (the counting transaction
 * under the trunk's advisory lock) with nothing else running, then claims per second when 20 calls at a time
 * claim on one limited trunk from both nodes (they take turns on the lock) and on 20 trunks (they do not).
 * It creates its tables if missing and leaves no rows behind; use a database of its own.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { PostgresCallRegistry } from '../store/index.js';

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** One call's life in the registry: claim, publish at answer, release at end; returns the claim's ms. */
async function oneCall(node: PostgresCallRegistry, trunk: string): Promise<number> {
  const id = randomUUID();
  const t = performance.now();
  await node.claim(id, trunk, 1_000_000);
  const claimMs = performance.now() - t;
  await node.publish(id, trunk, { callId: id, trunk });
  await node.release(id);
  return claimMs;
}

async function throughput(nodes: PostgresCallRegistry[], trunks: number, calls: number, concurrency: number): Promise<{ perSec: number; p50: number; p99: number }> {
  let next = 0;
  const claims: number[] = [];
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, w) => {
      while (next < calls) {
        const i = next++;
        claims.push(await oneCall(nodes[w % nodes.length], `trunk-${i % trunks}`));
      }
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  claims.sort((a, b) => a - b);
  return { perSec: calls / seconds, p50: percentile(claims, 50), p99: percentile(claims, 99) };
}

async function main(): Promise<void> {
  const url = process.argv[2] ?? process.env.TRUNKBRIDGE_BENCH_PG_URL;
  if (!url) throw new Error('usage: npm run bench:registry -- postgres://user@host/db (a database of its own)');
  const nodes = [new PostgresCallRegistry(url, `bench-a-${process.pid}`), new PostgresCallRegistry(url, `bench-b-${process.pid}`)];
  try {
    for (const n of nodes) await n.open();
    const alone: number[] = [];
    for (let i = 0; i < 300; i++) alone.push(await oneCall(nodes[i % 2], 'trunk-0'));
    alone.sort((a, b) => a - b);
    console.log(`one claim, nothing else running: p50 ${alone[150].toFixed(2)} ms, p99 ${percentile(alone, 99).toFixed(2)} ms`);
    for (const trunks of [1, 20]) {
      const r = await throughput(nodes, trunks, 2000, 20);
      console.log(`20 calls at a time from 2 nodes on ${trunks} limited trunk(s): ${r.perSec.toFixed(0)} calls/s (claim + publish + release), claim p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms`);
    }
  } finally {
    for (const n of nodes) await n.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
