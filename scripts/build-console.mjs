// Bundles the web console (console/) into dist/console/static/, which src/console serves at /console.
// Preact and htm are bundled here, so the running bridge needs no CDN and no node_modules for the page.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = `${root}dist/console/static`;
mkdirSync(out, { recursive: true });
await build({
  entryPoints: [`${root}console/src/main.js`],
  bundle: true,
  format: 'esm',
  target: ['es2020'],
  minify: true,
  sourcemap: true,
  outfile: `${out}/app.js`,
  logLevel: 'warning',
});
for (const f of ['index.html', 'style.css']) copyFileSync(`${root}console/${f}`, `${out}/${f}`);
