/** The bridge's Prometheus lines whose name starts with `name`, from GET /metrics on loopback. */
export async function metric(port: number, name: string): Promise<string> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith(name))
    .join('\n');
}
