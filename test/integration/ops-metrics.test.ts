/**
 * /metrics after real SIPp calls: an answered call (the bot greets, then barges in with `clear`), a number not
 * routed (404), a bot that cannot be reached (503), a source no trunk allows (403), and a PBX registration whose
 * registrar never answers. The counters and histograms move as they should; then every metric the Grafana
 * dashboard and the Prometheus alert rules in deploy/ use is checked against the same scrape.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { BridgeProcess } from './harness/bridge-process.js';
import { runSipp, describeSipp } from './harness/sipp.js';
import { TestBotServer } from './harness/test-bot.js';
import { RtpListener } from './harness/rtp-listener.js';
import { reservePort, reservePorts } from '../helpers/ports.js';
import { waitFor } from '../helpers/wait-for.js';
import { testConfig } from './harness/config.js';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');
const DASHBOARD = join(ROOT, 'deploy/grafana/dashboards/trunkbridge.json');
const RULES = join(ROOT, 'deploy/prometheus/trunkbridge-alerts.yml');

/** Metrics that only get a series when their event happens (a transfer, a bot link drop, a peer retransmitting): declared is enough. */
const EVENT_ONLY = new Set([
  'trunkbridge_transfers_total', 'trunkbridge_bot_link_events_total', 'trunkbridge_sip_retransmissions_received_total',
]);

/** One scrape: metric families by name (type, label names seen) and every sample line's value. */
interface Scrape {
  families: Map<string, { type: string; labels: Set<string>; samples: number }>;
  samples: Map<string, number>;
}

function parseScrape(text: string): Scrape {
  const families = new Map<string, { type: string; labels: Set<string>; samples: number }>();
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) families.set(type[1], { type: type[2], labels: new Set(), samples: 0 });
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`unparsable sample line: ${line}`);
    samples.set(`${m[1]}${m[2] ?? ''}`, Number(m[3]));
    const family = families.get(m[1]) ?? families.get(m[1].replace(/_(bucket|sum|count)$/, ''));
    if (!family) throw new Error(`sample without a TYPE line: ${line}`);
    family.samples++;
    for (const [, key] of (m[2] ?? '').matchAll(/(\w+)="/g)) family.labels.add(key);
  }
  return { families, samples };
}

/** Sum of the samples of `name` whose labels include every `key="value"` in `match`. */
function total(s: Scrape, name: string, match: Record<string, string> = {}): number {
  let sum = 0;
  for (const [series, value] of s.samples) {
    const open = series.indexOf('{');
    if ((open < 0 ? series : series.slice(0, open)) !== name) continue;
    if (Object.entries(match).every(([k, v]) => series.includes(`${k}="${v}"`))) sum += value;
  }
  return sum;
}

/** The metric names (trunkbridge_*) in a PromQL expression, with the label keys its selectors match on. */
function metricsIn(expr: string): Array<{ name: string; keys: string[] }> {
  const out: Array<{ name: string; keys: string[] }> = [];
  for (const m of expr.matchAll(/\b(trunkbridge_[a-z0-9_]+)(\{([^}]*)\})?/g)) {
    out.push({ name: m[1], keys: [...(m[3] ?? '').matchAll(/(\w+)\s*(?:=~|!~|!=|=)/g)].map((k) => k[1]) });
  }
  return out;
}

/** Every PromQL expression of the dashboard (panels, rows' panels, template queries) and of the rule file. */
function deployExpressions(): Array<{ where: string; expr: string }> {
  const dash = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as {
    panels: Array<{ title: string; targets?: Array<{ expr: string }>; panels?: unknown[] }>;
    templating: { list: Array<{ name: string; definition?: string }> };
  };
  const out: Array<{ where: string; expr: string }> = [];
  for (const p of dash.panels) for (const t of p.targets ?? []) out.push({ where: `panel "${p.title}"`, expr: t.expr });
  for (const v of dash.templating.list) if (v.definition) out.push({ where: `variable $${v.name}`, expr: v.definition });
  const rules = parseYaml(readFileSync(RULES, 'utf8')) as { groups: Array<{ rules: Array<{ alert: string; expr: string; labels?: { severity?: string }; annotations?: { summary?: string } }> }> };
  for (const g of rules.groups) for (const r of g.rules) out.push({ where: `alert ${r.alert}`, expr: r.expr });
  return out;
}

describe('ops: /metrics after real SIPp calls, and the dashboard and alert rules against it', () => {
  let bridge: BridgeProcess;
  let bots: TestBotServer;
  let listener: RtpListener;
  let scrape: Scrape;

  beforeAll(async () => {
    bots = await TestBotServer.start((c) => {
      // The bot greets (2 s of audio at once), then barges in once the caller has been heard for a moment.
      void c.until(() => c.event('start') !== undefined, 10_000, 'start').then(async () => {
        const tone = Buffer.alloc(320);
        for (let i = 0; i < 160; i++) tone.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / 8000)), i * 2);
        for (let i = 0; i < 100; i++) c.sendPcm(tone);
        // ~0.8 s of caller audio: some 40 of the bot's chunks have gone out (one in ten is a latency sample).
        await c.until(() => c.frames.length >= 40, 10_000, 'caller audio');
        c.sendJson({ type: 'clear' });
      });
    });
    listener = await RtpListener.start();
    const rtpBase = await reservePorts(8);
    const deadBotPort = await reservePort(); // nothing listens: the bot's connection is refused
    const registrarPort = await reservePort(); // nothing answers: the REGISTER times out
    bridge = new BridgeProcess(
      testConfig({
        rtpPortMin: rtpBase,
        rtpPortMax: rtpBase + 7,
        bots: {
          tester: `{ url: "${bots.url}", sampleRate: 8000, connectTimeoutMs: 2000 }`,
          down: `{ url: "ws://127.0.0.1:${deadBotPort}/", sampleRate: 8000, connectTimeoutMs: 2000 }`,
        },
        numbers: { '+15550100': 'tester', '+15550199': 'down' },
        // T1 50 ms: the unanswered REGISTER times out (64*T1) within the test.
        extraSip: '  timers: { t1Ms: 50 }',
      }) + `registrations:\n  - { name: pbx, server: 127.0.0.1, port: ${registrarPort}, username: alice, password: s3cret-pw, bot: tester, retrySec: 60 }\n`,
    );
    await bridge.start();
    const target = { host: '127.0.0.1', port: bridge.sipPort() };

    const answered = await runSipp({ scenario: 'uac-pcap-g711a-caller-hangup.xml', target, service: '+15550100', keys: { rtp_port: listener.port }, args: ['-d', '3000'], timeoutMs: 20_000 });
    expect(answered.code, describeSipp(answered)).toBe(0);
    const bot = await bots.nextConnection();
    await bot.until(() => bot.event('cleared') !== undefined, 5000, 'cleared');
    for (const [scenario, service, localHost] of [
      ['uac-expect-404.xml', '+15550000', '127.0.0.1'],
      ['uac-expect-503.xml', '+15550199', '127.0.0.1'],
      ['uac-expect-403.xml', '+15550100', '127.0.0.2'],
    ] as const) {
      const run = await runSipp({ scenario, target, service, localHost, keys: { rtp_port: listener.port }, timeoutMs: 10_000 });
      expect(run.code, describeSipp(run)).toBe(0);
    }
    // Media workers report their figures about once a second; the REGISTER needs 64*T1 to time out.
    const text = await waitFor(
      async () => {
        const t = await (await fetch(`http://127.0.0.1:${bridge.metricsPort}/metrics`)).text();
        const s = parseScrape(t);
        const ready = ['trunkbridge_clear_to_silence_ms_count', 'trunkbridge_bot_first_audio_seconds_count', 'trunkbridge_bridge_latency_ms_count', 'trunkbridge_sip_transaction_timeouts_total'].every((n) => total(s, n) > 0);
        return ready ? t : undefined;
      },
      { timeoutMs: 15_000, intervalMs: 200, what: 'the voice-AI figures and the REGISTER timeout in /metrics' },
    );
    scrape = parseScrape(text);
  }, 90_000);

  afterAll(async () => {
    await bridge?.stop();
    await bots?.close();
    listener?.close();
  });

  it('calls: offered by result, trunk and bot; active back to 0; setup time and duration observed', () => {
    const s = scrape;
    expect(total(s, 'trunkbridge_calls_total', { result: 'answered', trunk: 'carrier-a', bot: 'tester' })).toBe(1);
    expect(total(s, 'trunkbridge_calls_total', { result: 'rejected-404' })).toBe(1);
    expect(total(s, 'trunkbridge_calls_total', { result: 'rejected-503', trunk: 'carrier-a', bot: 'down' })).toBe(1);
    expect(total(s, 'trunkbridge_calls_total', { result: 'rejected-403', trunk: 'none' })).toBe(1);
    expect(total(s, 'trunkbridge_calls_total')).toBe(4);
    expect(total(s, 'trunkbridge_active_calls')).toBe(0);
    expect(total(s, 'trunkbridge_calls_ended_total', { reason: 'caller-hangup', trunk: 'carrier-a', bot: 'tester' })).toBe(1);
    expect(total(s, 'trunkbridge_call_setup_seconds_count', { direction: 'inbound', trunk: 'carrier-a' })).toBe(1);
    expect(total(s, 'trunkbridge_call_setup_seconds_sum')).toBeLessThan(2);
    expect(total(s, 'trunkbridge_call_duration_seconds_count', { trunk: 'carrier-a' })).toBe(1);
    expect(total(s, 'trunkbridge_call_duration_seconds_sum')).toBeGreaterThan(2.5);
  });

  it('SIP: requests by method, responses by method and class, auth failures, the REGISTER timeout', () => {
    const s = scrape;
    // On a loaded machine SIPp may resend a request before our answer reaches it: each resend is counted as a
    // retransmission, and the transaction answers it again with the same final response.
    const resent = (method: string) => total(s, 'trunkbridge_sip_retransmissions_received_total', { method });
    const sent = (method: string, cls: string) => total(s, 'trunkbridge_sip_responses_total', { direction: 'sent', method, class: cls });
    expect(total(s, 'trunkbridge_sip_messages_received_total', { method: 'INVITE' })).toBe(4 + resent('INVITE'));
    expect(sent('INVITE', '2xx')).toBeGreaterThanOrEqual(1); // the 2xx is resent by us until the ACK (Timer G)
    expect(sent('INVITE', '4xx')).toBeGreaterThanOrEqual(2);
    expect(sent('INVITE', '4xx')).toBeLessThanOrEqual(2 + resent('INVITE'));
    expect(sent('INVITE', '5xx')).toBeGreaterThanOrEqual(1);
    expect(sent('INVITE', '5xx')).toBeLessThanOrEqual(1 + resent('INVITE'));
    expect(sent('INVITE', '1xx')).toBeGreaterThanOrEqual(4);
    expect(sent('BYE', '2xx')).toBe(1 + resent('BYE'));
    expect(total(s, 'trunkbridge_sip_auth_failures_total', { reason: 'source-not-allowed' })).toBe(1);
    expect(total(s, 'trunkbridge_sip_transaction_timeouts_total', { method: 'REGISTER' })).toBeGreaterThanOrEqual(1);
    // The unanswered REGISTER went out again on Timer E (T1 50 ms: at 50, 150, 350 ms... before Timer F).
    expect(total(s, 'trunkbridge_sip_retransmissions_sent_total', { method: 'REGISTER' })).toBeGreaterThanOrEqual(5);
    expect(total(s, 'trunkbridge_registration_up', { registration: 'pbx' })).toBe(0);
  });

  it('bots and media: connect time and failure reason, RTP packets and bytes, jitter and MOS, voice-AI figures', () => {
    const s = scrape;
    expect(total(s, 'trunkbridge_bot_connect_seconds_count', { bot: 'tester' })).toBe(1);
    expect(total(s, 'trunkbridge_bot_connect_failures_total', { bot: 'down', reason: 'refused' })).toBe(1);
    // About 3 s of SIPp's recorded PCMA at 30 ms a packet.
    const packetsIn = total(s, 'trunkbridge_rtp_packets_received_total');
    expect(packetsIn).toBeGreaterThan(60);
    // G.711 at 20 ms or more: at least 172 bytes a packet with the RTP header.
    expect(total(s, 'trunkbridge_rtp_bytes_received_total')).toBeGreaterThanOrEqual(packetsIn * 172);
    expect(total(s, 'trunkbridge_rtp_bytes_sent_total')).toBeGreaterThan(0);
    expect(total(s, 'trunkbridge_rtp_jitter_ms_count')).toBe(1);
    expect(total(s, 'trunkbridge_rtp_mos_count')).toBe(1);
    expect(total(s, 'trunkbridge_rtp_mos_sum')).toBeGreaterThan(3.5); // loopback: no loss, next to no jitter
    expect(total(s, 'trunkbridge_bot_first_audio_seconds_count')).toBe(1);
    expect(total(s, 'trunkbridge_bot_first_audio_seconds_sum')).toBeLessThan(2);
    expect(total(s, 'trunkbridge_clear_to_silence_ms_count')).toBe(1);
    // A packet time at most, plus timer lateness on a busy machine (the exact figure: rtp-send-clear.test.ts).
    expect(total(s, 'trunkbridge_clear_to_silence_ms_sum')).toBeLessThanOrEqual(200);
  });

  it('every metric a dashboard panel or an alert rule uses is exported, with the labels it selects on', () => {
    const exprs = deployExpressions();
    expect(exprs.length).toBeGreaterThan(40);
    const problems: string[] = [];
    const used = new Set<string>();
    for (const { where, expr } of exprs) {
      for (const { name, keys } of metricsIn(expr)) {
        const base = scrape.families.has(name) ? name : name.replace(/_(bucket|sum|count)$/, '');
        const family = scrape.families.get(base);
        used.add(base);
        if (!family) {
          problems.push(`${where}: ${name} is not in /metrics`);
          continue;
        }
        if (base !== name && family.type !== 'histogram') problems.push(`${where}: ${name} but ${base} is a ${family.type}`);
        if (family.samples === 0) {
          if (!EVENT_ONLY.has(base)) problems.push(`${where}: ${base} has no series after the calls`);
          continue;
        }
        for (const k of keys) if (!family.labels.has(k)) problems.push(`${where}: ${base} has no label "${k}"`);
      }
    }
    expect(problems).toEqual([]);
    // The dashboard covers what the issue lists, and alerts watch the failures operators are paged for.
    for (const name of ['trunkbridge_calls_total', 'trunkbridge_call_setup_seconds', 'trunkbridge_sip_responses_total', 'trunkbridge_bot_connect_failures_total', 'trunkbridge_rtp_mos', 'trunkbridge_registration_up', 'trunkbridge_event_loop_delay_p99_ms', 'trunkbridge_bot_first_audio_seconds', 'trunkbridge_clear_to_silence_ms']) {
      expect(used.has(name), name).toBe(true);
    }
  });

  it('promtool parses the alert rules and every dashboard query (as recording rules)', () => {
    execFileSync('promtool', ['check', 'rules', RULES], { stdio: 'pipe' });
    const dir = mkdtempSync(join(tmpdir(), 'trunkbridge-promql-'));
    const queries = deployExpressions().filter((e) => e.where.startsWith('panel'));
    // Grafana substitutes $trunk before Prometheus sees the query.
    const rules = { groups: [{ name: 'dashboard', rules: queries.map((q, i) => ({ record: `dashboard_query_${i}`, expr: q.expr.replaceAll('$trunk', '.*') })) }] };
    writeFileSync(join(dir, 'dashboard.yml'), JSON.stringify(rules));
    const out = execFileSync('promtool', ['check', 'rules', join(dir, 'dashboard.yml')], { encoding: 'utf8' });
    expect(out).toContain(`SUCCESS: ${queries.length} rules found`);
  });

  it('alert rules: each has an expression, a duration, a severity and a summary', () => {
    const rules = parseYaml(readFileSync(RULES, 'utf8')) as { groups: Array<{ rules: Array<Record<string, unknown>> }> };
    const all = rules.groups.flatMap((g) => g.rules);
    expect(all.map((r) => r.alert)).toEqual(expect.arrayContaining(['TrunkbridgeCallsFailing', 'TrunkbridgeBotUnreachable', 'TrunkbridgeRegistrationDown', 'TrunkbridgePacketLossHigh', 'TrunkbridgeJitterHigh', 'TrunkbridgeEventLoopLagging']));
    for (const r of all) {
      expect(r, String(r.alert)).toMatchObject({ expr: expect.any(String), for: expect.stringMatching(/^\d+[smh]$/), labels: { severity: expect.stringMatching(/^(warning|critical)$/) }, annotations: { summary: expect.any(String) } });
    }
  });
});
