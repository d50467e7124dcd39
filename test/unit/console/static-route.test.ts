import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { consoleRoutes } from '../../../src/console/static-route.js';
import { silentLogger } from '../../../src/core/logger.js';

interface Answer {
  handled: boolean;
  status?: number;
  headers: Record<string, string | number>;
  body?: string;
}

/** Runs one request through the route, capturing what it answers (the route only calls writeHead and end). */
async function ask(route: ReturnType<typeof consoleRoutes>, method: string, url: string): Promise<Answer> {
  const answer: Answer = { handled: false, headers: {} };
  const res = {
    writeHead(status: number, headers: Record<string, string | number> = {}) {
      answer.status = status;
      answer.headers = headers;
      return res;
    },
    end(body?: Buffer | string) {
      answer.body = body === undefined ? undefined : body.toString();
      return res;
    },
  } as unknown as ServerResponse;
  answer.handled = await route({ method, url } as IncomingMessage, res);
  return answer;
}

function consoleDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tb-console-files-'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>c</title>');
  writeFileSync(join(dir, 'app.js'), 'console.log(1)');
  writeFileSync(join(dir, 'style.css'), 'body{}');
  writeFileSync(join(dir, 'notes.txt'), 'not served: no known type');
  mkdirSync(join(dir, 'sub'));
  return dir;
}

describe('console static route', () => {
  const route = consoleRoutes(consoleDir(), silentLogger());

  it.each<[string, string, number, string | undefined]>([
    ['GET', '/console', 308, undefined],
    ['GET', '/console/', 200, 'text/html; charset=utf-8'],
    ['GET', '/console/?x=1', 200, 'text/html; charset=utf-8'],
    ['GET', '/console/app.js', 200, 'text/javascript; charset=utf-8'],
    ['GET', '/console/style.css', 200, 'text/css; charset=utf-8'],
    ['HEAD', '/console/app.js', 200, 'text/javascript; charset=utf-8'],
    ['GET', '/console/notes.txt', 404, 'text/plain'],
    ['GET', '/console/../package.json', 404, 'text/plain'],
    ['GET', '/console/sub/', 404, 'text/plain'],
    ['GET', '/console/%2e%2e/app.js', 404, 'text/plain'],
    ['POST', '/console/', 405, undefined],
  ])('%s %s -> %d', async (method, url, status, type) => {
    const a = await ask(route, method, url);
    expect(a.handled).toBe(true);
    expect(a.status).toBe(status);
    expect(a.headers['Content-Type']).toBe(type);
  });

  it('redirects /console to /console/ so the page\'s relative URLs resolve under it', async () => {
    expect((await ask(route, 'GET', '/console')).headers.Location).toBe('/console/');
  });

  it('sends the file with same-origin-only headers; HEAD without a body', async () => {
    const get = await ask(route, 'GET', '/console/app.js');
    expect(get.body).toBe('console.log(1)');
    expect(get.headers['Content-Security-Policy']).toContain("default-src 'self'");
    expect(get.headers['X-Content-Type-Options']).toBe('nosniff');
    expect(get.headers['Content-Length']).toBe(14);
    expect((await ask(route, 'HEAD', '/console/app.js')).body).toBeUndefined();
    expect((await ask(route, 'GET', '/console/')).headers['Cache-Control']).toBe('no-store');
  });

  it('leaves other paths to the next route', async () => {
    for (const url of ['/consoles', '/v1/whoami', '/metrics', '/']) expect((await ask(route, 'GET', url)).handled).toBe(false);
  });

  it('answers 503 naming the fix when the bundle was not built', async () => {
    const empty = consoleRoutes(join(tmpdir(), 'tb-no-such-console-dir'), silentLogger());
    const a = await ask(empty, 'GET', '/console/');
    expect(a.status).toBe(503);
    expect(a.body).toContain('npm run build');
  });
});
