/**
 * Routing for calls that reach a PBX extension we registered: the Request-URI user is our Contact user and
 * the INVITE comes from the registrar's address (anyone else dialling that user is not the PBX). Pure.
 */
import type { RouteDecision, RouteRequest } from './inbound-router.js';

export interface RegisteredExtension {
  /** Registration name: reported as the call's trunk. */
  name: string;
  contactUser: string;
  bot: string;
  registrarAddresses: ReadonlySet<string>;
}

function bare(address: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return m ? m[1] : address.replace(/^\[|\]$/g, '');
}

/** The decision for a call to one of `extensions`, or undefined to fall through to trunk routing. */
export function routeRegistered(req: RouteRequest, extensions: readonly RegisteredExtension[]): RouteDecision | undefined {
  const user = req.requestUser || req.toUser;
  const source = bare(req.sourceAddress);
  const hit = extensions.find((e) => e.contactUser === user && e.registrarAddresses.has(source));
  return hit ? { trunk: hit.name, bot: hit.bot, number: user } : undefined;
}
