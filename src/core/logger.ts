import { pino, type Logger } from 'pino';

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
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const opts = {
    level: options.level ?? process.env.LOG_LEVEL ?? 'info',
    base: { service: 'trunkbridge' },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return options.destination ? pino(opts, options.destination as never) : pino(opts);
}

/** A logger that drops everything (unit tests). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
