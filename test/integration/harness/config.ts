/** Builds a bridge config for one test: loopback only, its own SIP port and RTP range. */
export interface TestConfigOptions {
  /** UDP SIP port; default 0, the kernel's pick (read it back with BridgeProcess.sipPort()). */
  sipPort?: number;
  /** Metrics/HTTP port; default 0 (read it back with BridgeProcess.metricsPort). */
  metricsPort?: number;
  /** The bridge's RTP range: reserve it (test/helpers/ports.ts), the bridge binds its ports as calls need them. */
  rtpPortMin: number;
  rtpPortMax: number;
  /** Trunk allow list (default 127.0.0.1). */
  allow?: string[];
  /** bots: name -> YAML flow mapping text. */
  bots: Record<string, string>;
  trunkBot?: string;
  numbers?: Record<string, string>;
  extraMedia?: string;
  /** Extra `sip.listen` entries as YAML flow mappings, e.g. `{ transport: tcp, host: 127.0.0.1, port: 5070 }`. */
  extraListen?: string[];
  /** Extra lines under `sip:` (e.g. `  publicAddress: 127.0.0.9`). */
  extraSip?: string;
  /** Extra YAML lines inside the carrier-a trunk (indented 4 spaces), e.g. auth or routing options. */
  trunkExtra?: string;
  /** Extra trunks appended to inboundTrunks, as YAML list items (indented 2 spaces). */
  extraTrunks?: string;
  /**
   * lifecycle.drainTimeoutSec: default 0 here, so stopping a test bridge (SIGTERM) ends its calls at once as
   * tests expect; the drain test sets it.
   */
  drainTimeoutSec?: number;
}

export function testConfig(o: TestConfigOptions): string {
  const bots = Object.entries(o.bots)
    .map(([name, spec]) => `  ${name}: ${spec}`)
    .join('\n');
  const numbers = Object.entries(o.numbers ?? {})
    .map(([num, bot]) => `      "${num}": { bot: ${bot} }`)
    .join('\n');
  return `sip:
  listen: [{ transport: udp, host: 127.0.0.1, port: ${o.sipPort ?? 0} }${(o.extraListen ?? []).map((l) => `, ${l}`).join('')}]
${o.extraSip ?? ''}
media:
  rtpPortMin: ${o.rtpPortMin}
  rtpPortMax: ${o.rtpPortMax}
${o.extraMedia ?? ''}
bots:
${bots}
inboundTrunks:
  - name: carrier-a
    allow: [${(o.allow ?? ['127.0.0.1']).map((a) => `"${a}"`).join(', ')}]
    mode: flow
${o.trunkBot ? `    bot: ${o.trunkBot}\n` : ''}${numbers ? `    numbers:\n${numbers}\n` : ''}${o.trunkExtra ?? ''}
${o.extraTrunks ?? ''}
logging: { level: debug }
metrics: { enabled: true, host: 127.0.0.1, port: ${o.metricsPort ?? 0} }
lifecycle: { drainTimeoutSec: ${o.drainTimeoutSec ?? 0} }
`;
}
