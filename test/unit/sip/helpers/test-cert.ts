/** A throwaway self-signed certificate made with openssl at test time (never committed). */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCert {
  dir: string;
  certFile: string;
  keyFile: string;
  cleanup(): void;
}

export function makeTestCert(commonName = 'localhost'): TestCert {
  const dir = mkdtempSync(join(tmpdir(), 'tb-cert-'));
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2',
    '-keyout', keyFile, '-out', certFile,
    '-subj', `/CN=${commonName}`,
    '-addext', `subjectAltName=DNS:${commonName},IP:127.0.0.1`,
  ], { stdio: 'ignore' });
  return { dir, certFile, keyFile, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
