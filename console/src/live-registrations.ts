// Registration states from the bridge's event stream (GET /v1/events): the `snapshot`'s registrations, then each
// `registration` event. Pure, so it is tested on plain values (test/unit/console/live-registrations.test.ts).

/** A registration's state as the stream last told it, and the node running it (a cluster only). */
export interface RegistrationLive {
  state: string;
  node?: string;
}

export type RegistrationStates = Readonly<Record<string, RegistrationLive>>;

function entry(v: unknown): [string, RegistrationLive] | undefined {
  const r = v as { name?: unknown; state?: unknown; node?: unknown } | null;
  if (typeof r?.name !== 'string' || typeof r.state !== 'string') return undefined;
  return [r.name, { state: r.state, ...(typeof r.node === 'string' ? { node: r.node } : {}) }];
}

/** The states after one event: a snapshot replaces them all, a registration event sets one; others return `states` itself. */
export function applyRegistrationEvent(states: RegistrationStates, event: string, data: unknown): RegistrationStates {
  if (event === 'snapshot') {
    const list = (data as { registrations?: unknown } | null)?.registrations;
    const next: Record<string, RegistrationLive> = {};
    if (Array.isArray(list)) for (const v of list) {
      const e = entry(v);
      if (e) next[e[0]] = e[1];
    }
    return next;
  }
  if (event !== 'registration') return states;
  const e = entry(data);
  return e ? { ...states, [e[0]]: e[1] } : states;
}

/** What a row shows: the live state and node when the stream told them, else what the list was loaded with. */
export function registrationRow(item: { name: string; state?: unknown; node?: unknown }, states: RegistrationStates): { state: string | undefined; node: string | undefined } {
  const live = states[item.name];
  return {
    state: live?.state ?? (typeof item.state === 'string' ? item.state : undefined),
    node: live?.node ?? (typeof item.node === 'string' ? item.node : undefined),
  };
}
