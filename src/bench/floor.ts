/**
 * The floor: the least a SIP-to-WebSocket relay must do for the same traffic, as a helper process the bench
 * drives exactly like the bridge (same SIPp carrier, same sink bot, same packet and frame rates and frame
 * sizes), so the bridge's CPU per call can be put against it.
 *
 * Per call it holds one `dgram` socket and one `ws` connection to the sink bot, and copies: each RTP packet's
 * payload into a frame of the bot's size (one packet, one frame), each frame from the bot into one RTP packet
 * sent at once. No codec, no resampling, no jitter buffer, no pacing, no RTCP, no SIP stack: its SIP is a few
 * lines that answer INVITE with 200 and an SDP naming its socket, and BYE with 200 (no transactions, no
 * retransmissions of its own). Loopback only.
 */
import dgram from 'node:dgram';
import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import { serve } from './processes.js';
import { parseSip, sdpAudio } from './sip-uac.js';

const HOST = '127.0.0.1';

interface FloorCall {
  rtp: dgram.Socket;
  ws: WebSocket;
  remote: { address: string; port: number };
  ok?: string;
  seq: number;
  ts: number;
  ssrc: number;
  /** After BYE: frames the bot still echoes are dropped (the socket is closed). */
  closed: boolean;
}

const calls = new Map<string, FloorCall>();
let sip: dgram.Socket;
let botUrl = '';
let frameBytes = 640;

function answer(req: ReturnType<typeof parseSip>, rawVias: string[], extra: string, body: string): string {
  const h = (n: string) => req.headers.get(n) ?? '';
  const to = h('to').includes(';tag=') ? h('to') : `${h('to')};tag=${randomBytes(4).toString('hex')}`;
  return (
    `SIP/2.0 200 OK\r\n${rawVias.join('\r\n')}\r\nFrom: ${h('from')}\r\nTo: ${to}\r\nCall-ID: ${h('call-id')}\r\nCSeq: ${h('cseq')}\r\n` +
    `${extra}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
  );
}

async function onInvite(req: ReturnType<typeof parseSip>, vias: string[], from: dgram.RemoteInfo): Promise<void> {
  const callId = req.headers.get('call-id') ?? '';
  const known = calls.get(callId);
  if (known) {
    if (known.ok) sip.send(known.ok, from.port, from.address); // a retransmitted INVITE
    return;
  }
  const remote = sdpAudio(req.body);
  if (!remote) return;
  const rtp = dgram.createSocket('udp4');
  await new Promise<void>((r) => rtp.bind(0, HOST, r));
  const ws = new WebSocket(botUrl, { perMessageDeflate: false });
  const call: FloorCall = { rtp, ws, remote, seq: 0, ts: 0, ssrc: randomBytes(4).readUInt32BE(0), closed: false };
  calls.set(callId, call);
  // Copy in: the packet's payload into a frame of the bot's size.
  rtp.on('message', (pkt) => {
    if (ws.readyState !== WebSocket.OPEN || pkt.length < 12) return;
    const frame = Buffer.alloc(frameBytes);
    pkt.copy(frame, 0, 12);
    ws.send(frame, { binary: true });
  });
  // Copy out: each frame into one RTP packet, sent at once.
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (!isBinary || call.closed) return;
    const out = Buffer.allocUnsafe(12 + 160);
    out[0] = 0x80;
    out[1] = 0;
    out.writeUInt16BE(call.seq++ & 0xffff, 2);
    out.writeUInt32BE((call.ts += 160) >>> 0, 4);
    out.writeUInt32BE(call.ssrc, 8);
    data.copy(out, 12, 0, 160);
    rtp.send(out, call.remote.port, call.remote.address);
  });
  ws.once('error', () => undefined);
  await new Promise<void>((r) => {
    ws.once('open', r);
    ws.once('close', r);
  });
  if (ws.readyState !== WebSocket.OPEN) return;
  ws.send(JSON.stringify({ type: 'start', callId, media: { encoding: 'L16', sampleRate: (frameBytes / 2) * 50, channels: 1, frameMs: 20 } }));
  const port = rtp.address().port;
  const sdp = `v=0\r\no=floor 1 1 IN IP4 ${HOST}\r\ns=-\r\nc=IN IP4 ${HOST}\r\nt=0 0\r\nm=audio ${port} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=ptime:20\r\n`;
  call.ok = answer(req, vias, `Contact: <sip:floor@${HOST}:${sip.address().port}>\r\nContent-Type: application/sdp\r\n`, sdp);
  sip.send(call.ok, from.port, from.address);
}

function onBye(req: ReturnType<typeof parseSip>, vias: string[], from: dgram.RemoteInfo): void {
  const callId = req.headers.get('call-id') ?? '';
  sip.send(answer(req, vias, '', ''), from.port, from.address);
  const call = calls.get(callId);
  if (!call) return;
  calls.delete(callId);
  call.closed = true;
  call.ws.close();
  call.rtp.close();
}

function onSip(buf: Buffer, from: dgram.RemoteInfo): void {
  const text = buf.toString('utf8');
  const req = parseSip(text);
  const vias = text.split('\r\n').filter((l) => /^(via|v)\s*:/i.test(l));
  if (req.method === 'INVITE') onInvite(req, vias, from).catch((err: Error) => console.error(`floor: INVITE failed: ${err.message}`));
  else if (req.method === 'BYE') onBye(req, vias, from);
}

async function main(): Promise<void> {
  sip = dgram.createSocket('udp4');
  await new Promise<void>((r) => sip.bind(0, HOST, r));
  sip.on('message', onSip);
  serve(
    {
      configure: (a) => {
        const c = a as { botUrl: string; botSampleRate: number };
        botUrl = c.botUrl;
        frameBytes = (c.botSampleRate / 50) * 2;
        return { sipPort: sip.address().port };
      },
      calls: () => calls.size,
    },
    () => {
      for (const c of calls.values()) {
        c.closed = true;
        c.ws.terminate();
        c.rtp.close();
      }
      sip.close();
    },
  );
}

void main();
