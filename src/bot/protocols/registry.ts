/**
 * Every bot dialect by its `bots.<name>.protocol` name. Adding a dialect is its module plus one line here
 * (and its name in config's list of protocols, which app/seams.ts checks against {@link DialectName}).
 */
import type { Dialect } from './dialect.js';
import { exotelDialect } from './exotel.js';
import { jambonzDialect } from './jambonz.js';
import { nativeDialect } from './native.js';
import { plivoDialect } from './plivo.js';
import { telnyxDialect } from './telnyx.js';
import { twilioDialect } from './twilio.js';
import { vonageDialect } from './vonage.js';

/** The registry: name -> dialect. */
export const DIALECTS = {
  native: nativeDialect,
  twilio: twilioDialect,
  telnyx: telnyxDialect,
  plivo: plivoDialect,
  exotel: exotelDialect,
  vonage: vonageDialect,
  jambonz: jambonzDialect,
} as const satisfies Record<string, Dialect>;

/** A dialect's name, as configured and as carried by a {@link BotTarget} (a plain string: it crosses threads). */
export type DialectName = keyof typeof DIALECTS;

/** The dialect for `name`; protocol v1 (native) when none is given. */
export function dialectFor(name: DialectName | undefined): Dialect {
  return DIALECTS[name ?? 'native'];
}
