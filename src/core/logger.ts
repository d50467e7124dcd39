import { pino, type Logger } from 'pino';
import { prettyDestination } from './pretty-log.js';

export type { Logger };

/**
 * Field names whose values never reach a log line (digest passwords, bot auth headers).
 * pino's redaction works on paths, so list the shapes we log.
 */
const REDACT_PATHS = [
  'password',
  '*.password',
  '*.*.password',
  'headers.authorization',
  'headers.Authorization',
  '*.headers.authorization',
  '*.headers.Authorization',
  'authorization',
  'Authorization',
];

export interface LoggerOptions {
  level?: string;
  /** Write to this destination instead of stdout (tests). */
  destination?: NodeJS.WritableStream;
  /**
   * json: one pino JSON object a line; pretty: human-readable lines. Default: LOG_FORMAT (json|pretty), else
   * pretty when stdout is a TTY, else json.
   */
  format?: 'json' | 'pretty';
}

/** The format {@link createLogger} uses when none is given. */
export function defaultLogFormat(env: NodeJS.ProcessEnv = process.env, isTty = process.stdout.isTTY === true): 'json' | 'pretty' {
  if (env.LOG_FORMAT === 'pretty' || env.LOG_FORMAT === 'json') return env.LOG_FORMAT;
  return isTty ? 'pretty' : 'json';
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const opts = {
    level: options.level ?? process.env.LOG_LEVEL ?? 'info',
    base: { service: 'trunkbridge' },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  // A destination is a test capturing lines to parse: JSON unless asked otherwise.
  const format = options.format ?? (options.destination ? 'json' : defaultLogFormat());
  if (format === 'pretty') {
    const out = options.destination ?? process.stdout;
    return pino(opts, prettyDestination(out, out === process.stdout && process.stdout.isTTY === true) as never);
  }
  return options.destination ? pino(opts, options.destination as never) : pino(opts);
}

/** A logger that drops everything (unit tests). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
