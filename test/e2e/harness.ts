import fs from 'node:fs';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { buildZhian, MIGRATIONS_DIR, ROOT_DIR, type Zhian } from '../../src/server/main.js';
import { seedDemo } from '../../src/server/modules/demo/index.js';
import { migrate } from '../../src/server/platform/db/migrate.js';
import type { Database } from '../../src/server/db.js';
import { openDatabase } from '../../src/server/platform/db/database.js';
import { TEST_DATABASE_URL, testConfig, testDatabase } from '../helpers.js';
import { cleanup, freshDatabase } from '../process/support.js';

/** What the browser tests share: Debian's Chromium, the demo district served on a free port, screenshots. */
export const CHROMIUM = '/usr/bin/chromium';
export const SHOTS = path.join(ROOT_DIR, 'docs/screenshots');
export const haveBrowser = fs.existsSync(CHROMIUM) && fs.existsSync(path.join(ROOT_DIR, 'dist/web/index.html'));
const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };
const DESKTOP = { viewport: { width: 1440, height: 900 } };

export interface DemoBrowser {
  z: Zhian;
  browser: Browser;
  base: string;
  shot(page: Page, name: string, fullPage?: boolean): Promise<void>;
  context(kind: 'phone' | 'desktop', extra?: Parameters<Browser['newContext']>[0]): Promise<BrowserContext>;
  signIn(page: Page, username: string): Promise<void>;
  close(): Promise<void>;
}

/** The demo district (cases, devices, warnings …, seeded once per database) served to a headless Chromium. */
export async function startDemoBrowser(): Promise<DemoBrowser> {
  fs.mkdirSync(SHOTS, { recursive: true });
  // On PostgreSQL the demo district gets a database of its own: its hundreds of open cases and
  // their due timers stay out of the shared test database, where other files tick timers.
  const url = TEST_DATABASE_URL ? await freshDatabase() : null;
  const handle = url ? await openDatabase<Database>({ databaseUrl: url, poolSize: 5 }) : await testDatabase();
  await migrate(handle, MIGRATIONS_DIR);
  await seedDemo(handle);
  const z = await buildZhian(testConfig({ ZHIAN_DEMO: 'true', ...(url ? { DATABASE_URL: url } : {}) }), { logger: false, handle, seed: true, timers: false });
  await z.app.listen({ port: 0, host: '127.0.0.1' });
  const base = `http://127.0.0.1:${(z.app.server.address() as AddressInfo).port}`;
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'],
  });
  return {
    z,
    browser,
    base,
    async shot(page, name, fullPage = false) {
      await page.waitForTimeout(600);
      await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage });
    },
    context: (kind, extra = {}) => browser.newContext({ ...(kind === 'phone' ? PHONE : DESKTOP), locale: 'zh-CN', timezoneId: 'Asia/Shanghai', ...extra }),
    async signIn(page, username) {
      await page.goto(`${base}/login`);
      await page.getByLabel('用户名').fill(username);
      await page.getByLabel('密码').fill('zhian-demo');
      await page.getByRole('button', { name: /登\s*录/ }).click();
      await page.waitForURL((u) => !u.pathname.startsWith('/login'));
    },
    async close() {
      await browser.close();
      await z.close();
      if (url) await cleanup();
    },
  };
}
