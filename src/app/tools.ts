/**
 * The tools the /v1 API runs in the bridge process (POST /v1/test-calls, POST /v1/bot-checks): testcall/ and
 * botcheck/ adapted to api/'s runner shape, so api/ imports neither. Part of the composition root (layer "app").
 */
import type { ToolRunners, TestCallRequest, BotCheckRequest } from '../api/admin/index.js';
import { parseTestCallArgs } from '../testcall/args.js';
import { EXIT, runTestCall } from '../testcall/run.js';
import { checkBot, PROTOCOLS, type StepResult } from '../botcheck/index.js';
import type { BotConfig } from '../config/index.js';

const MARK: Record<StepResult['verdict'], string> = { pass: 'ok  ', fail: 'FAIL', skip: 'skip' };

/** The request as `test-call` arguments: one parser for the CLI and the API (its defaults, its checks). */
export function testCallArgv(r: TestCallRequest): string[] {
  const argv = [r.uri, '--seconds', String(r.seconds)];
  if (r.expectEcho) argv.push('--expect-echo');
  if (r.toneHz !== undefined) argv.push('--tone', String(r.toneHz));
  if (r.from !== undefined) argv.push('--from', r.from);
  if (r.transport !== undefined) argv.push('--transport', r.transport);
  if (r.user !== undefined && r.password !== undefined) argv.push('--user', r.user, '--password', r.password);
  return argv;
}

async function runTestCallRequest(r: TestCallRequest, print: (line: string) => void, abort: AbortSignal): Promise<number> {
  const parsed = parseTestCallArgs(testCallArgv(r));
  if (!parsed.ok) {
    print(`FAIL: ${parsed.help ? 'no test call given' : parsed.error}`);
    return EXIT.usage;
  }
  return runTestCall(parsed.args, { print, abort });
}

async function runBotCheckRequest(r: BotCheckRequest, print: (line: string) => void, abort: AbortSignal): Promise<number> {
  // A stored bot's headers and secret are used, never printed.
  const extras = [r.headers ? `headers: ${Object.keys(r.headers).join(', ')}` : '', r.secret !== undefined ? 'signed' : ''].filter(Boolean).join('; ');
  // As the CLI prints it: credentials and the query string stay out (tokens often live there).
  const shown = URL.canParse(r.url) ? ((u) => `${u.protocol}//${u.host}${u.pathname}`)(new URL(r.url)) : r.url;
  print(`bot-check ${r.bot !== undefined ? `bot "${r.bot}" at ` : ''}${shown} (${r.protocol}${extras ? `; ${extras}` : ''})`);
  const report = await checkBot({
    url: r.url,
    protocol: r.protocol as (typeof PROTOCOLS)[number],
    ...(r.sampleRate !== undefined ? { sampleRate: r.sampleRate } : {}),
    ...(r.headers !== undefined ? { headers: r.headers } : {}),
    ...(r.secret !== undefined ? { secret: r.secret } : {}),
    ...(r.connectTimeoutMs !== undefined ? { connectTimeoutMs: r.connectTimeoutMs } : {}),
    ...(r.bot !== undefined ? { as: { botName: r.bot, ...(r.parameters ? { parameters: r.parameters } : {}), ...(r.encoding ? { encoding: r.encoding } : {}) } } : {}),
    ...(r.listenSec !== undefined ? { listenMs: r.listenSec * 1000 } : {}),
    onStep: (s) => print(`${MARK[s.verdict]} ${s.name}: ${s.detail}`),
  });
  if (abort.aborted) return 130;
  print(report.passed ? 'PASS' : 'FAIL');
  return report.passed ? 0 : 1;
}

/** Both tools, for toolRunRoutes; `bots` are the live configuration's (a check of a stored bot reads them). */
export function toolRunners(bots?: () => Readonly<Record<string, BotConfig>>): ToolRunners {
  return { testCall: runTestCallRequest, botCheck: { run: runBotCheckRequest, protocols: PROTOCOLS as unknown as [string, ...string[]], ...(bots ? { bots } : {}) } };
}
