/**
 * Renders the README's reason tables from the catalogue, so the documented reasons cannot drift from the code.
 * `UPDATE_README=1 npx vitest run test/unit/core/failures.test.ts` rewrites the README section.
 */
import { END_REASONS, OWN_FAILURES } from '../../../src/core/failures.js';

export const START = '<!-- reasons:start (generated from src/core/failures.ts by test/unit/core/failures.test.ts) -->';
export const END = '<!-- reasons:end -->';

export function renderReasonTables(): string {
  const rows = Object.entries(OWN_FAILURES).map(
    ([reason, s]) => `| \`${reason}\` | ${s.sip} | ${s.http} | ${'retryAfterSec' in s ? `${s.retryAfterSec} s` : ''} | ${s.about} |`,
  );
  const ends = Object.entries(END_REASONS).map(([reason, e]) => `| \`${reason}\` | ${e.ws} | ${e.about} |`);
  return [
    START,
    '| reason | SIP | HTTP | Retry-After | when |',
    '| --- | --- | --- | --- | --- |',
    ...rows,
    '',
    'A far end that fails one of our legs (outbound call, transfer, pstn forward) is reported with its own status and',
    'the slug of its reason phrase: `{"sipStatus":486,"reason":"busy-here"}`, `480 temporarily-unavailable`,',
    '`603 decline`, ... (`remote-rejected` for a status without a standard phrase).',
    '',
    'Why an answered call ended (`stop.reason`, the `reason` label of `trunkbridge_calls_ended_total`), and the',
    "close code of the bot's socket:",
    '',
    '| reason | close code | when |',
    '| --- | --- | --- |',
    ...ends,
    END,
  ].join('\n');
}

/** The README with its reason section replaced by `section`. */
export function withSection(readme: string, section: string): string {
  const a = readme.indexOf(START);
  const b = readme.indexOf(END);
  if (a < 0 || b < a) throw new Error('README has no reasons section markers');
  return readme.slice(0, a) + section + readme.slice(b + END.length);
}
