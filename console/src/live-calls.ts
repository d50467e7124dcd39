// Live calls from the bridge's event stream (GET /v1/events): the list kept from its events, the meters' scale and
// the reconnect delays. Pure, so each is tested on plain values (test/unit/console/live-calls.test.ts).

/** A live call as the API shows it (GET /v1/calls/{id}); only the id matters here. */
export interface LiveCall {
  callId: string;
  [field: string]: unknown;
}

/** The call list after one event of the stream (newest figures win; order is answer order). Other events change nothing. */
export function applyLiveEvent(calls: readonly LiveCall[], event: string, data: unknown): readonly LiveCall[] {
  const d = data as { calls?: LiveCall[]; callId?: string } | null;
  if (event === 'snapshot') return Array.isArray(d?.calls) ? d.calls : [];
  if (typeof d?.callId !== 'string') return calls;
  if (event === 'call.ended') return calls.filter((c) => c.callId !== d.callId);
  if (event !== 'call.started' && event !== 'call.updated') return calls;
  const call = d as LiveCall;
  const at = calls.findIndex((c) => c.callId === call.callId);
  if (at < 0) return [...calls, call];
  const next = calls.slice();
  next[at] = call;
  return next;
}

/** The meters' range, dBFS: below the floor reads empty (the API's -96 is silence). */
export const METER_FLOOR_DBFS = -60;

/** A level as a meter's value, clamped to [METER_FLOOR_DBFS, 0]; undefined stays undefined (no figure). */
export function meterValue(dbfs: unknown): number | undefined {
  if (typeof dbfs !== 'number' || Number.isNaN(dbfs)) return undefined;
  return Math.min(0, Math.max(METER_FLOOR_DBFS, dbfs));
}

/** How full a meter is drawn, percent (0 at the floor, 100 at 0 dBFS). */
export function meterPercent(dbfs: unknown): number {
  const v = meterValue(dbfs);
  return v === undefined ? 0 : Math.round(((v - METER_FLOOR_DBFS) / -METER_FLOOR_DBFS) * 100);
}

/** Wait before reconnect attempt `failures` (1, 2, ...): 1 s doubling to 30 s at most, less up to 20 % (so tabs spread out). */
export function reconnectDelayMs(failures: number, random: () => number = Math.random): number {
  const base = Math.min(30_000, 1000 * 2 ** Math.max(0, failures - 1));
  return Math.round(base * (1 - 0.2 * random()));
}
