/** `trunkbridge test-call ...`: argument errors exit 2 with the usage; the run itself lives in testcall/. */
import { parseTestCallArgs, TEST_CALL_USAGE } from '../testcall/args.js';
import { EXIT, runTestCall, verboseLogger } from '../testcall/run.js';

export async function testCallCommand(argv: readonly string[], out: (line: string) => void, err: (line: string) => void): Promise<number> {
  const parsed = parseTestCallArgs(argv);
  if (!parsed.ok) {
    if (parsed.help) {
      out(TEST_CALL_USAGE);
      return EXIT.ok;
    }
    err(`test-call: ${parsed.error}\n${TEST_CALL_USAGE}`);
    return EXIT.usage;
  }
  // Ctrl-C (or SIGTERM) ends the call properly (CANCEL or BYE) instead of leaving the far end to time it out.
  const abort = new AbortController();
  const stop = (): void => abort.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    return await runTestCall(parsed.args, { print: out, abort: abort.signal, ...(parsed.args.verbose ? { logger: verboseLogger() } : {}) });
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}
