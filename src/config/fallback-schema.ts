/**
 * `fallback` of an inbound trunk or number: what a caller gets when the bot cannot be reached, or its connection
 * drops mid-call and does not come back within the bot's reconnectMs. One object with every key, so errors name
 * the exact field; the superRefine says which keys go with which action.
 *
 *   fallback: reject                                   # default: 503 before the answer, BYE after it
 *   fallback: { action: play, file: /srv/sorry.wav }   # the prompt, then BYE
 *   fallback: { action: transfer, to: support-desk }   # a destination, through the trunk's transfer rules
 */
import { z } from 'zod';
import { promptPath } from './bot-link-schema.js';

const ACTIONS = ['reject', 'play', 'transfer'] as const;

const rawFallback = z
  .strictObject({
    action: z.enum(ACTIONS, { error: `must be one of: ${ACTIONS.join(', ')}` }),
    /** play: the prompt file (WAV, 16-bit PCM mono, 8 or 16 kHz). */
    file: promptPath.optional(),
    /** transfer: a transferDestinations name, a number (with `trunk`) or a sip: URI the trunk's transferAllow permits. */
    to: z.string().min(1).max(256).optional(),
    /** transfer: the outbound trunk for a number. */
    trunk: z.string().min(1).max(64).optional(),
    /** transfer: refer or bridge (default: the destination's, else bridge). */
    method: z.enum(['refer', 'bridge']).optional(),
  })
  .superRefine((f, ctx) => {
    const needs: Record<(typeof ACTIONS)[number], readonly string[]> = { reject: [], play: ['file'], transfer: ['to'] };
    const allowed: Record<(typeof ACTIONS)[number], readonly string[]> = { reject: [], play: ['file'], transfer: ['to', 'trunk', 'method'] };
    const action = f.action as (typeof ACTIONS)[number] | undefined;
    if (action === undefined || !ACTIONS.includes(action)) return;
    const record = f as Record<string, unknown>;
    for (const key of needs[action]) if (record[key] === undefined) ctx.addIssue({ code: 'custom', path: [key], message: `required for action ${action}` });
    for (const key of ['file', 'to', 'trunk', 'method']) {
      if (record[key] !== undefined && !allowed[action].includes(key)) ctx.addIssue({ code: 'custom', path: [key], message: `not allowed for action ${action}` });
    }
  }, { when: () => true });

/** A parsed fallback (the shape calls/ reads as BotFallback). */
export type FallbackConfig =
  | { readonly action: 'reject' }
  | { readonly action: 'play'; readonly file: string }
  | { readonly action: 'transfer'; readonly to: string; readonly trunk?: string; readonly method?: 'refer' | 'bridge' };

/** `fallback`: the string "reject" or an object; parsed to {@link FallbackConfig}. */
export const fallbackSchema = z
  .preprocess((v) => (typeof v === 'string' ? { action: v } : v), rawFallback)
  .transform((f): FallbackConfig => {
    if (f.action === 'play') return { action: 'play', file: f.file ?? '' };
    if (f.action === 'transfer') return { action: 'transfer', to: f.to ?? '', ...(f.trunk !== undefined ? { trunk: f.trunk } : {}), ...(f.method ? { method: f.method } : {}) };
    return { action: 'reject' };
  });
