/**
 * Serves the web console at `/console`: the files the build bundled into one folder (index.html, app.js,
 * style.css), read once at start. No CDN and no file system lookups per request: only the listed files exist,
 * so no path can reach outside the folder. The console talks to the public /v1 API only.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../core/logger.js';

type Route = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.map': 'application/json',
};

/** Same-origin only: the page loads nothing from elsewhere and cannot be framed (clickjacking). */
const SECURITY_HEADERS = {
  'Content-Security-Policy': "default-src 'self'; img-src 'self' data:; media-src 'self' blob:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
};

/** Where the build puts the bundle: `dist/console/static/`, beside this module once compiled. */
export function defaultConsoleDir(): string {
  return fileURLToPath(new URL('./static/', import.meta.url));
}

interface StaticFile {
  type: string;
  body: Buffer;
}

/** The files of `dir` (not recursive), by URL name; empty when the folder is missing (console not built). */
export function loadConsoleFiles(dir: string): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  if (!existsSync(dir)) return files;
  for (const name of readdirSync(dir)) {
    const type = TYPES[extname(name)];
    if (type !== undefined) files.set(name, { type, body: readFileSync(join(dir, name)) });
  }
  return files;
}

/**
 * The `/console` routes over the files in `dir`. `/console` redirects to `/console/` (relative URLs in the
 * page then resolve under it); `/console/` is index.html; anything else under it is a listed file or 404.
 */
export function consoleRoutes(dir: string, logger: Logger): Route {
  const files = loadConsoleFiles(dir);
  if (!files.has('index.html')) logger.warn({ dir }, 'web console files missing (run npm run build): /console answers 503');
  return async (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/console' && !path.startsWith('/console/')) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' }).end();
      return true;
    }
    if (path === '/console') {
      res.writeHead(308, { Location: '/console/' }).end();
      return true;
    }
    if (!files.has('index.html')) {
      res.writeHead(503, { 'Content-Type': 'text/plain' }).end('web console not built: run npm run build\n');
      return true;
    }
    const name = path === '/console/' ? 'index.html' : path.slice('/console/'.length);
    const file = files.get(name);
    if (!file) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
      return true;
    }
    // index.html is small and names the bundle: never cached, so an upgrade is seen at the next load.
    const cache = name === 'index.html' ? 'no-store' : 'no-cache';
    res.writeHead(200, { 'Content-Type': file.type, 'Content-Length': file.body.length, 'Cache-Control': cache, ...SECURITY_HEADERS });
    res.end(req.method === 'HEAD' ? undefined : file.body);
    return true;
  };
}
