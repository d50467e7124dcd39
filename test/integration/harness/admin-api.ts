/**
 * The admin API tests' bridge and client (admin-api-resources and admin-api-changes): a config with three API
 * keys (read, operate, and an admin key given through the environment) and a data dir, and one HTTP call with a
 * chosen key whose answer keeps its status, JSON body, ETag and raw text.
 */
import { BridgeProcess } from './bridge-process.js';
import { testConfig } from './config.js';

export const KEYS = { read: 'read-key-0123456789abc', operate: 'operate-key-0123456789a', admin: 'admin-key-0123456789abc' } as const;
/** Whose key a call carries: a role's, none, or one the bridge does not know. */
export type Who = keyof typeof KEYS | 'none' | 'wrong';

/** The bridge's config: carrier-a from 127.0.0.1 and 127.0.0.2 with +15550100 on the echo bot, the keys, `dataDir`. */
export function adminYaml(o: { dataDir: string; rtpBase: number; apiListen?: boolean }): string {
  return `${testConfig({
    rtpPortMin: o.rtpBase,
    rtpPortMax: o.rtpBase + 9,
    allow: ['127.0.0.1', '127.0.0.2'],
    bots: { echo: '{ builtin: echo }' },
    numbers: { '+15550100': 'echo' },
    extraMedia: '  workers: 0',
  })}api:
  keys:
    - { name: viewer, role: read, key: ${KEYS.read} }
    - { name: dialer, role: operate, key: ${KEYS.operate} }
    - { name: root, role: admin, keyEnv: TB_TEST_ADMIN_KEY }
${o.apiListen ? '  listen: { host: 127.0.0.1, port: 0 }\n' : ''}dataDir: ${o.dataDir}
`;
}

/** Starts a bridge on `yaml` with the admin key in its environment. */
export async function startAdminBridge(yaml: string): Promise<BridgeProcess> {
  const b = new BridgeProcess(yaml, { TB_TEST_ADMIN_KEY: KEYS.admin });
  await b.start();
  return b;
}

export interface Reply {
  status: number;
  body: any;
  etag: string | null;
  text: string;
  headers: Headers;
}

/** One API request to 127.0.0.1:`port` as `who` (default admin); `body` is sent as JSON. */
export async function adminCall(port: number, method: string, path: string, o: { who?: Who; body?: unknown; ifMatch?: string } = {}): Promise<Reply> {
  const who = o.who ?? 'admin';
  const headers: Record<string, string> = { 'Content-Type': 'application/json' };
  if (who === 'wrong') headers.Authorization = 'Bearer not-a-key-at-all-0000';
  else if (who !== 'none') headers.Authorization = `Bearer ${KEYS[who]}`;
  if (o.ifMatch !== undefined) headers['If-Match'] = o.ifMatch;
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { method, headers, ...(o.body !== undefined ? { body: JSON.stringify(o.body) } : {}) });
  const text = await res.text();
  const json = (res.headers.get('content-type') ?? '').startsWith('application/json');
  return { status: res.status, body: json && text ? JSON.parse(text) : undefined, etag: res.headers.get('etag'), text, headers: res.headers };
}
