import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import dgram from 'node:dgram';
import { describe, expect, it } from 'vitest';
import { parseSip, sdpAudio } from '../../../src/bench/sip-uac.js';
import { lastStatLine } from '../../../src/bench/sipp.js';
import { machineCpuMs, processCpuMs, processRssKb, udpDropsOf } from '../../../src/bench/proc-stats.js';
import { cpuBetween } from '../../../src/bench/rig.js';

describe('bench parsing', () => {
  it("reads a SIP response's status, headers (compact forms too) and SDP audio address", () => {
    const m = parseSip('SIP/2.0 200 OK\r\nv: SIP/2.0/UDP 127.0.0.3:5;branch=z9hG4bKx\r\ni: abc@h\r\nCSeq: 1 INVITE\r\nt: <sip:a@b>;tag=77\r\n\r\nv=0\r\nc=IN IP4 127.0.0.1\r\nm=audio 40002 RTP/AVP 0\r\n');
    expect(m.status).toBe(200);
    expect(m.headers.get('call-id')).toBe('abc@h');
    expect(m.headers.get('to')).toContain('tag=77');
    expect(sdpAudio(m.body)).toEqual({ address: '127.0.0.1', port: 40002 });
    expect(parseSip('BYE sip:x SIP/2.0\r\n\r\n').method).toBe('BYE');
    expect(sdpAudio('v=0\r\n')).toBeUndefined();
  });

  it("reads the last line of SIPp's -trace_stat CSV", () => {
    const f = join(mkdtempSync(join(tmpdir(), 'bench-stat-')), 'stat.csv');
    writeFileSync(f, 'StartTime;SuccessfulCall(C);FailedCall(C);TotalCallCreated;\n2026-01-01 10:00:00;1;0;2;\n2026-01-01 10:00:01;9;1;10;\n');
    expect(lastStatLine(f)).toEqual({ 'SuccessfulCall(C)': 9, 'FailedCall(C)': 1, TotalCallCreated: 10 });
    expect(lastStatLine(join(f, '..', 'missing.csv'))).toEqual({});
  });
});

describe('bench /proc readings', () => {
  it('CPU of a process grows with work; RSS and machine time are read', () => {
    const before = processCpuMs(process.pid);
    const end = Date.now() + 150;
    let x = 0;
    while (Date.now() < end) x += Math.sqrt(x + 1);
    expect(x).toBeGreaterThan(0);
    expect(processCpuMs(process.pid)).toBeGreaterThan(before);
    expect(processRssKb(process.pid)).toBeGreaterThan(10_000);
    const m = machineCpuMs();
    expect(m.busy).toBeLessThan(m.total);
  });

  it("sums the kernel's drops over the UDP sockets a process holds", async () => {
    const s = dgram.createSocket('udp4');
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
    try {
      expect(udpDropsOf(process.pid)).toBe(0);
    } finally {
      s.close();
    }
  });

  it('turns CPU readings into % of a core per process, SIPp instances summed, the rest of the machine as others', () => {
    const a = { at: 0, procs: { target: 0, sipp0: 0, sipp1: 0 }, machine: { busy: 0, total: 0 } };
    const b = { at: 1000, procs: { target: 500, sipp0: 100, sipp1: 50 }, machine: { busy: 1000, total: 2000 } };
    expect(cpuBetween(a, b)).toEqual({ target: 50, sipp: 15, machine: 50, others: 35 });
  });
});
