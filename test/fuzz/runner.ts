/**
 * Runs fuzz targets with fast-check under a budget (runs and/or time) and reports how many inputs each took.
 * A target's `check` throws when an input broke a rule (an untyped exception escaped, a bound was exceeded);
 * fast-check then shrinks the input and the run fails with the counterexample and the seed to replay it.
 */
import fc from 'fast-check';

/** One thing to fuzz: inputs and the rules every input must keep. */
export interface FuzzTarget<T = unknown> {
  name: string;
  arbitrary: fc.Arbitrary<T>;
  /** Throws when `input` broke a rule; returns normally otherwise (a typed refusal is a normal outcome). */
  check(input: T): void;
}

export interface FuzzBudget {
  /** Inputs per target. */
  runs: number;
  /** Stop a target after this long even when `runs` is not reached (the long run sets it). */
  timeMs?: number;
  /** Replays a run; random when omitted (printed either way). */
  seed?: number;
}

export interface FuzzResult {
  name: string;
  iterations: number;
  elapsedMs: number;
  seed: number;
  /** The slowest single input, ms (a hang shows up here long before a test timeout). */
  slowestMs: number;
  /** Heap in use after the run, MB (after a GC when node runs with --expose-gc): the memory-bound check. */
  heapMB: number;
  failure?: string;
}

/** One input taking longer than this is a hang (a catastrophic regex, a loop on a bad length). */
export const HANG_MS = 2000;

/** Throws unless `err` is an instance of one of `allowed`: the typed refusals a parser may answer with. */
export function expectTyped(err: unknown, allowed: ReadonlyArray<abstract new (...args: never[]) => Error>, what: string): void {
  if (allowed.some((c) => err instanceof c)) return;
  const detail = err instanceof Error ? `${err.name}: ${err.message}\n${err.stack ?? ''}` : String(err);
  throw new Error(`${what}: untyped exception escaped: ${detail}`);
}

/** Runs `fn`; a typed refusal returns undefined, anything else thrown fails the input. */
export function only<R>(fn: () => R, allowed: ReadonlyArray<abstract new (...args: never[]) => Error>, what: string): R | undefined {
  try {
    return fn();
  } catch (err) {
    expectTyped(err, allowed, what);
    return undefined;
  }
}

export function runTarget<T>(target: FuzzTarget<T>, budget: FuzzBudget): FuzzResult {
  let slowestMs = 0;
  const property = fc.property(target.arbitrary, (input) => {
    const t0 = performance.now();
    target.check(input);
    const ms = performance.now() - t0;
    if (ms > slowestMs) slowestMs = ms;
    if (ms > HANG_MS) throw new Error(`${target.name}: one input took ${ms.toFixed(0)} ms (hang limit ${HANG_MS} ms)`);
  });
  const seed = budget.seed ?? (Date.now() ^ (Math.random() * 0x7fffffff)) | 0;
  const t0 = performance.now();
  const details = fc.check(property, {
    numRuns: budget.runs,
    seed,
    ...(budget.timeMs !== undefined ? { interruptAfterTimeLimit: budget.timeMs } : {}),
  });
  (globalThis as { gc?: () => void }).gc?.();
  const heapMB = process.memoryUsage().heapUsed / 2 ** 20;
  const result: FuzzResult = { name: target.name, iterations: details.numRuns, elapsedMs: performance.now() - t0, seed, slowestMs, heapMB };
  if (details.failed) {
    const example = details.counterexample ? describeInput(details.counterexample[0]) : '(none)';
    result.failure = `${String(details.errorInstance ?? 'failed')}\n  seed ${seed}, path ${details.counterexamplePath}\n  input ${example}`;
  }
  return result;
}

/** A counterexample as text: Buffers in JSON-escaped latin1 (readable for text protocols, exact for binary). */
export function describeInput(input: unknown): string {
  const text = JSON.stringify(input, (_k, v) => {
    if (v && typeof v === 'object' && (v as { type?: string }).type === 'Buffer' && Array.isArray((v as { data?: unknown }).data)) {
      return `<buf ${Buffer.from((v as { data: number[] }).data).toString('latin1')}>`;
    }
    return v;
  });
  return text.length > 4000 ? `${text.slice(0, 4000)}...` : text;
}

export function formatResult(r: FuzzResult): string {
  return `${r.name.padEnd(22)} ${String(r.iterations).padStart(8)} inputs  ${r.elapsedMs.toFixed(0).padStart(6)} ms  slowest ${r.slowestMs.toFixed(1)} ms  heap ${r.heapMB.toFixed(0)} MB  seed ${r.seed}`;
}
