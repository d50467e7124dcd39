/**
 * `trunkbridge bot-check URL [options]`: the command line of the bot checker (src/botcheck/). Prints each step
 * as it is judged and a verdict; exit code 0 when the bot behaves, 1 when a step failed, 2 for bad arguments.
 */
import { parseArgs } from 'node:util';
import { checkBot, PROTOCOLS, type StepResult } from '../botcheck/index.js';

/** `trunkbridge bot-check --help`. */
export const BOT_CHECK_USAGE = `usage: trunkbridge bot-check ws://host/path [options]

Plays the bridge's side of one call against a running bot: a caller tone in, the bot's audio back, marks,
DTMF, clears and the caller's hang-up, in the bot's dialect, and prints a verdict per step.

  -p, --protocol NAME     ${PROTOCOLS.join(', ')} (default native)
  -r, --sample-rate HZ    native only: 8000, 16000 or 24000 (default 16000)
  -H, --header 'N: V'     header on the WebSocket upgrade (repeatable), e.g. an Authorization
      --listen-sec N      how long the bot has to answer with audio (default 5)
  -h, --help              this text

Exit code: 0 when the bot behaves, 1 when a step failed, 2 for bad arguments.`;

const MARK: Record<StepResult['verdict'], string> = { pass: 'ok  ', fail: 'FAIL', skip: 'skip' };

type Parsed = { ok: true; run: Parameters<typeof checkBot>[0] } | { ok: false; message: string } | { ok: 'help' };

function parse(argv: string[]): Parsed {
  let a;
  try {
    a = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        protocol: { type: 'string', short: 'p' },
        'sample-rate': { type: 'string', short: 'r' },
        header: { type: 'string', short: 'H', multiple: true },
        'listen-sec': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    return { ok: false, message: (err as Error).message };
  }
  if (a.values.help) return { ok: 'help' };
  const [url, ...extra] = a.positionals;
  if (url === undefined || extra.length > 0 || !/^wss?:\/\//i.test(url) || !URL.canParse(url)) return { ok: false, message: 'one ws:// or wss:// URL is needed' };
  const protocol = a.values.protocol ?? 'native';
  if (!(PROTOCOLS as string[]).includes(protocol)) return { ok: false, message: `--protocol must be one of: ${PROTOCOLS.join(', ')}` };
  const rate = Number(a.values['sample-rate'] ?? 16000);
  if (![8000, 16000, 24000].includes(rate)) return { ok: false, message: '--sample-rate must be 8000, 16000 or 24000' };
  const listen = Number(a.values['listen-sec'] ?? 5);
  if (!(listen > 0 && listen <= 120)) return { ok: false, message: '--listen-sec must be a number of seconds, 0 < N <= 120' };
  const headers: Record<string, string> = {};
  for (const h of a.values.header ?? []) {
    const m = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):\s*(.*)$/.exec(h);
    if (!m) return { ok: false, message: `--header must be "Name: value", not ${JSON.stringify(h)}` };
    headers[m[1]] = m[2];
  }
  return { ok: true, run: { url, protocol: protocol as (typeof PROTOCOLS)[number], sampleRate: rate, headers, listenMs: listen * 1000 } };
}

/** Runs `bot-check` with the arguments after the subcommand; resolves with the exit code. */
export async function botCheckCommand(argv: string[], out: (line: string) => void, err: (line: string) => void): Promise<number> {
  const p = parse(argv);
  if (p.ok === 'help') {
    out(BOT_CHECK_USAGE);
    return 0;
  }
  if (!p.ok) {
    err(`${p.message}\n${BOT_CHECK_USAGE}`);
    return 2;
  }
  const { url, protocol } = p.run;
  const shown = new URL(url);
  // Credentials and query strings stay out of the output (tokens often live there).
  out(`bot-check ${shown.protocol}//${shown.host}${shown.pathname} (protocol ${protocol})`);
  const report = await checkBot({ ...p.run, onStep: (s) => out(`  ${MARK[s.verdict]}  ${s.name.padEnd(9)} ${s.detail}`) });
  const failed = report.steps.filter((s) => s.verdict === 'fail');
  const skipped = report.steps.filter((s) => s.verdict === 'skip').length;
  out(
    report.passed
      ? `PASS: the bot behaves (${report.steps.length - skipped} steps passed${skipped ? `, ${skipped} not exercised by this bot` : ''})`
      : `FAIL: ${failed.map((s) => s.name).join(', ')}`,
  );
  return report.passed ? 0 : 1;
}
