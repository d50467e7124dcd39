/**
 * Cross-field config rules (references between sections, uniqueness, ranges). They run on the partially parsed
 * value even when some fields failed their own validation, so every problem is reported at once.
 */
import type { z } from 'zod';
import { DIAL_PLANS, normalizeDialed } from '../trunks/number-format.js';
import { checkJitterBuffer } from './jitter-buffer.js';
import { checkRecords } from './records-schema.js';

/**
 * Password policy for trunk SIP users: at least 12 characters with upper and lower case letters and digits.
 * Returns the problem or undefined.
 */
export function checkPasswordPolicy(password: string): string | undefined {
  const missing: string[] = [];
  if (password.length < 12) missing.push('at least 12 characters');
  if (!/[A-Z]/.test(password)) missing.push('an upper case letter');
  if (!/[a-z]/.test(password)) missing.push('a lower case letter');
  if (!/[0-9]/.test(password)) missing.push('a digit');
  return missing.length ? `needs ${missing.join(', ')}` : undefined;
}

/**
 * What the cross-field check sees: the partially parsed value, where any field may be missing or still raw
 * if its own validation failed. Every access is therefore defensive.
 */
export interface LooseConfig {
  sip?: { listen?: unknown };
  media?: { rtpPortMin?: unknown; rtpPortMax?: unknown };
  bots?: unknown;
  inboundTrunks?: unknown;
  outboundTrunks?: unknown;
  transferDestinations?: unknown;
  registrations?: unknown;
  callRecords?: unknown;
  webhooks?: unknown;
}

type Ctx = z.RefinementCtx;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Every rule that spans fields; adds one issue per problem, with its path. */
export function crossCheck(cfg: LooseConfig, ctx: Ctx): void {
  checkRtpRange(cfg, ctx);
  checkListenUnique(cfg, ctx);
  checkTrunks(cfg, ctx);
  checkOutbound(cfg, ctx);
  checkPstn(cfg, ctx);
  checkRegistrations(cfg, ctx);
  checkFallbacks(cfg, ctx);
  checkRecords(cfg, ctx);
}

/**
 * A fallback transfer names what exists: a transferDestinations entry (anything not shaped like a number or URI)
 * and an outbound trunk. Whether a number or URI is allowed is the trunk's transferAllow, checked per call as for
 * a bot's own transfer.
 */
function checkFallbacks(cfg: LooseConfig, ctx: Ctx): void {
  if (!Array.isArray(cfg.inboundTrunks)) return;
  const destinations = isRecord(cfg.transferDestinations) ? cfg.transferDestinations : {};
  const outbound = new Set(Array.isArray(cfg.outboundTrunks) ? cfg.outboundTrunks.map((t: unknown) => (isRecord(t) ? t.name : undefined)) : []);
  const check = (f: unknown, path: Array<string | number>): void => {
    if (!isRecord(f) || f.action !== 'transfer') return;
    if (typeof f.to === 'string' && !/^(?:\+?[\d*]|tel:|sips?:|ext:|pbx:)/i.test(f.to) && !Object.hasOwn(destinations, f.to)) {
      ctx.addIssue({ code: 'custom', path: [...path, 'to'], message: `unknown transfer destination "${f.to}"` });
    }
    if (typeof f.trunk === 'string' && !outbound.has(f.trunk)) ctx.addIssue({ code: 'custom', path: [...path, 'trunk'], message: `unknown outbound trunk "${f.trunk}"` });
  };
  cfg.inboundTrunks.forEach((t: unknown, i) => {
    if (!isRecord(t)) return;
    if (t.mode === 'pstn' && t.fallback !== undefined) ctx.addIssue({ code: 'custom', path: ['inboundTrunks', i, 'fallback'], message: 'only for mode flow (a pstn trunk has no bot)' });
    check(t.fallback, ['inboundTrunks', i, 'fallback']);
    if (isRecord(t.numbers)) for (const [num, n] of Object.entries(t.numbers)) if (isRecord(n)) check(n.fallback, ['inboundTrunks', i, 'numbers', num, 'fallback']);
  });
  if (!Array.isArray(cfg.outboundTrunks)) return;
  cfg.outboundTrunks.forEach((t: unknown, i) => {
    if (!isRecord(t)) return;
    const f = t.fallback;
    // An outbound call has no inbound trunk, so no transferAllow: only a named destination can be reached.
    if (isRecord(f) && f.action === 'transfer' && typeof f.to === 'string' && !Object.hasOwn(destinations, f.to)) {
      ctx.addIssue({ code: 'custom', path: ['outboundTrunks', i, 'fallback', 'to'], message: `must name a transferDestinations entry (an outbound call has no transferAllow), got "${f.to}"` });
    } else check(f, ['outboundTrunks', i, 'fallback']);
  });
}

/** Registration names are unique (metric labels, trunk names in `start`) and name existing bots. */
function checkRegistrations(cfg: LooseConfig, ctx: Ctx): void {
  if (!Array.isArray(cfg.registrations)) return;
  const bots = isRecord(cfg.bots) ? cfg.bots : {};
  const names = new Set<string>();
  cfg.registrations.forEach((r: unknown, i) => {
    if (!isRecord(r)) return;
    if (typeof r.bot === 'string' && !Object.hasOwn(bots, r.bot)) {
      ctx.addIssue({ code: 'custom', path: ['registrations', i, 'bot'], message: `unknown bot "${r.bot}"` });
    }
    if (typeof r.name === 'string') {
      if (names.has(r.name)) ctx.addIssue({ code: 'custom', path: ['registrations', i, 'name'], message: `duplicate registration "${r.name}"` });
      names.add(r.name);
    }
  });
}

/** A pstn trunk needs forwardTo; forward targets name existing outbound trunks. */
function checkPstn(cfg: LooseConfig, ctx: Ctx): void {
  if (!Array.isArray(cfg.inboundTrunks)) return;
  const outbound = new Set(
    Array.isArray(cfg.outboundTrunks) ? cfg.outboundTrunks.map((t: unknown) => (isRecord(t) ? t.name : undefined)) : [],
  );
  const checkTarget = (f: unknown, path: Array<string | number>) => {
    if (isRecord(f) && typeof f.trunk === 'string' && !outbound.has(f.trunk)) {
      ctx.addIssue({ code: 'custom', path: [...path, 'trunk'], message: `unknown outbound trunk "${f.trunk}"` });
    }
  };
  cfg.inboundTrunks.forEach((t: unknown, i) => {
    if (!isRecord(t)) return;
    if (t.mode === 'pstn' && t.forwardTo === undefined) {
      ctx.addIssue({ code: 'custom', path: ['inboundTrunks', i, 'forwardTo'], message: 'required for mode pstn' });
    }
    if (t.mode !== 'pstn' && t.forwardTo !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['inboundTrunks', i, 'forwardTo'], message: 'only with mode: pstn' });
    }
    checkTarget(t.forwardTo, ['inboundTrunks', i, 'forwardTo']);
    if (isRecord(t.numbers)) for (const [num, n] of Object.entries(t.numbers)) if (isRecord(n)) checkTarget(n.forwardTo, ['inboundTrunks', i, 'numbers', num, 'forwardTo']);
  });
}

/** Outbound trunk names are unique; destinations (and Twilio bots' transferTrunk) name existing trunks. */
function checkOutbound(cfg: LooseConfig, ctx: Ctx): void {
  const names = new Set<string>();
  if (Array.isArray(cfg.outboundTrunks)) {
    cfg.outboundTrunks.forEach((t: unknown, i) => {
      if (!isRecord(t) || typeof t.name !== 'string') return;
      if (names.has(t.name)) ctx.addIssue({ code: 'custom', path: ['outboundTrunks', i, 'name'], message: `duplicate outbound trunk "${t.name}"` });
      names.add(t.name);
    });
  }
  if (isRecord(cfg.bots)) {
    for (const [name, b] of Object.entries(cfg.bots)) {
      const trunk = isRecord(b) && isRecord(b.twilio) ? b.twilio.transferTrunk : undefined;
      if (typeof trunk === 'string' && !names.has(trunk)) {
        ctx.addIssue({ code: 'custom', path: ['bots', name, 'twilio', 'transferTrunk'], message: `unknown outbound trunk "${trunk}"` });
      }
    }
  }
  if (!isRecord(cfg.transferDestinations)) return;
  for (const [name, d] of Object.entries(cfg.transferDestinations)) {
    if (isRecord(d) && typeof d.trunk === 'string' && !names.has(d.trunk)) {
      ctx.addIssue({ code: 'custom', path: ['transferDestinations', name, 'trunk'], message: `unknown outbound trunk "${d.trunk}"` });
    }
  }
}

function checkRtpRange(cfg: LooseConfig, ctx: Ctx): void {
  const min = cfg.media?.rtpPortMin;
  const max = cfg.media?.rtpPortMax;
  if (typeof min === 'number' && Number.isInteger(min) && min % 2 !== 0) {
    // RTP takes the even port, RTCP the odd one above it.
    ctx.addIssue({ code: 'custom', path: ['media', 'rtpPortMin'], message: 'must be even' });
  }
  if (typeof min === 'number' && typeof max === 'number' && min >= max) {
    ctx.addIssue({ code: 'custom', path: ['media', 'rtpPortMax'], message: `must be greater than rtpPortMin (${min})` });
  }
}

function checkListenUnique(cfg: LooseConfig, ctx: Ctx): void {
  const listen = cfg.sip?.listen;
  if (!Array.isArray(listen)) return;
  const seen = new Set<string>();
  listen.forEach((l: unknown, i) => {
    if (!isRecord(l)) return;
    const key = `${String(l.transport)}|${String(l.host)}|${String(l.port)}`;
    if (l.port !== 0 && seen.has(key)) {
      ctx.addIssue({ code: 'custom', path: ['sip', 'listen', i], message: 'duplicate listen entry' });
    }
    seen.add(key);
  });
}

/** Numbers match leniently with or without a leading '+', so uniqueness compares them that way too. */
function normalizeNumber(n: string): string {
  return n.startsWith('+') ? n.slice(1) : n;
}

function checkTrunks(cfg: LooseConfig, ctx: Ctx): void {
  const trunks = cfg.inboundTrunks;
  if (!Array.isArray(trunks)) return;
  const bots = isRecord(cfg.bots) ? cfg.bots : {};
  const botExists = (name: unknown) => typeof name !== 'string' || Object.hasOwn(bots, name);
  const trunkNames = new Map<string, number>();
  const numberOwner = new Map<string, { trunk: number; key: string }>();

  trunks.forEach((t: unknown, i) => {
    if (!isRecord(t)) return;
    if (typeof t.name === 'string') {
      const first = trunkNames.get(t.name);
      if (first !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['inboundTrunks', i, 'name'],
          message: `duplicate trunk name "${t.name}" (also inboundTrunks[${first}])`,
        });
      } else {
        trunkNames.set(t.name, i);
      }
    }
    const trunkLabel = typeof t.name === 'string' ? `trunk "${t.name}"` : `inboundTrunks[${i}]`;
    const allowList = Array.isArray(t.allow) ? t.allow : [];
    const creds = Array.isArray(t.credentials) ? t.credentials : [];
    if (Array.isArray(t.allow) && Array.isArray(t.credentials) && allowList.length === 0 && creds.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['inboundTrunks', i, 'allow'], message: `${trunkLabel} needs an allow list or credentials` });
    }
    const usernames = new Set<string>();
    creds.forEach((c: unknown, j) => {
      if (!isRecord(c)) return;
      if (typeof c.password === 'string') {
        const problem = checkPasswordPolicy(c.password);
        if (problem) {
          ctx.addIssue({ code: 'custom', path: ['inboundTrunks', i, 'credentials', j, 'password'], message: `${trunkLabel}: weak password for "${String(c.username)}": ${problem}` });
        }
      }
      if (typeof c.username === 'string') {
        if (usernames.has(c.username)) {
          ctx.addIssue({ code: 'custom', path: ['inboundTrunks', i, 'credentials', j, 'username'], message: `${trunkLabel}: duplicate username "${c.username}"` });
        }
        usernames.add(c.username);
      }
    });
    if (!botExists(t.bot)) {
      ctx.addIssue({ code: 'custom', path: ['inboundTrunks', i, 'bot'], message: `unknown bot "${String(t.bot)}"` });
    }
    checkJitterBuffer(t, ['inboundTrunks', i], ctx);
    if (!isRecord(t.numbers)) return;
    for (const [num, entry] of Object.entries(t.numbers)) {
      if (isRecord(entry) && !botExists(entry.bot)) {
        ctx.addIssue({
          code: 'custom',
          path: ['inboundTrunks', i, 'numbers', num, 'bot'],
          message: `unknown bot "${String(entry.bot)}"`,
        });
      }
      const norm = normalizeNumber(normalizeDialed(num, typeof t.country === 'string' && Object.hasOwn(DIAL_PLANS, t.country) ? t.country : undefined));
      const owner = numberOwner.get(norm);
      if (owner && owner.trunk !== i) {
        ctx.addIssue({
          code: 'custom',
          path: ['inboundTrunks', i, 'numbers', num],
          message: `number also routed by inboundTrunks[${owner.trunk}] ("${owner.key}")`,
        });
      } else if (!owner) {
        numberOwner.set(norm, { trunk: i, key: num });
      }
    }
  });
}
