/**
 * Why a bot's socket did not open, as a closed set for the `reason` label of bot connect failures. Read from the
 * error's message, the one thing that survives the trip from a media worker (bot/connector.ts words it).
 */
export type BotConnectFailureReason = 'timeout' | 'refused' | 'upgrade-rejected' | 'dns' | 'aborted' | 'other';

const RULES: ReadonlyArray<readonly [RegExp, BotConnectFailureReason]> = [
  [/no WebSocket upgrade within|ETIMEDOUT/, 'timeout'],
  [/ECONNREFUSED|ECONNRESET|EHOSTUNREACH|ENETUNREACH/, 'refused'],
  [/upgrade rejected with HTTP|Unexpected server response/, 'upgrade-rejected'],
  [/ENOTFOUND|EAI_AGAIN/, 'dns'],
  [/aborted/, 'aborted'],
];

export function botConnectFailureReason(err: unknown): BotConnectFailureReason {
  const message = err instanceof Error ? err.message : String(err);
  for (const [pattern, reason] of RULES) if (pattern.test(message)) return reason;
  return 'other';
}
