/**
 * Reading the bot-connection parts of a parsed config: each call's fallback (the number's, else its trunk's), and
 * every prompt file the config names (fallback prompts, hold files), so the app can check them at startup.
 */
import type { FallbackConfig } from './fallback-schema.js';
import type { Config } from './schema.js';

/** The fallback for a call routed to `number` on inbound trunk `trunk`; undefined: none configured (reject). */
export function fallbackFor(config: Config, trunk: string, number: string): FallbackConfig | undefined {
  const t = config.inboundTrunks.find((x) => x.name === trunk);
  if (!t) return undefined;
  return (Object.hasOwn(t.numbers, number) ? t.numbers[number].fallback : undefined) ?? t.fallback;
}

/** The fallback of calls placed through outbound trunk `trunk`; undefined: none configured (reject). */
export function outboundFallbackFor(config: Config, trunk: string): FallbackConfig | undefined {
  return config.outboundTrunks.find((t) => t.name === trunk)?.fallback;
}

/** Every prompt file the config names, with the field that names it (for error messages). */
export function promptFiles(config: Config): Array<{ path: string; file: string }> {
  const out: Array<{ path: string; file: string }> = [];
  for (const [name, bot] of Object.entries(config.bots)) {
    if ('holdFile' in bot && bot.holdFile !== undefined) out.push({ path: `bots.${name}.holdFile`, file: bot.holdFile });
  }
  if (config.recordings?.consentPrompt !== undefined) out.push({ path: 'recordings.consentPrompt', file: config.recordings.consentPrompt });
  config.inboundTrunks.forEach((t, i) => {
    if (t.fallback?.action === 'play') out.push({ path: `inboundTrunks[${i}].fallback.file`, file: t.fallback.file });
    for (const [num, n] of Object.entries(t.numbers)) {
      if (n.fallback?.action === 'play') out.push({ path: `inboundTrunks[${i}].numbers[${JSON.stringify(num)}].fallback.file`, file: n.fallback.file });
    }
  });
  config.outboundTrunks.forEach((t, i) => {
    if (t.fallback?.action === 'play') out.push({ path: `outboundTrunks[${i}].fallback.file`, file: t.fallback.file });
  });
  return out;
}

/** A call's recording mode: the number's, else the trunk's, else the bot's, else off. */
export function recordingModeFor(config: Config, trunk: string, number: string, bot: string): 'off' | 'always' | 'on-demand' {
  const t = config.inboundTrunks.find((x) => x.name === trunk);
  const n = t && Object.hasOwn(t.numbers, number) ? t.numbers[number].recording : undefined;
  return n ?? t?.recording ?? config.bots[bot]?.recording ?? 'off';
}
