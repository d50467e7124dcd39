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
    [486, 'rejected-4xx'],
    [603, 'rejected-6xx'],
    [302, 'other'],
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
    m.callRejected('inbound', 302);
    m.callEnded('inbound', 'caller-hangup', 12.5);
    m.callEnded('inbound', 'made-up', 1);
    const text = await m.metricsText();
    const calls = (result: string) => sample(text, `trunkbridge_calls_total{direction="inbound",result="${result}",trunk="none",bot="none"}`);
    expect(['answered', 'rejected-404', 'rejected-403', 'cancelled', 'failed', 'rejected-4xx', 'other'].map(calls)).toEqual([2, 1, 1, 1, 1, 1, 1]);
    expect(sample(text, 'trunkbridge_calls_ended_total{direction="inbound",reason="caller-hangup",trunk="none",bot="none"}')).toBe(1);
    expect(sample(text, 'trunkbridge_calls_ended_total{direction="inbound",reason="other",trunk="none",bot="none"}')).toBe(1);
    expect(sample(text, 'trunkbridge_active_calls{trunk="none",bot="none"}')).toBe(0);
    expect(sample(text, 'trunkbridge_call_duration_seconds_count{direction="inbound",trunk="none"}')).toBe(2);
    expect(sample(text, 'trunkbridge_call_duration_seconds_sum{direction="inbound",trunk="none"}')).toBe(13.5);
  });

  it('labels calls by trunk and bot, at most labelLimit names each, the rest as other; active calls balance', async () => {
    const m = new BridgeMetrics({ defaultMetrics: false, labelLimit: 2 });
    for (const trunk of ['t1', 't2', 't3', 't4']) m.callAnswered('inbound', { trunk, bot: 'b1', setupSeconds: 0.2 });
    m.callEnded('inbound', 'caller-hangup', 5, { trunk: 't3', bot: 'b1' });
    m.callRejected('inbound', 403, { trunk: 't1', reason: 'source-not-allowed' });
    m.callRejected('inbound', 403, { reason: 'bad-credentials' });
    m.callRejected('inbound', 404, { trunk: 't1', reason: 'number-not-routed' });
    const text = await m.metricsText();
    expect(sample(text, 'trunkbridge_calls_total{direction="inbound",result="answered",trunk="t1",bot="b1"}')).toBe(1);
    expect(sample(text, 'trunkbridge_calls_total{direction="inbound",result="answered",trunk="other",bot="b1"}')).toBe(2);
    expect(text).not.toContain('t3');
    expect(sample(text, 'trunkbridge_active_calls{trunk="other",bot="b1"}')).toBe(1);
    expect(sample(text, 'trunkbridge_active_calls{trunk="t2",bot="b1"}')).toBe(1);
    expect(sample(text, 'trunkbridge_call_setup_seconds_count{direction="inbound",trunk="other"}')).toBe(2);
    expect(sample(text, 'trunkbridge_call_setup_seconds_bucket{le="0.25",direction="inbound",trunk="t1"}')).toBe(1);
    expect(sample(text, 'trunkbridge_sip_auth_failures_total{reason="source-not-allowed",trunk="t1"}')).toBe(1);
    expect(sample(text, 'trunkbridge_sip_auth_failures_total{reason="bad-credentials",trunk="none"}')).toBe(1);
    expect(text).not.toMatch(/sip_auth_failures_total\{reason="number-not-routed"/);
  });

  it('tracks active calls', async () => {
    const m = new BridgeMetrics({ defaultMetrics: false });
    m.callAnswered();
    m.callAnswered();
    m.callAnswered();
    m.callEnded('inbound', 'bot-hangup', 3);
    expect(sample(await m.metricsText(), 'trunkbridge_active_calls{trunk="none",bot="none"}')).toBe(2);
  });

  it('counts transfers, bot connect failures by reason, MOS and RTP bytes', async () => {
    const m = new BridgeMetrics({ defaultMetrics: false });
    m.transferDone('refer', 'completed');
    m.transferDone('bridge', 'failed');
    m.transferDone('teleport', 'maybe');
    m.botConnectFailed('support', 'timeout');
    m.botConnectFailed('support', 'weird');
    m.botConnected(0.02, 'support');
    m.mediaQuality({ packetsLost: 0, jitterMs: 1, mos: 4.4 });
    m.rtpBytes(1720, 1600);
    const text = await m.metricsText();
    expect(sample(text, 'trunkbridge_transfers_total{method="refer",result="completed"}')).toBe(1);
    expect(sample(text, 'trunkbridge_transfers_total{method="bridge",result="failed"}')).toBe(1);
    expect(sample(text, 'trunkbridge_transfers_total{method="other",result="other"}')).toBe(1);
    expect(sample(text, 'trunkbridge_bot_connect_failures_total{bot="support",reason="timeout"}')).toBe(1);
    expect(sample(text, 'trunkbridge_bot_connect_failures_total{bot="support",reason="other"}')).toBe(1);
    expect(sample(text, 'trunkbridge_bot_connect_seconds_count{bot="support"}')).toBe(1);
    expect(sample(text, 'trunkbridge_rtp_mos_bucket{le="4.2"}')).toBe(0);
    expect(sample(text, 'trunkbridge_rtp_mos_bucket{le="4.4"}')).toBe(1);
    expect(sample(text, 'trunkbridge_rtp_bytes_received_total')).toBe(1720);
    expect(sample(text, 'trunkbridge_rtp_bytes_sent_total')).toBe(1600);
  });

  it('counts SIP responses by method and class, retransmissions and transaction timeouts', async () => {
    const m = new BridgeMetrics({ defaultMetrics: false });
    m.sip.response('sent', 'INVITE', 100);
    m.sip.response('sent', 'INVITE', 200);
    m.sip.response('received', 'bye', 481);
    m.sip.response('sent', 'FROB', 999);
    m.sip.retransmission('INVITE');
    m.sip.timeout('BYE');
    const text = await m.metricsText();
    expect(sample(text, 'trunkbridge_sip_responses_total{direction="sent",method="INVITE",class="1xx"}')).toBe(1);
    expect(sample(text, 'trunkbridge_sip_responses_total{direction="sent",method="INVITE",class="2xx"}')).toBe(1);
    expect(sample(text, 'trunkbridge_sip_responses_total{direction="received",method="BYE",class="4xx"}')).toBe(1);
    expect(sample(text, 'trunkbridge_sip_responses_total{direction="sent",method="other",class="other"}')).toBe(1);
    expect(sample(text, 'trunkbridge_sip_retransmissions_received_total{method="INVITE"}')).toBe(1);
    expect(sample(text, 'trunkbridge_sip_transaction_timeouts_total{method="BYE"}')).toBe(1);
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

  it("adds each ended call's dropped playout audio by reason, in seconds", async () => {
    const m = new BridgeMetrics({ defaultMetrics: false });
    m.playoutDroppedMs({ late: 440, backlog: 0, overflow: 0 });
    m.playoutDroppedMs({ late: 60, backlog: 20, overflow: 0 });
    const text = await m.metricsText();
    expect(sample(text, 'trunkbridge_playout_dropped_seconds_total{reason="late"}')).toBe(0.5);
    expect(sample(text, 'trunkbridge_playout_dropped_seconds_total{reason="backlog"}')).toBe(0.02);
    expect(sample(text, 'trunkbridge_playout_dropped_seconds_total{reason="overflow"}')).toBe(0); // exported before any
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
    expect(sample(text, 'trunkbridge_bot_connect_seconds_bucket{le="0.025",bot="none"}')).toBe(1);
    expect(sample(text, 'trunkbridge_bot_connect_failures_total{bot="none",reason="other"}')).toBe(1);
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
