import ExcelJS from 'exceljs';
import type { Page } from 'playwright-core';
import type { Zhian } from '../../src/server/main.js';
import { haveBrowser, startDemoBrowser, type DemoBrowser } from './harness.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * 预警中心 in a real browser against the demo district: the warnings (table and map), a
 * warning's detail, a grid worker recording the outcome on a phone (and the command centre's
 * list following live), a station's readings chart with the GB 3838 limits, a rule's dry run,
 * a reconciliation import with errors and then a good one, and the precision of the rules.
 * Screenshots go to docs/screenshots/alerts-*.png.
 */
let h: DemoBrowser;
let z: Zhian;
let base: string;
const shot = (page: Page, name: string, fullPage = false) => h.shot(page, name, fullPage);
const context = (...args: Parameters<DemoBrowser['context']>) => h.context(...args);
const signIn = (page: Page, username: string) => h.signIn(page, username);

/** A valid 18-digit resident ID number (GB 11643 check digit) for the import files. */
function idNumber(seq: number): string {
  const body = `33048119900101${String(seq % 1000).padStart(3, '0')}`;
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = [...body].reduce((n, c, i) => n + Number(c) * weights[i]!, 0);
  return body + '10X98765432'[sum % 11];
}

/** Calls the API as a user (session cookie and CSRF token), for setting the scene. */
async function apiAs(username: string) {
  const login = await fetch(`${base}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password: 'zhian-demo' }) });
  const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
  const { csrfToken } = (await login.json()) as { csrfToken: string };
  return async (method: string, url: string, body?: unknown) => {
    const res = await fetch(`${base}/api/v1${url}`, { method, headers: { cookie, 'x-csrf-token': csrfToken, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
    return { status: res.status, json: (await res.json().catch(() => null)) as Record<string, unknown> | null };
  };
}

async function residentsXlsx(rows: (string | null)[][]): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('居住登记');
  ws.addRow(['身份证号', '姓名', '居住地址', '登记日期']);
  for (const r of rows) ws.addRow(r);
  ws.getColumn(1).numFmt = '@';
  return Buffer.from(await wb.xlsx.writeBuffer());
}

describe.skipIf(!haveBrowser)('预警中心 in the browser', () => {
  beforeAll(async () => {
    h = await startDemoBrowser();
    z = h.z;
    base = h.base;
  }, 300_000);

  afterAll(async () => {
    await h?.close();
  });

  it('warnings list and map, a warning’s detail, the outcome recorded on a phone', async () => {
    const failed: string[] = [];
    // A warning whose verification task went to a grid worker: the one who checks on site.
    // A device's warning, the most severe first.
    const candidates = await z.handle.db
      .selectFrom('alert_warnings as w')
      .innerJoin('reports as r', 'r.id', 'w.report_id')
      .innerJoin('users as u', 'u.id', 'r.assignee_id')
      .select(['w.id', 'w.number', 'w.level', 'w.device_id', 'u.username', 'r.id as reportId'])
      .where('w.status', '=', 'verifying')
      .orderBy('w.number')
      .execute();
    const rank = (c: (typeof candidates)[number]) => (c.device_id ? 0 : 10) + ['red', 'yellow', 'green'].indexOf(c.level);
    const target = [...candidates].sort((a, b) => rank(a) - rank(b))[0]!;
    expect(target).toBeDefined();

    // ---- the command centre: the list, the map, the detail
    const opCtx = await context('desktop');
    const op = await opCtx.newPage();
    op.on('pageerror', (e) => failed.push(`operator: ${e.message}`));
    await signIn(op, 'command');
    await op.goto(`${base}/alerts/warnings`);
    const row = op.locator(`[data-testid="warning-row"][data-number="${target.number}"]`);
    await row.waitFor({ timeout: 30_000 });
    expect(await op.getByTestId('level-tag').count()).toBeGreaterThan(0);
    await op.waitForLoadState('networkidle');
    await shot(op, 'alerts-warnings');

    await op.getByTestId('warnings-view').getByText('地图').click();
    await op.getByTestId('warnings-map').locator('canvas').waitFor({ timeout: 30_000 });
    await op.waitForLoadState('networkidle');
    await op.waitForTimeout(1500);
    await shot(op, 'alerts-warnings-map');

    await op.goto(`${base}/alerts/warnings/${target.id}`);
    await op.getByTestId('warning-detail').waitFor({ timeout: 30_000 });
    expect(await op.getByTestId('warning-reason').innerText()).not.toBe('');
    expect(await op.getByTestId('task-link').innerText()).toMatch(/\d+/);
    await op.getByTestId('warning-map').locator('canvas').waitFor({ timeout: 30_000 });
    await op.waitForTimeout(1200);
    await shot(op, 'alerts-warning-detail', true);

    // The list stays open on the command centre's screen while the worker is on site.
    await op.goto(`${base}/alerts/warnings`);
    await row.waitFor({ timeout: 30_000 });

    // ---- the grid worker, on a phone, records what was found
    const gwCtx = await context('phone');
    const gw = await gwCtx.newPage();
    gw.on('pageerror', (e) => failed.push(`grid worker: ${e.message}`));
    await signIn(gw, target.username);
    await gw.goto(`${base}/alerts/warnings/${target.id}`);
    await gw.getByTestId('warning-outcome').waitFor({ timeout: 30_000 });
    await gw.getByTestId('outcome-confirmed').click();
    await gw.getByTestId('outcome-note').fill('已上门核实，情况属实，已联系社区跟进处置');
    await gw.getByTestId('warning-outcome').scrollIntoViewIfNeeded();
    await shot(gw, 'alerts-outcome-phone');
    // Nothing overflows the phone's width.
    expect(await gw.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(392);
    await gw.getByTestId('outcome-submit').click();
    await gw.getByTestId('outcome-result').waitFor({ timeout: 20_000 });
    expect(await gw.getByTestId('outcome-result').getAttribute('data-outcome')).toBe('confirmed');
    await shot(gw, 'alerts-outcome-recorded', true);

    const after = await z.handle.db.selectFrom('alert_warnings').select(['status', 'outcome_note']).where('id', '=', target.id).executeTakeFirstOrThrow();
    expect(after.status).toBe('confirmed');
    const task = await z.handle.db.selectFrom('reports').select('status').where('id', '=', target.reportId).executeTakeFirstOrThrow();
    expect(task.status).toBe('handled');

    // The command centre's list followed by itself (live events, no reload).
    await expect.poll(() => row.locator('[data-testid="warning-status"]').getAttribute('data-status'), { timeout: 20_000 }).toBe('confirmed');

    expect(failed).toEqual([]);
    await opCtx.close();
    await gwCtx.close();
  }, 240_000);

  it('devices: the list, a station’s readings with the class limits, a new device’s secret', async () => {
    const failed: string[] = [];
    const ctx = await context('desktop');
    const page = await ctx.newPage();
    page.on('pageerror', (e) => failed.push(e.message));
    await signIn(page, 'admin');
    await page.goto(`${base}/alerts/devices?type=water_quality`);
    await page.getByTestId('device-row').first().waitFor({ timeout: 30_000 });
    await page.waitForLoadState('networkidle');
    await shot(page, 'alerts-devices');

    // A station whose ammonia climbed in the demo readings (a warning was raised on it).
    const station = await z.handle.db
      .selectFrom('alert_warnings as w')
      .innerJoin('devices as d', 'd.id', 'w.device_id')
      .select(['d.id', 'd.code'])
      .where('d.type', '=', 'water_quality')
      .orderBy('w.level', 'asc')
      .limit(1)
      .executeTakeFirstOrThrow();
    await page.goto(`${base}/alerts/devices/${station.id}`);
    await page.getByTestId('readings-chart').waitFor({ timeout: 30_000 });
    await page.getByTestId('indicator-picker').getByText('氨氮').click();
    await page.waitForTimeout(800);
    await page.waitForLoadState('networkidle');
    await shot(page, 'alerts-device-chart', true);

    // Register a device: the secret is shown once, with its MQTT topic.
    await page.goto(`${base}/alerts/devices`);
    await page.getByTestId('device-create').click();
    await page.getByTestId('device-code').fill('WQ-E2E-01');
    await page.getByTestId('device-name').fill('洛塘河测试断面');
    const form = page.getByTestId('device-form');
    await form.getByLabel('经度').fill('120.6881');
    await form.getByLabel('纬度').fill('30.4525');
    await page.getByRole('button', { name: /保\s*存/ }).click();
    await page.getByTestId('device-secret-modal').waitFor({ timeout: 20_000 });
    expect((await page.getByTestId('device-secret').innerText()).length).toBeGreaterThan(10);
    expect(await page.getByTestId('device-secret-modal').innerText()).toContain('zhian/devices/WQ-E2E-01/readings');
    await shot(page, 'alerts-device-secret');

    await page.goto(`${base}/alerts/devices?tab=water`);
    await page.getByTestId('wq-assess').click();
    await page.getByTestId('wq-result').waitFor({ timeout: 10_000 });
    await shot(page, 'alerts-water-bodies');

    await page.goto(`${base}/alerts/households`);
    await page.getByTestId('household-row').first().waitFor({ timeout: 30_000 });
    await page.getByTestId('household-reveal').first().click();
    await page.getByRole('button', { name: /确\s*定/ }).click();
    await expect.poll(() => page.getByTestId('household-contact').first().innerText(), { timeout: 10_000 }).not.toContain('*');
    await shot(page, 'alerts-households');

    expect(failed).toEqual([]);
    await ctx.close();
  }, 180_000);

  it('rules: a dry run shows its progress, then what it would have raised', async () => {
    const failed: string[] = [];
    const ctx = await context('desktop');
    const page = await ctx.newPage();
    page.on('pageerror', (e) => failed.push(e.message));
    await signIn(page, 'admin');
    await page.goto(`${base}/alerts/rules`);
    const rule = page.locator('[data-testid="rule-row"][data-kind="water_quality"]').first();
    await rule.waitFor({ timeout: 30_000 });
    await shot(page, 'alerts-rules');

    await rule.getByTestId('rule-edit').click();
    await page.getByTestId('rule-form').waitFor();
    await page.waitForTimeout(500);
    await shot(page, 'alerts-rule-form');
    // The per-kind form and the raw parameters are the same thing.
    await page.getByTestId('rule-json-toggle').click();
    expect(JSON.parse(await page.getByTestId('rule-json').inputValue())).toMatchObject({ levels: { yellow: 1, red: 2 } });
    await page.getByTestId('rule-json-toggle').click();
    const red = await page.getByTestId('level-red').first().evaluate((el) => (el instanceof HTMLInputElement ? el : el.querySelector('input'))?.value);
    expect(red).toBe('2');

    // The replay of 30 days is quick on the demo district: hold the job's answers a moment
    // so that the progress bar can be seen (and photographed) before the result.
    let hold = true;
    await page.route('**/api/v1/jobs/*', async (route) => {
      if (hold) await new Promise((r) => setTimeout(r, 1500));
      await route.continue();
    });
    await page.getByTestId('rule-drawer-dry-run').click();
    await page.getByTestId('dry-run-progress').waitFor({ timeout: 10_000 });
    await shot(page, 'alerts-rules-dryrun-progress');
    hold = false;
    await expect.poll(() => page.getByTestId('dry-run').getAttribute('data-status'), { timeout: 30_000 }).toBe('succeeded');
    await page.getByTestId('dry-run-result').waitFor();
    await shot(page, 'alerts-rules-dryrun-result');

    expect(failed).toEqual([]);
    await ctx.close();
  }, 120_000);

  it('reconciliation: a file with errors imports nothing and lists the rows; the fixed file imports', async () => {
    const failed: string[] = [];
    const ctx = await context('desktop');
    const page = await ctx.newPage();
    page.on('pageerror', (e) => failed.push(e.message));
    await signIn(page, 'admin');
    await page.goto(`${base}/alerts/recon`);
    await page.getByTestId('recon-import').waitFor({ timeout: 30_000 });
    const before = await z.handle.db.selectFrom('recon_residents').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();

    const bad = await residentsXlsx([
      [idNumber(1), '张三', '浙江省嘉兴市海宁市硖石街道西山社区盛世新村1幢2单元102室', '2025-03-01'],
      ['33048119900101123', '李四', '浙江省嘉兴市海宁市硖石街道西山社区盛世新村1幢2单元103室', '2025-03-01'],
      [idNumber(3), '王五', '', '2025-03-01'],
      [idNumber(4), '赵六', '浙江省嘉兴市海宁市海洲街道百合社区青枫花苑4幢1单元301室', '三月一日'],
    ]);
    await page.locator('[data-testid="recon-import"] input[type=file]').setInputFiles({ name: '居住登记-有误.xlsx', mimeType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', buffer: bad });
    await page.getByTestId('recon-start').click();
    await page.getByTestId('recon-failed').waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('import-error').count()).toBeGreaterThanOrEqual(3);
    await shot(page, 'alerts-recon-errors');
    const middle = await z.handle.db.selectFrom('recon_residents').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(Number(middle.n)).toBe(Number(before.n));

    await page.getByTestId('recon-again').click();
    const good = await residentsXlsx([
      [idNumber(1), '张三', '浙江省嘉兴市海宁市硖石街道西山社区盛世新村1幢2单元102室', '2025-03-01'],
      [idNumber(2), '李四', '浙江省嘉兴市海宁市硖石街道西山社区盛世新村1幢2单元103室', '2025-03-01'],
      [idNumber(3), '王五', '浙江省嘉兴市海宁市海洲街道百合社区青枫花苑4幢1单元301室', '2025-03-02'],
    ]);
    await page.locator('[data-testid="recon-import"] input[type=file]').setInputFiles({ name: '居住登记.xlsx', mimeType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', buffer: good });
    await page.getByTestId('recon-start').click();
    await page.getByTestId('recon-succeeded').waitFor({ timeout: 30_000 });
    await expect.poll(() => page.getByTestId('import-row').count(), { timeout: 10_000 }).toBeGreaterThan(0);
    await shot(page, 'alerts-recon-imported', true);
    const afterGood = await z.handle.db.selectFrom('recon_residents').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(Number(afterGood.n)).toBe(Number(before.n) + 3);

    // 立即比对 on the first reconciliation rule.
    await page.getByTestId('recon-run-now').first().click();
    await page.getByTestId('run-confirm').click();
    await expect.poll(() => page.getByTestId('run-now').getAttribute('data-status'), { timeout: 60_000 }).toMatch(/succeeded|failed/);
    expect(await page.getByTestId('run-now').getAttribute('data-status')).toBe('succeeded');
    await shot(page, 'alerts-recon-run');

    expect(failed).toEqual([]);
    await ctx.close();
  }, 180_000);

  it('precision of the rules', async () => {
    const failed: string[] = [];
    const ctx = await context('desktop');
    const page = await ctx.newPage();
    page.on('pageerror', (e) => failed.push(e.message));
    // One more finding on site, a false alarm, so that the rules differ in precision.
    const open = await z.handle.db.selectFrom('alert_warnings').select('id').where('status', '=', 'verifying').orderBy('number').execute();
    if (open.length) {
      const admin = await apiAs('admin');
      const r = await admin('POST', `/warnings/${open[0]!.id}/outcome`, { outcome: 'false_alarm', note: '现场核实水表读数正常，属设备抖动' });
      expect(r.status).toBe(200);
    }
    await signIn(page, 'command');
    await page.goto(`${base}/alerts/precision`);
    await page.getByTestId('precision-row').first().waitFor({ timeout: 30_000 });
    await page.getByTestId('precision-chart').waitFor({ timeout: 30_000 });
    await page.waitForLoadState('networkidle');
    await shot(page, 'alerts-precision', true);
    expect(failed).toEqual([]);
    await ctx.close();
  }, 90_000);
});
