import { randomBytes } from 'node:crypto';
import { BRANCH_MAGIC_COOKIE } from './via.js';

/** A new RFC 3261 branch ID (§8.1.1.7: magic cookie + value unique across space and time). */
export function newBranch(): string {
  return BRANCH_MAGIC_COOKIE + randomBytes(10).toString('hex');
}

/** A new From/To tag (§19.3: at least 32 bits of randomness). */
export function newTag(): string {
  return randomBytes(6).toString('hex');
}

/** A new Call-ID (§8.1.1.4). */
export function newCallId(host?: string): string {
  const id = randomBytes(12).toString('hex');
  return host ? `${id}@${host}` : id;
}
