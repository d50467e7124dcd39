import { spawn } from 'node:child_process';
import { it, expect } from 'vitest';
import { SystemClock } from '../../../src/core/clock.js';
import { createLogger } from '../../../src/core/logger.js';
import { SipUserAgent } from '../../../src/sip/ua/user-agent.js';
import { SDP_ANSWER } from './helpers/raw-uac.js';

function runSipp(args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const p = spawn('sipp', args, { cwd: '/tmp/sipscratch' });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    p.on('close', (code) => resolve({ code, out }));
  });
}

it('sipp uac with loss', async () => {
  const ua = new SipUserAgent({ clock: new SystemClock(), logger: createLogger({ level: 'warn' }), listen: [{ transport: 'udp', host: '127.0.0.1', port: 0 }] });
  let cancels = 0;
  ua.onIncomingCall((call) => {
    call.progress(180);
    call.on('cancel', () => cancels++);
  });
  await ua.start();
  const port = ua.boundAddresses()[0].port;
  const r = await runSipp(['-sf', '/tmp/sipscratch/cancel.xml', `127.0.0.1:${port}`, '-m', '30', '-r', '10', '-i', '127.0.0.1', '-p', '15060', '-lost', '10', '-timeout', '60s', '-nostdin', '-trace_err']);
  console.log(r.code, r.out.split('\n').filter((l) => /Successful|Failed|INVITE|ACK|BYE|<-/.test(l)).join('\n'));
  await new Promise((res) => setTimeout(res, 1000));
  console.log(ua.stats(), 'cancels', cancels);
  await ua.stop();
  expect(r.code).not.toBe(null);
}, 120000);
