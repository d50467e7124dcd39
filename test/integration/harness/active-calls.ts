/** Calls the bridge counts as active, from GET /healthz: the "nothing stays in the live call list" check. */
export async function activeCalls(metricsPort: number): Promise<number> {
  const body = (await (await fetch(`http://127.0.0.1:${metricsPort}/healthz`)).json()) as { activeCalls?: unknown };
  if (typeof body.activeCalls !== 'number') throw new Error(`/healthz has no activeCalls: ${JSON.stringify(body)}`);
  return body.activeCalls;
}
