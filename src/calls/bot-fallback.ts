/**
 * What a call does when its bot is gone: the number's (else the trunk's) `fallback`. `reject` refuses an unanswered
 * call with 503 (and hangs up an answered one); `play` plays a prompt file to the caller, then hangs up; `transfer`
 * hands the caller to a destination through the usual transfer rules (named destinations, the trunk's
 * transferAllow), hanging up if that fails.
 */
import type { Logger } from '../core/logger.js';
import type { EndReason } from './call-events.js';
import type { CallMedia, CallMediaGroup } from './media-engine.js';
import type { TransferController } from './transfer.js';

/** One configured fallback (config's `fallback` entries fit it, checked in src/app/seams.ts). */
export type BotFallback =
  | { readonly action: 'reject' }
  | { readonly action: 'play'; readonly file: string }
  | { readonly action: 'transfer'; readonly to: string; readonly trunk?: string; readonly method?: 'refer' | 'bridge' };

/** The default: as before fallbacks existed. */
export const REJECT: BotFallback = { action: 'reject' };

/** The call a fallback acts on (a BridgedCall whose bot is gone or never came). */
export interface FallbackHost {
  readonly log: Logger;
  /** The caller's leg. */
  readonly media: CallMedia;
  readonly group: CallMediaGroup;
  readonly transfers: TransferController | undefined;
  end(reason: EndReason): void;
}

/**
 * Runs `fallback` for a call whose bot is gone: `reason` ("bot-lost" or "bot-unavailable") ends the call unless
 * a transfer took it over. Never throws: a failure is logged and the call ends.
 */
export async function runFallback(fallback: BotFallback, host: FallbackHost, reason: 'bot-lost' | 'bot-unavailable'): Promise<void> {
  try {
    if (fallback.action === 'play') {
      // Nobody hears the bot any more: the caller's queue (hold audio) is dropped, the prompt plays alone.
      host.group.route({});
      host.log.info({ file: fallback.file }, 'bot gone: playing the fallback prompt');
      await host.group.play(host.media.id, fallback.file);
    } else if (fallback.action === 'transfer' && host.transfers) {
      host.group.route({});
      host.log.info({ to: fallback.to }, 'bot gone: transferring the caller (fallback)');
      const cmd = { to: fallback.to, ...(fallback.trunk !== undefined ? { trunk: fallback.trunk } : {}), ...(fallback.method ? { method: fallback.method } : {}) };
      const outcome = await host.transfers.run(cmd);
      // completed (REFER): the controller ended the call; answered (bridge): the caller talks to the destination.
      if (outcome.status !== 'failed') return;
      host.log.warn({ reason: outcome.reason, sipStatus: outcome.sipStatus }, 'fallback transfer failed; hanging up');
    } else if (fallback.action === 'transfer') {
      host.log.warn('fallback transfer configured but this call has no transfer services; hanging up');
    }
  } catch (err) {
    host.log.warn({ err: (err as Error).message }, 'fallback failed; hanging up');
  }
  host.end(reason);
}
