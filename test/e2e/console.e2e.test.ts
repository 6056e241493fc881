import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AddressInfo } from 'node:net';
import { buildZhian, ROOT_DIR, type Zhian } from '../../src/server/main.js';
import { testConfig, testDatabase } from '../helpers.js';

/**
 * The console in a real browser (Debian's Chromium) against a real server with the demo
 * district: sign in, search an address, see it on the map; screenshots of every page go to
 * docs/screenshots/ for people to look at.
 */
const CHROMIUM = '/usr/bin/chromium';
const SHOTS = path.join(ROOT_DIR, 'docs/screenshots');
const haveBrowser = fs.existsSync(CHROMIUM) && fs.existsSync(path.join(ROOT_DIR, 'dist/web/index.html'));
if (!haveBrowser) process.stdout.write('[zhian tests] browser test skipped: /usr/bin/chromium or dist/web is missing\n');

let z: Zhian;
let browser: Browser;
let base: string;

async function shot(page: Page, name: string) {
  await page.waitForTimeout(400);
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`) });
}

describe.skipIf(!haveBrowser)('console in the browser', () => {
  beforeAll(async () => {
    fs.mkdirSync(SHOTS, { recursive: true });
    // The demo district, seeded into this test's own database (PGlite in memory, or PostgreSQL).
    const handle = await testDatabase();
    const { seedDemo } = await import('../../src/server/modules/demo/index.js');
    const { migrate } = await import('../../src/server/platform/db/migrate.js');
    const { MIGRATIONS_DIR } = await import('../../src/server/main.js');
    await migrate(handle, MIGRATIONS_DIR);
    const seeded = await seedDemo(handle);
    if (seeded === null && (await handle.db.selectFrom('users').select('id').where('username', '=', 'admin').executeTakeFirst()) === undefined) {
      throw new Error('demo marker present but no admin user');
    }
    z = await buildZhian(testConfig(), { logger: false, handle, seed: false });
    await z.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(z.app.server.address() as AddressInfo).port}`;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'],
    });
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await z?.close();
  });

  it('signs in, searches an address and shows it on the map, then visits every page', async () => {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
    const failed: string[] = [];
    page.on('requestfailed', (r) => failed.push(r.url()));
    page.on('pageerror', (e) => failed.push(`pageerror: ${e.message}`));

    await page.goto(`${base}/`);
    await page.waitForURL(/\/login/);
    await page.getByLabel('用户名').waitFor();
    await shot(page, 'login');

    await page.getByLabel('用户名').fill('admin');
    await page.getByLabel('密码').fill('wrong-password');
    await page.getByRole('button', { name: /登\s*录/ }).click();
    await page.getByRole('alert').waitFor();

    await page.getByLabel('密码').fill('zhian-demo');
    await page.getByRole('button', { name: /登\s*录/ }).click();
    await page.waitForURL((u) => !u.pathname.startsWith('/login'));
    await page.locator('.maplibregl-canvas').waitFor({ timeout: 30_000 });
    // The stats strip shows the demo district's counts.
    await page.locator('.za-stat-value').first().waitFor();
    await page.waitForFunction(() => [...document.querySelectorAll('.za-stat-value')].every((e) => e.textContent && e.textContent !== '–'));
    await shot(page, 'map');

    // Search as a resident would type it: no upper levels, 栋 for 幢, a noise word.
    const search = page.getByPlaceholder(/搜索地址/);
    await search.click();
    await search.pressSequentially('西山社区盛世新村1栋1单元101附近', { delay: 20 });
    const option = page.locator('.ant-select-item-option').first();
    await option.waitFor({ timeout: 15_000 });
    const optionText = await option.innerText();
    expect(optionText).toContain('盛世新村1幢1单元101室');
    await shot(page, 'map-search-options');
    await option.click();
    const marker = page.locator('.maplibregl-marker').last();
    await marker.waitFor();
    await page.waitForTimeout(2500); // the map flies to the result
    const popup = page.locator('.maplibregl-popup');
    if (!(await popup.isVisible())) await marker.click();
    await popup.waitFor();
    expect(await popup.innerText()).toContain('盛世新村1幢1单元101室');
    // The marker is in the map's viewport (the map flew there).
    const box = await marker.boundingBox();
    const mapBox = await page.locator('.maplibregl-canvas').boundingBox();
    expect(box && mapBox && box.x > mapBox.x && box.x < mapBox.x + mapBox.width && box.y > mapBox.y && box.y < mapBox.y + mapBox.height).toBe(true);
    await shot(page, 'map-search');

    for (const [route, name, text] of [
      ['/orgs', 'orgs', '海宁市'],
      ['/users', 'users', 'admin'],
      ['/audit', 'audit', '审计'],
    ] as const) {
      await page.goto(`${base}${route}`);
      await page.getByText(text).first().waitFor({ timeout: 20_000 });
      await page.waitForLoadState('networkidle');
      await shot(page, name);
    }

    // The address library: a hotline operator's text matched to the library, with the detail.
    await page.goto(`${base}/addresses`);
    const q = page.getByPlaceholder('输入地址文本进行匹配');
    await q.fill('海宁 盐官镇 和平小区 5栋 门口');
    await q.press('Enter');
    const row = page.locator('.ant-table-row').filter({ hasText: '和平小区5幢' }).first();
    await row.waitFor({ timeout: 15_000 });
    await row.click();
    await page.getByText('在地图中定位').first().waitFor();
    await page.waitForLoadState('networkidle');
    await shot(page, 'addresses');

    // Grids: the list, then one grid's drawer with its polygon and workers.
    await page.goto(`${base}/grids`);
    await page.locator('.ant-table-row').first().waitFor({ timeout: 20_000 });
    await shot(page, 'grids');
    await page.locator('.ant-table-row').first().getByRole('button', { name: /编\s*辑/ }).first().click();
    await page.locator('.ant-drawer-body .maplibregl-canvas').waitFor({ timeout: 20_000 });
    await page.waitForTimeout(1200);
    await shot(page, 'grid-detail');
    // Phones are masked in the user list.
    await page.goto(`${base}/users`);
    await page.locator('.ant-table-row').first().waitFor();
    const tableText = await page.locator('.ant-table').first().innerText();
    expect(tableText).toMatch(/1\d{2}\*{4}\d{4}/);

    // Nothing was fetched from outside this machine.
    expect(failed.filter((u) => !u.startsWith(base))).toEqual([]);
    await page.close();
  }, 180_000);

  it('switches to English', async () => {
    const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 }, timezoneId: 'Asia/Shanghai' });
    const page = await ctx.newPage();
    await page.goto(`${base}/login`);
    await page.evaluate(() => localStorage.setItem('zhian.lang', 'en-US'));
    await page.getByRole('button', { name: /English|中文/ }).first().click();
    await page.getByLabel('Username').waitFor();
    await page.getByLabel('Username').fill('admin');
    await page.getByLabel('Password').fill('zhian-demo');
    await page.getByRole('button', { name: /Sign in/ }).click();
    await page.waitForURL((u) => !u.pathname.startsWith('/login'));
    await page.locator('.maplibregl-canvas').waitFor({ timeout: 30_000 });
    await page.goto(`${base}/grids`);
    await page.locator('.ant-table-row').first().waitFor();
    await shot(page, 'grids-en');
    await ctx.close();
  }, 120_000);
});
