import sharp from 'sharp';
import type { Page } from 'playwright-core';
import type { Zhian } from '../../src/server/main.js';
import { haveBrowser, startDemoBrowser, type DemoBrowser } from './harness.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The whole loop in a real browser against the demo district: a resident reports from a
 * phone with a photo → the operator sees it routed → the grid worker handles it on the phone
 * → the command centre verifies and closes → the resident sees the result and rates it.
 * Screenshots of every page of 事件中枢 go to docs/screenshots/.
 */
let h: DemoBrowser;
let z: Zhian;
let base: string;
const shot = (page: Page, name: string, fullPage = false) => h.shot(page, name, fullPage);
const context = (...args: Parameters<DemoBrowser['context']>) => h.context(...args);
const signIn = (page: Page, username: string) => h.signIn(page, username);

/** Clicks a workflow button of the case detail and confirms its dialog when one opens. */
async function step(page: Page, action: string, fill?: (modal: ReturnType<Page['getByTestId']>) => Promise<void>) {
  await page.getByTestId(`action-${action}`).click();
  const modal = page.getByTestId('action-modal');
  if (await modal.isVisible({ timeout: 3000 }).catch(() => false)) {
    if (fill) await fill(modal);
    await page.getByTestId('action-submit').click();
    await modal.waitFor({ state: 'hidden' });
  }
}

describe.skipIf(!haveBrowser)('事件中枢 in the browser: the whole loop', () => {
  beforeAll(async () => {
    h = await startDemoBrowser();
    z = h.z;
    base = h.base;
  }, 300_000);

  afterAll(async () => {
    await h?.close();
  });

  it('resident → operator → grid worker → command centre → resident', async () => {
    const failed: string[] = [];
    // A building of the demo district with its grid worker: where the resident stands.
    const place = await z.handle.db
      .selectFrom('addresses as a')
      .innerJoin('grid_workers as w', 'w.grid_id', 'a.grid_id')
      .innerJoin('users as u', 'u.id', 'w.user_id')
      .select(['a.lng', 'a.lat', 'a.full_text', 'u.username'])
      .where('a.level', '=', 'building')
      .where('a.full_text', 'like', '%硖石街道%')
      .orderBy('a.full_text')
      .limit(1)
      .executeTakeFirstOrThrow();

    // ---- the resident, on a phone, where the problem is
    const residentCtx = await context('phone', { geolocation: { latitude: place.lat, longitude: place.lng }, permissions: ['geolocation'] });
    const resident = await residentCtx.newPage();
    resident.on('pageerror', (e) => failed.push(`resident: ${e.message}`));
    await resident.goto(`${base}/report`);
    await resident.getByTestId('report-description').fill('小区门口人行道上的井盖翘起来了，晚上看不清很容易绊倒，请尽快处理');
    await resident.getByTestId('category-suggestion').waitFor();
    await expect.poll(() => resident.getByTestId('category-suggestion').innerText(), { timeout: 15_000 }).toContain('井盖');
    const photo = await sharp({ create: { width: 800, height: 600, channels: 3, background: '#7a8a99' } })
      .composite([{ input: Buffer.from('<svg width="800" height="600"><circle cx="400" cy="320" r="140" fill="#333"/><rect x="0" y="470" width="800" height="130" fill="#999"/></svg>'), top: 0, left: 0 }])
      .jpeg()
      .toBuffer();
    await resident.getByTestId('photo-input').setInputFiles({ name: 'jinggai.jpg', mimeType: 'image/jpeg', buffer: photo });
    await expect.poll(() => resident.getByTestId('photo-thumb').first().getAttribute('data-status'), { timeout: 20_000 }).toBe('done');
    await resident.getByTestId('locate-me').click();
    await expect.poll(() => resident.getByTestId('place-text').innerText(), { timeout: 15_000 }).toContain('网格');
    await resident.getByTestId('phone-input').fill('13912345678');
    await resident.getByTestId('name-input').fill('周女士');
    await shot(resident, 'resident-report', true);
    await resident.getByTestId('report-submit').click();
    const codeEl = resident.getByTestId('tracking-code');
    await codeEl.waitFor({ timeout: 20_000 });
    const code = (await codeEl.innerText()).trim();
    expect(code).toMatch(/^[2-9A-Z]{10}$/);
    await shot(resident, 'resident-submitted');

    const report = await z.handle.db.selectFrom('reports').selectAll().where('tracking_code', '=', code).executeTakeFirstOrThrow();
    expect(report.status).toBe('dispatched');
    expect(report.category_code).toBe('0201');
    const worker = await z.handle.db.selectFrom('users').select('username').where('id', '=', report.assignee_id!).executeTakeFirstOrThrow();

    // ---- the operator sees it, routed, with the reason
    const opCtx = await context('desktop');
    const operator = await opCtx.newPage();
    operator.on('pageerror', (e) => failed.push(`operator: ${e.message}`));
    await signIn(operator, 'command');
    await operator.goto(`${base}/reports`);
    const row = operator.locator(`[data-testid="report-row"][data-number="${report.number}"]`);
    await row.waitFor({ timeout: 20_000 });
    await shot(operator, 'reports-list');
    await row.getByRole('link', { name: report.number }).click();
    await operator.getByTestId('report-detail').waitFor();
    const routing = await operator.getByTestId('routing-steps').innerText();
    expect(routing).toContain('井盖');
    expect(routing).toContain('网格员');
    expect(await operator.getByTestId('report-detail').innerText()).not.toContain('13912345678');
    await shot(operator, 'report-detail', true);

    // ---- the grid worker handles it on the phone, with a photo of the result
    const gwCtx = await context('phone');
    const gw = await gwCtx.newPage();
    gw.on('pageerror', (e) => failed.push(`grid worker: ${e.message}`));
    await signIn(gw, worker.username);
    await gw.goto(`${base}/reports/mine`);
    const card = gw.getByTestId('task-card').filter({ hasText: '井盖翘起来' });
    await card.waitFor({ timeout: 20_000 });
    await shot(gw, 'my-tasks');
    await card.click();
    await gw.getByTestId('task-detail').waitFor();
    await gw.getByTestId('task-handle').click();
    await gw.getByTestId('action-note').fill('已更换井盖并加固，现场已恢复通行');
    const after = await sharp({ create: { width: 800, height: 600, channels: 3, background: '#8fa39a' } }).jpeg().toBuffer();
    await gw.getByTestId('result-photo-input').setInputFiles({ name: 'after.jpg', mimeType: 'image/jpeg', buffer: after });
    await gw.waitForTimeout(1500);
    await shot(gw, 'task-handle');
    await gw.getByTestId('action-submit').click();
    await expect.poll(async () => (await z.handle.db.selectFrom('reports').select('status').where('id', '=', report.id).executeTakeFirstOrThrow()).status, { timeout: 20_000 }).toBe('handled');

    // ---- the command centre verifies and closes
    await operator.reload();
    await operator.getByTestId('action-verify').waitFor({ timeout: 20_000 });
    await step(operator, 'verify');
    await operator.getByTestId('action-close').waitFor({ timeout: 20_000 });
    await step(operator, 'close');
    await expect.poll(() => operator.getByTestId('report-detail').getAttribute('data-status'), { timeout: 20_000 }).toBe('closed');
    await shot(operator, 'report-closed', true);

    // ---- the resident sees the result and rates it
    await resident.goto(`${base}/r/${code}`);
    await resident.getByTestId('status-result').waitFor({ timeout: 20_000 });
    expect(await resident.getByTestId('status-result').innerText()).toContain('已更换井盖');
    const statusText = await resident.locator('body').innerText();
    expect(statusText).not.toContain('13912345678');
    expect(statusText).not.toContain('周女士');
    await shot(resident, 'resident-status', true);
    await resident.getByTestId('rate-satisfied').click();
    await resident.getByTestId('rate-submit').click();
    await resident.getByTestId('rate-thanks').waitFor({ timeout: 15_000 });
    await shot(resident, 'resident-rated');
    expect((await z.handle.db.selectFrom('reports').select('rating').where('id', '=', report.id).executeTakeFirstOrThrow()).rating).toBe('satisfied');

    expect(failed).toEqual([]);
    for (const c of [residentCtx, opCtx, gwCtx]) await c.close();
  }, 240_000);

  it('the other pages of 事件中枢, with the demo district’s cases', async () => {
    const ctx = await context('desktop');
    const page = await ctx.newPage();
    const failed: string[] = [];
    page.on('pageerror', (e) => failed.push(e.message));
    await signIn(page, 'command');
    for (const [route, name, ready] of [
      ['/reports/intake', 'reports-intake', 'intake-description'],
      ['/reports/triage', 'reports-triage', 'triage-row'],
      ['/reports/supervision', 'reports-supervision', 'board-overdue'],
      ['/reports/stats', 'reports-stats', 'stats-export'],
    ] as const) {
      await page.goto(`${base}${route}`);
      await page.getByTestId(ready).first().waitFor({ timeout: 30_000 });
      await page.waitForLoadState('networkidle');
      await shot(page, name);
    }
    // The intake desk suggests a category while the operator types.
    await page.goto(`${base}/reports/intake`);
    await page.getByTestId('intake-description').fill('楼道里好多电动车在充电，电线拉得到处都是');
    await expect.poll(() => page.getByTestId('category-suggestion').first().innerText(), { timeout: 15_000 }).toContain('电动车');
    await shot(page, 'reports-intake-suggestion');
    await page.getByTestId('inbox-bell').click();
    await page.waitForTimeout(800);
    await shot(page, 'reports-inbox');

    await ctx.close();

    const adminCtx = await context('desktop');
    const admin = await adminCtx.newPage();
    admin.on('pageerror', (e) => failed.push(e.message));
    await signIn(admin, 'admin');
    await admin.goto(`${base}/reports/settings`);
    await admin.locator('.ant-table-row').first().waitFor({ timeout: 30_000 });
    await shot(admin, 'reports-settings');
    expect(failed).toEqual([]);
    await adminCtx.close();
  }, 180_000);
});
