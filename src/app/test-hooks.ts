/**
 * Test hooks on the operations HTTP listener, present only when TRUNKBRIDGE_TEST_HOOKS=1: end-to-end tests make
 * a media worker fail or stall as a bug or a long pause would, and watch the calls.
 *
 *   POST /_test/media-workers/{index}/crash          the worker throws from its event loop
 *        ...?failStarts=N                             and its next N starts fail (0..10), as a broken start would
 *   POST /_test/media-workers/{index}/stall?ms=150    the worker's event loop is blocked that long (1..5000 ms)
 *   POST /_test/media-workers/{index}/busy?ms=5000    the worker's event loop is kept 90 % busy that long (1..60000 ms)
 *   POST /_test/main/crash                            the main thread throws from its event loop (a bug nothing
 *                                                     catches): the process logs it and exits
 *   GET  /_test/resources[?gc=1]                      this thread's live handles by type (sockets...), the clock's
 *                                                     pending timers, and memory (after a full GC with gc=1 when
 *                                                     node runs --expose-gc)
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { getHeapSpaceStatistics } from 'node:v8';
import { SystemClock } from '../core/clock.js';

export interface HookTarget {
  crashWorker(index: number, failStarts?: number): void;
  stallWorker(index: number, ms: number): void;
  keepWorkerBusy(index: number, ms: number): void;
}

export function testHookRoutes(target: HookTarget | undefined): (req: IncomingMessage, res: ServerResponse) => Promise<boolean> {
  return async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://hook');
    if (url.pathname === '/_test/resources' && req.method === 'GET') {
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(resources(url.searchParams.get('gc') === '1')));
      return true;
    }
    if (url.pathname === '/_test/main/crash' && req.method === 'POST') {
      res.writeHead(202, { 'Content-Type': 'application/json' }).end('{"hook":"main-crash"}');
      setImmediate(() => {
        throw new Error('main thread crash requested (test hook)');
      });
      return true;
    }
    const m = /^\/_test\/media-workers\/(\d{1,2})\/(crash|stall|busy)$/.exec(url.pathname);
    if (!m || req.method !== 'POST') return false;
    if (!target) {
      res.writeHead(409, { 'Content-Type': 'application/json' }).end('{"error":"no media workers (media.workers is 0)"}');
      return true;
    }
    const index = Number(m[1]);
    const hook = m[2];
    const [name, fallback, min, max] = hook === 'crash' ? ['failStarts', 0, 0, 10] : ['ms', 150, 1, hook === 'stall' ? 5000 : 60_000];
    const value = Number(url.searchParams.get(name) ?? fallback);
    if (!Number.isInteger(value) || value < min || value > max) {
      res.writeHead(400, { 'Content-Type': 'application/json' }).end(`{"error":"bad-request","issues":["${name}: ${min}..${max}"]}`);
      return true;
    }
    if (hook === 'crash') target.crashWorker(index, value);
    else if (hook === 'stall') target.stallWorker(index, value);
    else target.keepWorkerBusy(index, value);
    res.writeHead(202, { 'Content-Type': 'application/json' }).end(`{"worker":${index},"hook":"${m[2]}"}`);
    return true;
  };
}

/** Where this thread's memory is: V8's heap (used and committed, by space), external and ArrayBuffer memory. */
export interface MemoryDetail {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
  /** Per V8 space (old_space, new_space, code_space, large_object_space...): bytes used / committed. */
  spaces: Record<string, { used: number; committed: number }>;
}

/** The leak check of the long tests: live handles by type (Timeout, UDPWRAP, TCPSocketWrap...) and memory. */
function resources(gc: boolean): { resources: Record<string, number>; clockTimers: number } & MemoryDetail {
  if (gc) (globalThis as { gc?: () => void }).gc?.();
  const counts: Record<string, number> = {};
  for (const r of process.getActiveResourcesInfo()) counts[r] = (counts[r] ?? 0) + 1;
  const m = process.memoryUsage();
  const spaces: MemoryDetail['spaces'] = {};
  for (const s of getHeapSpaceStatistics()) spaces[s.space_name] = { used: s.space_used_size, committed: s.physical_space_size };
  return {
    resources: counts,
    clockTimers: SystemClock.liveTimers,
    rss: m.rss,
    heapUsed: m.heapUsed,
    heapTotal: m.heapTotal,
    external: m.external,
    arrayBuffers: m.arrayBuffers,
    spaces,
  };
}
