import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { SecurityMetrics, SIP_GUARD_LABELS } from '../../../src/metrics/index.js';
import { SIP_GUARD_REASONS } from '../../../src/sip/security/ingress.js';

describe('SecurityMetrics', () => {
  it('counts guard reasons by label, unknown ones as other; foreign media packets by kind', async () => {
    const registry = new Registry();
    const m = new SecurityMetrics(registry);
    m.guard('scanner');
    m.guard('scanner');
    m.guard('made-up');
    m.foreign('stun', 3);
    m.foreign('wrong-source', 0);
    m.sourcesBanned.inc();
    const text = await registry.metrics();
    expect(text).toContain('trunkbridge_sip_guard_rejected_total{reason="scanner"} 2');
    expect(text).toContain('trunkbridge_sip_guard_rejected_total{reason="other"} 1');
    expect(text).toContain('trunkbridge_media_foreign_packets_total{kind="stun"} 3');
    expect(text).not.toContain('kind="wrong-source"');
    expect(text).toContain('trunkbridge_sip_sources_banned_total 1');
  });

  it('labels every reason the SIP guards report', () => {
    expect([...SIP_GUARD_LABELS].sort()).toEqual([...SIP_GUARD_REASONS].sort());
  });
});
