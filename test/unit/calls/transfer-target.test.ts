import { describe, expect, it } from 'vitest';
import type { OutboundTrunkConfig } from '../../../src/trunks/index.js';
import { referToUri, resolveTransferTarget, type TransferPolicy } from '../../../src/calls/transfer-target.js';

const carrier: OutboundTrunkConfig = { name: 'carrier-out', host: 'sip.carrier.example', port: 5060, transport: 'udp', numberFormat: 'e164', headers: {} };
const national: OutboundTrunkConfig = { name: 'ro', host: '192.0.2.9', port: 5080, transport: 'udp', numberFormat: 'national', country: 'RO', headers: {} };

function policy(allow: string[] = []): TransferPolicy {
  return {
    destinations: {
      'support-desk': { number: '+15557654321', trunk: 'carrier-out', method: 'refer', callerId: 'caller', ringTimeoutSec: 20 },
      agent: { uri: 'sip:agent@pbx.example.com', auth: { username: 'a', password: 'b' }, method: 'bridge', callerId: 'trunk', ringTimeoutSec: 30 },
    },
    outboundTrunk: (n) => ({ 'carrier-out': carrier, ro: national })[n],
    allow,
  };
}

describe('resolveTransferTarget', () => {
  it('named destinations are always allowed and carry their defaults', () => {
    expect(resolveTransferTarget({ to: 'support-desk' }, policy())).toMatchObject({ kind: 'number', e164: '+15557654321', method: 'refer', ringTimeoutMs: 20_000, name: 'support-desk' });
    expect(resolveTransferTarget({ to: 'agent', method: 'refer' }, policy())).toMatchObject({ kind: 'uri', uri: 'sip:agent@pbx.example.com', method: 'refer', credentials: { username: 'a' } });
  });

  it('a number equal to a named destination is allowed without a pattern', () => {
    expect(resolveTransferTarget({ to: '+1 555 765 4321', trunk: 'carrier-out' }, policy())).toMatchObject({ kind: 'number', e164: '+15557654321', method: 'bridge' });
  });

  it.each([
    [['+1555*'], '+15550001111', true],
    [['1555*'], '+15550001111', true],
    [['+15550001111'], '+15550001111', true],
    [['+1555*'], '+19005550000', false],
    [[], '+15550001111', false],
    [['sip:*@pbx.example.com'], '+15550001111', false],
  ])('allow %j, number %s → %s', (allow, to, ok) => {
    const run = () => resolveTransferTarget({ to, trunk: 'carrier-out' }, policy(allow));
    if (ok) expect(run()).toMatchObject({ kind: 'number', e164: to });
    else expect(run).toThrow(expect.objectContaining({ reason: 'not-allowed' }));
  });

  it('SIP URIs need a URI pattern', () => {
    expect(resolveTransferTarget({ to: 'sip:bob@pbx.example.com' }, policy(['sip:*@pbx.example.com']))).toMatchObject({ kind: 'uri', uri: 'sip:bob@pbx.example.com' });
    expect(() => resolveTransferTarget({ to: 'sip:bob@evil.example' }, policy(['sip:*@pbx.example.com']))).toThrow(expect.objectContaining({ reason: 'not-allowed' }));
  });

  it('numbers need a known trunk and a valid number', () => {
    expect(() => resolveTransferTarget({ to: '+15550001111' }, policy(['*']))).toThrow(expect.objectContaining({ reason: 'unknown-trunk' }));
    expect(() => resolveTransferTarget({ to: 'call-bob', trunk: 'carrier-out' }, policy(['*']))).toThrow(expect.objectContaining({ reason: 'invalid-number' }));
    expect(resolveTransferTarget({ to: 'tel:+15550001111', trunk: 'carrier-out' }, policy(['*']))).toMatchObject({ e164: '+15550001111' });
  });
});

describe('PBX extensions (ext:/pbx:)', () => {
  const pbx = { host: '192.0.2.20', port: 5060, transport: 'udp' as const, credentials: { username: '1001', password: 'x' } };
  it('dial through the registered PBX with its credentials when the call came through it or a pattern allows', () => {
    expect(resolveTransferTarget({ to: 'ext:2002' }, { ...policy(), pbx, viaPbx: true })).toMatchObject({ kind: 'uri', uri: 'sip:2002@192.0.2.20:5060', credentials: { username: '1001' } });
    expect(resolveTransferTarget({ to: 'pbx:2002' }, { ...policy(['ext:2*']), pbx })).toMatchObject({ uri: 'sip:2002@192.0.2.20:5060' });
    expect(() => resolveTransferTarget({ to: 'ext:9000' }, { ...policy(['ext:2*']), pbx })).toThrow(expect.objectContaining({ reason: 'not-allowed' }));
    expect(() => resolveTransferTarget({ to: 'ext:2002' }, policy(['ext:*']))).toThrow(expect.objectContaining({ reason: 'no-pbx' }));
  });
});

describe('referToUri', () => {
  it('numbers become SIP URIs at the carrier host with user=phone, in the trunk format', () => {
    expect(referToUri(resolveTransferTarget({ to: 'support-desk' }, policy()))).toBe('sip:+15557654321@sip.carrier.example;user=phone');
    expect(referToUri(resolveTransferTarget({ to: '0741926265', trunk: 'ro' }, policy(['+40*'])))).toBe('sip:0741926265@192.0.2.9:5080;user=phone');
    expect(referToUri(resolveTransferTarget({ to: 'agent' }, policy()))).toBe('sip:agent@pbx.example.com');
  });
});
