/**
 * The web console in Debian's headless chromium (puppeteer-core with the system browser, no download): launch,
 * sign in with a key, open a page; the page's script errors are collected for the test to assert on.
 */
import { existsSync } from 'node:fs';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';

export const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));

export interface ConsoleBrowser {
  browser: Browser;
  page: Page;
  /** Script errors the page reported. */
  problems: string[];
  /** Opens the console at `base` (http://host:port) and signs in with `key`. */
  signIn(base: string, key: string): Promise<void>;
  /** Goes to page `hash` (#/calls) and waits for its title. */
  go(hash: string, title: string): Promise<void>;
  close(): Promise<void>;
}

export async function openConsole(): Promise<ConsoleBrowser> {
  if (!CHROMIUM) throw new Error('chromium is missing: run scripts/install-test-deps.sh');
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    // Root in a container has no user namespace sandbox; the page is our own, served from loopback.
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', '--disable-background-networking', '--disable-component-update'],
  });
  const page = await browser.newPage();
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(`page error: ${String(err)}`));
  await page.setViewport({ width: 1280, height: 860 });
  return {
    browser,
    page,
    problems,
    async signIn(base, key) {
      await page.goto(`${base}/console/`);
      await page.evaluate(() => sessionStorage.clear());
      await page.reload();
      await page.waitForSelector('#api-key');
      await page.type('#api-key', key);
      await page.keyboard.press('Enter');
      await page.waitForSelector('header .who', { timeout: 10_000 });
    },
    async go(hash, title) {
      await page.evaluate((h) => (location.hash = h), hash);
      await page.waitForFunction((t) => document.querySelector('#page-title')?.textContent === t, { timeout: 10_000 }, title);
    },
    close: () => browser.close(),
  };
}
