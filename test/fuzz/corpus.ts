/** Seeds for the mutator: the raw fixtures the table tests use, plus the crash regressions in fixtures/fuzz/. */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const FIXTURES = fileURLToPath(new URL('../../fixtures/', import.meta.url));

/** Every file under `dir` (relative to fixtures/) whose name ends with one of `exts`, as bytes, sorted by path. */
export function loadCorpus(dirs: string[], exts: string[]): Buffer[] {
  const out: Array<[string, Buffer]> = [];
  const walk = (dir: string) => {
    if (!existsSync(dir)) return;
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (exts.some((e) => name.endsWith(e))) out.push([path, readFileSync(path)]);
    }
  };
  for (const d of dirs) walk(join(FIXTURES, d));
  out.sort((a, b) => a[0].localeCompare(b[0]));
  return out.map(([, b]) => b);
}

let sip: Buffer[] | undefined;
let sdp: Buffer[] | undefined;

/** SIP messages: valid, invalid, RFC 4475/5118 torture tests, fuzz regressions. */
export function sipCorpus(): Buffer[] {
  sip ??= loadCorpus(['sip', 'fuzz/sip'], ['.sip']);
  return sip;
}

/** SDP bodies: carrier-like offers and fuzz regressions. */
export function sdpCorpus(): Buffer[] {
  sdp ??= loadCorpus(['sdp', 'fuzz/sdp'], ['.sdp']);
  return sdp;
}
