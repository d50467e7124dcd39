import { describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { MediaMetrics } from '../../../src/metrics/index.js';

describe('MediaMetrics', () => {
  it('observes jitter delay only for legs that have a buffer, playout depth for every leg', async () => {
    const registry = new Registry();
    const m = new MediaMetrics(registry);
    m.samples([{ jitterDelayMs: 4, playoutMs: 0 }, { playoutMs: 120 }, { jitterDelayMs: 33, playoutMs: 40 }]);
    const text = await registry.metrics();
    expect(text).toMatch(/^trunkbridge_jitter_buffer_delay_ms_count 2$/m);
    expect(text).toMatch(/^trunkbridge_jitter_buffer_delay_ms_sum 37$/m);
    expect(text).toMatch(/^trunkbridge_playout_queue_ms_count 3$/m);
    expect(text).toMatch(/^trunkbridge_playout_queue_ms_bucket\{le="100"\} 2$/m);
  });

  it('voice-AI figures: first bot audio in seconds (from ms), clear -> off the wire in ms', async () => {
    const registry = new Registry();
    const m = new MediaMetrics(registry);
    m.voiceFigures({ firstAudioMs: [850, 1600] });
    m.voiceFigures({ clearToSilenceMs: [12] });
    m.voiceFigures({ firstAudioMs: [], clearToSilenceMs: [-3] });
    const text = await registry.metrics();
    expect(text).toMatch(/^trunkbridge_bot_first_audio_seconds_count 2$/m);
    expect(text).toMatch(/^trunkbridge_bot_first_audio_seconds_sum 2\.45$/m);
    expect(text).toMatch(/^trunkbridge_bot_first_audio_seconds_bucket\{le="1"\} 1$/m);
    expect(text).toMatch(/^trunkbridge_clear_to_silence_ms_count 2$/m);
    expect(text).toMatch(/^trunkbridge_clear_to_silence_ms_sum 12$/m);
  });

  it('records sampled latencies under their direction (bot -> caller, caller -> bot)', async () => {
    const registry = new Registry();
    const m = new MediaMetrics(registry);
    m.botToCaller([0.4, 3, 25]);
    m.callerToBot([0.2, 41]);
    const text = await registry.metrics();
    expect(text).toContain('trunkbridge_bridge_latency_ms_count{direction="bot_to_caller"} 3');
    expect(text).toContain('trunkbridge_bridge_latency_ms_bucket{le="5",direction="bot_to_caller"} 2');
    expect(text).toContain('trunkbridge_bridge_latency_ms_count{direction="caller_to_bot"} 2');
    expect(text).toContain('trunkbridge_bridge_latency_ms_bucket{le="40",direction="caller_to_bot"} 1');
  });

  it('labels event-loop delay by thread', async () => {
    const registry = new Registry();
    const m = new MediaMetrics(registry);
    m.eventLoopP99('main', 12.5);
    m.eventLoopP99(1, 3);
    const text = await registry.metrics();
    expect(text).toContain('trunkbridge_event_loop_delay_p99_ms{thread="main"} 12.5');
    expect(text).toContain('trunkbridge_event_loop_delay_p99_ms{thread="media-worker-1"} 3');
  });
});
