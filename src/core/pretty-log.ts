/**
 * Human-readable log lines (LOG_FORMAT=pretty, or stdout on a TTY): pino's JSON line in, one line out,
 * `12:03:04.567 INFO  call answered  callId=… sipCallId=… trunk=carrier-a`, an error's stack on the lines
 * below. Hand-written rather than pino-pretty to keep the runtime dependencies as they are: this needs a
 * fraction of what pino-pretty does. Pure except for {@link prettyDestination}.
 */

const LEVELS: Readonly<Record<number, { name: string; color: string }>> = {
  10: { name: 'TRACE', color: '\x1b[90m' },
  20: { name: 'DEBUG', color: '\x1b[36m' },
  30: { name: 'INFO', color: '\x1b[32m' },
  40: { name: 'WARN', color: '\x1b[33m' },
  50: { name: 'ERROR', color: '\x1b[31m' },
  60: { name: 'FATAL', color: '\x1b[41m' },
};
const RESET = '\x1b[0m';
/** Fields every line has, shown in the prefix or not at all. */
const OMITTED = new Set(['level', 'time', 'msg', 'service', 'pid', 'hostname', 'err']);
/** Shown first, in this order, so a call's lines line up. */
const FIRST = ['callId', 'sipCallId', 'trunk'];

function formatValue(v: unknown): string {
  if (typeof v === 'string') return /^[^\s"=]+$/.test(v) ? v : JSON.stringify(v);
  return JSON.stringify(v) ?? String(v);
}

/** One pino JSON line as a readable line (with its trailing newline); a line that is not JSON passes through. */
export function prettyLine(jsonLine: string, colors = false): string {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(jsonLine) as Record<string, unknown>;
  } catch {
    return jsonLine.endsWith('\n') ? jsonLine : `${jsonLine}\n`;
  }
  const level = LEVELS[Number(o.level)] ?? { name: String(o.level), color: '' };
  const time = typeof o.time === 'string' ? (o.time.split('T')[1]?.replace('Z', '') ?? o.time) : new Date(Number(o.time ?? Date.now())).toISOString().slice(11, 23);
  const keys = [...FIRST.filter((k) => k in o), ...Object.keys(o).filter((k) => !OMITTED.has(k) && !FIRST.includes(k))];
  const fields = keys.map((k) => `${k}=${formatValue(o[k])}`).join(' ');
  const name = level.name.padEnd(5);
  const head = `${time} ${colors ? `${level.color}${name}${RESET}` : name} ${String(o.msg ?? '')}${fields ? `  ${fields}` : ''}`;
  const err = o.err as { stack?: string; message?: string } | undefined;
  const stack = err && typeof err === 'object' ? `\n    ${(err.stack ?? err.message ?? JSON.stringify(err)).split('\n').join('\n    ')}` : '';
  return `${head}${stack}\n`;
}

/** A pino destination that writes pretty lines to `out`. */
export function prettyDestination(out: NodeJS.WritableStream, colors: boolean): { write(line: string): boolean } {
  return { write: (line) => out.write(prettyLine(line, colors)) };
}
