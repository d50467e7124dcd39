/**
 * `trunkbridge test-call` arguments: pure parsing, so every bad input gets one clear message (exit 2).
 */
import { parseArgs } from 'node:util';

export const TEST_CALL_USAGE = `usage: trunkbridge test-call sip:NUMBER@HOST[:PORT] [options]

Places a real call with its own SIP/RTP stack, prints each step, exits 0 when it was answered
(and, with --expect-echo, the tone came back).

  --transport udp|tcp|tls signalling transport (default udp)
  --cert FILE, --key FILE tls: the PEM certificate and key test-call presents (needed with tls);
                          the far end's certificate is checked against the system CAs and
                          NODE_EXTRA_CA_CERTS
  --user NAME             digest user answered to a 401/407 challenge
  --password SECRET       its password (never printed)
  --from NUMBER           caller number in From (default +15550000)
  --tone HZ               send a sine tone of HZ (default 440)
  --wav FILE              send a 16-bit PCM WAV file instead of the tone
  --seconds N             stay on the call N seconds (default 5)
  --expect-echo           fail unless the tone comes back (an echo bot answers)
  --codecs LIST           codecs to offer, comma separated (default PCMU,PCMA)
  --local-host IP         address to bind SIP and RTP to (default 127.0.0.1 for a
                          loopback target, else 0.0.0.0)
  --rtp-port N            local RTP port (default: a free one in 40000-40999)
  --ring-timeout N        give up (CANCEL) after N seconds without an answer (default 30)
  -v, --verbose           SIP messages and media events on stderr
  -h, --help              this text

Exit: 0 answered (and echo heard if asked), 1 not answered (the SIP status is printed),
      2 bad arguments, 3 answered but no audio / no echo came back,
      130 interrupted (Ctrl-C: the call is cancelled or hung up first).`;

/** A validated test call. */
export interface TestCallArgs {
  /** The Request-URI as given (sip:user@host[:port]). */
  uri: string;
  user: string;
  host: string;
  port: number;
  transport: 'udp' | 'tcp' | 'tls';
  /** tls: our certificate and key (PEM files). */
  tls?: { certFile: string; keyFile: string };
  credentials?: { username: string; password: string };
  from: string;
  /** Tone frequency, Hz (absent with a WAV file). */
  toneHz?: number;
  wavFile?: string;
  seconds: number;
  expectEcho: boolean;
  codecs: string[];
  localHost: string;
  rtpPort?: number;
  ringTimeoutSec: number;
  verbose: boolean;
}

export type ParsedTestCall = { ok: true; args: TestCallArgs } | { ok: false; help: true } | { ok: false; help: false; error: string };

const SIP_URI = /^sip:([^@\s;]+)@(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?$/;

function intIn(name: string, text: string | undefined, min: number, max: number): number | string {
  if (text === undefined) return `--${name} needs a value`;
  if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) return `--${name} must be an integer ${min}..${max}, got "${text}"`;
  return Number(text);
}

export function parseTestCallArgs(argv: readonly string[]): ParsedTestCall {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        transport: { type: 'string' },
        cert: { type: 'string' },
        key: { type: 'string' },
        user: { type: 'string' },
        password: { type: 'string' },
        from: { type: 'string' },
        tone: { type: 'string' },
        wav: { type: 'string' },
        seconds: { type: 'string' },
        'expect-echo': { type: 'boolean' },
        codecs: { type: 'string' },
        'local-host': { type: 'string' },
        'rtp-port': { type: 'string' },
        'ring-timeout': { type: 'string' },
        verbose: { type: 'boolean', short: 'v' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    return { ok: false, help: false, error: (err as Error).message };
  }
  const v = parsed.values;
  if (v.help) return { ok: false, help: true };
  if (parsed.positionals.length !== 1) return { ok: false, help: false, error: 'give exactly one target: sip:NUMBER@HOST[:PORT]' };
  const uri = parsed.positionals[0];
  const m = SIP_URI.exec(uri);
  if (!m) return { ok: false, help: false, error: `target "${uri}" is not sip:NUMBER@HOST[:PORT]` };
  const port = m[3] !== undefined ? Number(m[3]) : v.transport === 'tls' ? 5061 : 5060;
  if (port < 1 || port > 65535) return { ok: false, help: false, error: `port ${m[3]} out of range` };
  const transport = v.transport ?? 'udp';
  if (transport !== 'udp' && transport !== 'tcp' && transport !== 'tls') return { ok: false, help: false, error: `--transport must be udp, tcp or tls, got "${transport}"` };
  if ((v.cert === undefined) !== (v.key === undefined)) return { ok: false, help: false, error: '--cert and --key go together' };
  if (transport === 'tls' && v.cert === undefined) return { ok: false, help: false, error: '--transport tls needs --cert and --key' };
  if (transport !== 'tls' && v.cert !== undefined) return { ok: false, help: false, error: '--cert and --key are for --transport tls' };
  if ((v.user === undefined) !== (v.password === undefined)) return { ok: false, help: false, error: '--user and --password go together' };
  if (v.tone !== undefined && v.wav !== undefined) return { ok: false, help: false, error: '--tone and --wav exclude each other' };
  const tone = v.wav === undefined ? intIn('tone', v.tone ?? '440', 50, 3900) : undefined;
  const seconds = intIn('seconds', v.seconds ?? '5', 1, 3600);
  const ring = intIn('ring-timeout', v['ring-timeout'] ?? '30', 1, 600);
  const rtpPort = v['rtp-port'] === undefined ? undefined : intIn('rtp-port', v['rtp-port'], 1024, 65534);
  for (const n of [tone, seconds, ring, rtpPort]) if (typeof n === 'string') return { ok: false, help: false, error: n };
  const codecs = (v.codecs ?? 'PCMU,PCMA').split(',').map((c) => c.trim()).filter(Boolean);
  if (codecs.length === 0) return { ok: false, help: false, error: '--codecs is empty' };
  const from = v.from ?? '+15550000';
  if (!/^\+?[A-Za-z0-9*#._-]{1,64}$/.test(from)) return { ok: false, help: false, error: `--from "${from}" is not a SIP user like +15550100` };
  const host = m[2].replace(/^\[|\]$/g, '');
  const loopback = /^127\.|^::1$|^localhost$/i.test(host);
  return {
    ok: true,
    args: {
      uri, user: m[1], host, port, transport, from, codecs,
      ...(v.user !== undefined ? { credentials: { username: v.user, password: v.password! } } : {}),
      ...(v.cert !== undefined ? { tls: { certFile: v.cert, keyFile: v.key! } } : {}),
      ...(typeof tone === 'number' ? { toneHz: tone } : {}),
      ...(v.wav !== undefined ? { wavFile: v.wav } : {}),
      seconds: seconds as number,
      expectEcho: v['expect-echo'] === true,
      localHost: v['local-host'] ?? (loopback ? '127.0.0.1' : '0.0.0.0'),
      ...(typeof rtpPort === 'number' ? { rtpPort } : {}),
      ringTimeoutSec: ring as number,
      verbose: v.verbose === true,
    },
  };
}
