/**
 * `recordings` (where and how calls are recorded) and the `recording` mode of a trunk, number or bot (README
 * "Recording"). A mode other than off needs `recordings`; the checks name the field at fault.
 */
import { isAbsolute } from 'node:path';
import { z } from 'zod';

/** off: never; always: the whole answered call; on-demand: the bot's `record` command or the API. */
export const RECORDING_MODES = ['off', 'always', 'on-demand'] as const;
export type RecordingMode = (typeof RECORDING_MODES)[number];

export const recordingModeSchema = z.enum(RECORDING_MODES, { error: `must be one of: ${RECORDING_MODES.join(', ')}` });

export const recordingsSchema = z.strictObject({
  /** Root folder of the files (created when missing). */
  dir: z.string().min(1),
  /** File path under `dir`: `{date}` (UTC YYYY-MM-DD), `{callId}`, `{ext}` (wav or ogg). */
  pattern: z
    .string()
    .min(1)
    .default('{date}/{callId}.{ext}')
    .refine((p) => p.includes('{callId}'), { message: 'must contain {callId} (one file per call)' })
    .refine((p) => !isAbsolute(p) && !p.split(/[\\/]/).includes('..'), { message: 'must be a relative path inside recordings.dir (no "..")' })
    .refine((p) => !/\{(?!date\}|callId\}|ext\})[^}]*\}/.test(p), { message: 'only {date}, {callId} and {ext} can be filled in' }),
  /** wav: 16-bit PCM; ogg: Opus (about a tenth of the size). */
  format: z.enum(['wav', 'ogg'], { error: 'must be wav or ogg' }).default('wav'),
  /** Rate of the files, Hz. */
  sampleRate: z.literal([8000, 16000], { error: 'must be 8000 or 16000' }).default(16000),
  /** Files older than this many days are deleted (checked hourly); absent: kept. */
  retentionDays: z.number().int().min(1).max(36_500).optional(),
  /** A prompt file (WAV) played to the caller before the bot is heard, on calls that may be recorded. */
  consentPrompt: z.string().min(1).optional(),
});

export type RecordingsConfig = z.output<typeof recordingsSchema>;

/** The parts of a config the mode check reads. */
interface ModeView {
  recordings?: unknown;
  bots?: Record<string, { recording?: unknown } | undefined>;
  inboundTrunks?: Array<{ recording?: unknown; numbers?: Record<string, { recording?: unknown } | undefined> } | undefined>;
}

/** A recording mode other than off with no `recordings` section: one issue per such field. */
export function checkRecordingModes(cfg: ModeView, ctx: z.RefinementCtx): void {
  if (cfg.recordings !== undefined) return;
  const on = (m: unknown): boolean => m === 'always' || m === 'on-demand';
  const issue = (path: Array<string | number>): void => ctx.addIssue({ code: 'custom', path, message: 'needs a "recordings" section (recordings.dir)' });
  for (const [name, b] of Object.entries(cfg.bots ?? {})) if (on(b?.recording)) issue(['bots', name, 'recording']);
  (cfg.inboundTrunks ?? []).forEach((t, i) => {
    if (on(t?.recording)) issue(['inboundTrunks', i, 'recording']);
    for (const [num, n] of Object.entries(t?.numbers ?? {})) if (on(n?.recording)) issue(['inboundTrunks', i, 'numbers', num, 'recording']);
  });
}
