/**
 * What a node tells the others when one of its calls is published (answered) or released (ended): the payload of
 * the PostgreSQL call registry's NOTIFY (channel {@link PG_CALLS_CHANNEL}). Pure: values in, strings out and back,
 * so the encoding is tested on raw payloads. A NOTIFY payload is limited to 8000 bytes; a publish whose details do
 * not fit goes without them, and a listener reads them from the registry instead.
 */

export const PG_CALLS_CHANNEL = 'trunkbridge_call_changes';
/** Payloads stay under PostgreSQL's 8000-byte NOTIFY limit (with room for the channel name). */
export const MAX_CHANGE_BYTES = 7800;

/** A call published or released by `node`. */
export type CallChange =
  | {
      op: 'published';
      callId: string;
      node: string;
      trunk?: string;
      /** The call's details as published; absent when they were too big for a notification. */
      info?: Record<string, unknown>;
    }
  | {
      op: 'released';
      callId: string;
      node: string;
      /** Why it ended (the call's end reason); absent for a slot released before an answer. */
      reason?: string;
      durationSec?: number;
    };

/** The payload for `change`: JSON, its `info` dropped when the whole would pass {@link MAX_CHANGE_BYTES}. */
export function encodeCallChange(change: CallChange): string {
  const text = JSON.stringify(change);
  if (Buffer.byteLength(text) <= MAX_CHANGE_BYTES || change.op !== 'published') return text;
  const { info: _info, ...rest } = change;
  return JSON.stringify(rest);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): v is string => typeof v === 'string' && v.length > 0;

/** A payload read back; undefined for anything that is not a well-formed change (ignored by the listener). */
export function parseCallChange(payload: string): CallChange | undefined {
  let v: unknown;
  try {
    v = JSON.parse(payload);
  } catch {
    return undefined;
  }
  if (!isObject(v) || !str(v.callId) || !str(v.node)) return undefined;
  const base = { callId: v.callId, node: v.node };
  if (v.op === 'published') {
    return {
      op: 'published',
      ...base,
      ...(str(v.trunk) ? { trunk: v.trunk } : {}),
      ...(isObject(v.info) ? { info: v.info } : {}),
    };
  }
  if (v.op === 'released') {
    return {
      op: 'released',
      ...base,
      ...(str(v.reason) ? { reason: v.reason } : {}),
      ...(typeof v.durationSec === 'number' && Number.isFinite(v.durationSec) ? { durationSec: v.durationSec } : {}),
    };
  }
  return undefined;
}
