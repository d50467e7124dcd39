import { describe, expect, it } from 'vitest';
import { register as globalRegistry } from 'prom-client';
import {
  BridgeMetrics,
  callResultForStatus,
  sipMethodLabel,
  endReasonLabel,
  directionLabel,
} from '../../../src/metrics/index.js';

/** The value of one sample line, e.g. `trunkbridge_calls_total{direction="inbound",result="answered"}`. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(series + ' '));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('label collapsing', () => {
  it.each([
    [403, 'rejected-403'],
    [404, 'rejected-404'],
    [488, 'rejected-488'],
    [503, 'rejected-503'],
    [487, 'cancelled'],
    [500, 'failed'],
    [502, 'failed'],
    [486, 'other'],
    [603, 'other'],
    [0, 'other'],
  ])('status %i -> %s', (status, result) => {
    expect(callResultForStatus(status)).toBe(result);
  });

  it.each([
    ['INVITE', 'INVITE'],
    ['bye', 'BYE'],
    ['OPTIONS', 'OPTIONS'],
    ['FOO', 'other'],
    ['', 'other'],
    ['INVITE\n', 'other'],
  ])('method %j -> %s', (method, label) => {
    expect(sipMethodLabel(method)).toBe(label);
  });

  it('collapses unknown end reasons and directions', () => {
    expect(endReasonLabel('bot-hangup')).toBe('bot-hangup');
    expect(endReasonLabel('weird')).toBe('other');
    expect(directionLabel('outbound')).toBe('outbound');
    expect(directionLabel('sideways')).toBe('other');
  });
});

describe('BridgeMetrics', () => {
  it('exports call counters with the prefix and collapsed labels', async () => {
    const m = new BridgeMetrics({ defaultMetrics: false });
    m.callAnswered('inbound');
    m.callAnswered('inbound');
    m.callRejected('inbound', 404);
    m.callRejected(403); // brief form: inbound implied
    m.callRejected('inbound', 487);
    m.callRejected('inbound', 599);
    m.callRejected('inbound', 486);
    m.callEnded('inbound', 'caller-hangup', 12.5);
    m.callEnded('inbound', 'made-up', 1);
    const text = await m.metricsText();
    expect(sample(text, 'trunkbridge_calls_total{direction="inbound",result="answered"}')).toBe(2);
    expect(sample(text, 'trunkbridge_calls_total{direction="inbound",result="rejected-404"}')).toBe(1);
    expect(sample(text, 'trunkbridge_calls_total{direction="inbound",result="rejected-403"}')).toBe(1);
    expect(sample(text, 'trunkbridge_calls_total{direction="inbound",result="cancelled"}')).toBe(1);
    expect(sample(text, 'trunkbridge_calls_total{direction="inbound",result="failed"}')).toBe(1);
    expect(sample(text, 'trunkbridge_calls_total{direction="inbound",result="other"}')).toBe(1);
    expect(sample(text, 'trunkbridge_calls_ended_total{direction="inbound",reason="caller-hangup"}')).toBe(1);
    expect(sample(text, 'trunkbridge_calls_ended_total{direction="inbound",reason="other"}')).toBe(1);
    expect(sample(text, 'trunkbridge_active_calls')).toBe(0);
    expect(sample(text, 'trunkbridge_call_duration_seconds_count')).toBe(2);
    expect(sample(text, 'trunkbridge_call_duration_seconds_sum')).toBe(13.5);
  });

  it('tracks active calls', async () => {
    const m = new BridgeMetrics({ defaultMetrics: false });
    m.callAnswered();
    m.callAnswered();
    m.callAnswered();
    m.callEnded('inbound', 'bot-hangup', 3);
    expect(sample(await m.metricsText(), 'trunkbridge_active_calls')).toBe(2);
  });

  it('folds per-packet helpers into their counters at scrape time, without double counting', async () => {
    const m = new BridgeMetrics({ defaultMetrics: false });
    for (let i = 0; i < 50; i++) m.rtpPacketReceived();
    m.rtpPacketSent(7);
    m.botFrameDropped();
    m.botFramesDropped.inc(2); // direct use still works
    let text = await m.metricsText();
    expect(sample(text, 'trunkbridge_rtp_packets_received_total')).toBe(50);
    expect(sample(text, 'trunkbridge_rtp_packets_sent_total')).toBe(7);
    expect(sample(text, 'trunkbridge_bot_frames_dropped_total')).toBe(3);
    m.rtpPacketReceived();
    text = await m.metricsText();
    expect(sample(text, 'trunkbridge_rtp_packets_received_total')).toBe(51);
    expect(sample(text, 'trunkbridge_bot_frames_dropped_total')).toBe(3);
  });

  it('counts SIP messages by collapsed method, parse errors and bot connects', async () => {
    const m = new BridgeMetrics({ defaultMetrics: false });
    m.sipMessageReceived('INVITE');
    m.sipMessageReceived('invite');
    m.sipMessageReceived('XYZZY');
    m.sipParseError();
    m.botConnected(0.02);
    m.botConnectFailed();
    const text = await m.metricsText();
    expect(sample(text, 'trunkbridge_sip_messages_received_total{method="INVITE"}')).toBe(2);
    expect(sample(text, 'trunkbridge_sip_messages_received_total{method="other"}')).toBe(1);
    expect(text).not.toContain('XYZZY');
    expect(sample(text, 'trunkbridge_sip_parse_errors_total')).toBe(1);
    expect(sample(text, 'trunkbridge_bot_connect_seconds_bucket{le="0.025"}')).toBe(1);
    expect(sample(text, 'trunkbridge_bot_connect_failures_total')).toBe(1);
  });

  it('records per-call RTP quality: jitter and RTT histograms, lost packets counter', async () => {
    const m = new BridgeMetrics({ defaultMetrics: false });
    m.mediaQuality({ packetsLost: 3, jitterMs: 4.2, rttMs: 35 });
    m.mediaQuality({ packetsLost: 0, jitterMs: 0.5 }); // no RTCP from that caller: no RTT sample
    const text = await m.metricsText();
    expect(sample(text, 'trunkbridge_rtp_packets_lost_total')).toBe(3);
    expect(sample(text, 'trunkbridge_rtp_jitter_ms_count')).toBe(2);
    expect(sample(text, 'trunkbridge_rtp_jitter_ms_bucket{le="1"}')).toBe(1);
    expect(sample(text, 'trunkbridge_rtp_jitter_ms_bucket{le="5"}')).toBe(2);
    expect(sample(text, 'trunkbridge_rtp_rtt_ms_count')).toBe(1);
    expect(sample(text, 'trunkbridge_rtp_rtt_ms_bucket{le="20"}')).toBe(0);
    expect(sample(text, 'trunkbridge_rtp_rtt_ms_bucket{le="50"}')).toBe(1);
  });

  it('every metric carries the prefix, process metrics included, on its own registry', async () => {
    const m = new BridgeMetrics();
    const text = await m.metricsText();
    const names = text
      .split('\n')
      .filter((l) => l.startsWith('# TYPE '))
      .map((l) => l.split(' ')[2]);
    expect(names).toContain('trunkbridge_process_cpu_user_seconds_total');
    expect(names).toContain('trunkbridge_nodejs_heap_size_used_bytes');
    expect(names.filter((n) => !n.startsWith('trunkbridge_'))).toEqual([]);
    expect(m.registry.contentType).toMatch(/text\/plain/);
    expect(await globalRegistry.metrics()).not.toContain('trunkbridge_calls_total');
  });

  it('two instances do not clash', () => {
    expect(() => {
      new BridgeMetrics({ defaultMetrics: true });
      new BridgeMetrics({ defaultMetrics: true });
    }).not.toThrow();
  });
});
