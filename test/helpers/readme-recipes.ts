/**
 * The README's signed-start recipes, run as written: the code block after `<!-- recipe: verify-node -->` is
 * imported as a module, the one after `<!-- recipe: verify-python -->` run by python3. A test that verifies
 * headers this way checks the documentation, not a copy of it.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const README = resolve(fileURLToPath(import.meta.url), '../../../README.md');

/** The fenced code block right after `<!-- recipe: <name> -->` in the README. */
export function readmeRecipe(name: string): string {
  const text = readFileSync(README, 'utf8');
  const at = text.indexOf(`<!-- recipe: ${name} -->`);
  if (at < 0) throw new Error(`README has no recipe "${name}"`);
  const m = /```[a-z]*\n([\s\S]*?)```/.exec(text.slice(at));
  if (!m) throw new Error(`README recipe "${name}" has no code block`);
  return m[1];
}

type Verify = (headers: Record<string, unknown>, secret: string, url: string, maxAgeSec?: number) => boolean;

/** The README's Node recipe, imported from a temp file. */
export async function nodeRecipe(): Promise<Verify> {
  const file = join(mkdtempSync(join(tmpdir(), 'tb-recipe-')), 'verify-trunkbridge.mjs');
  writeFileSync(file, readmeRecipe('verify-node'));
  const mod = (await import(pathToFileURL(file).href)) as { verifyTrunkbridge: Verify };
  return mod.verifyTrunkbridge;
}

/** The README's Python recipe run by python3 on `headers` (lower-case names); its verdict. */
export function pythonRecipe(headers: Record<string, string>, secret: string, url: string): boolean {
  const script = `${readmeRecipe('verify-python')}
import json, sys
args = json.load(sys.stdin)
print("ok" if verify_trunkbridge(args["headers"], args["secret"], args["url"]) else "refused")
`;
  const out = execFileSync('python3', ['-c', script], { input: JSON.stringify({ headers, secret, url }), encoding: 'utf8' });
  return out.trim() === 'ok';
}
