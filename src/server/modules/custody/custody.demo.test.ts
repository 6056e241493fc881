import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../db.js';
import { buildZhian, type Zhian } from '../../main.js';
import { openDatabase } from '../../platform/db/database.js';
import { login, TEST_DATABASE_URL, testConfig, testZhian } from '../../../../test/helpers.js';
import { cleanup, freshDatabase } from '../../../../test/process/support.js';
import { DEMO_DISTRICT_CODE, DEMO_PASSWORD, seedDemo } from '../demo/index.js';
import { seedDemoCustody, type DemoCustodyResult } from './custody.demo.js';
import { verifyCustody } from './custody.integrity.js';

let z: Zhian;
let seeded: DemoCustodyResult | null;

beforeAll(async () => {
  // On PostgreSQL the demo district gets a database of its own: its fixed usernames and
  // markers would otherwise meet those of earlier runs in the shared test database.
  if (TEST_DATABASE_URL) {
    const url = await freshDatabase();
    const handle = await openDatabase<Database>({ databaseUrl: url, poolSize: 5 });
    z = await buildZhian(testConfig({ DATABASE_URL: url }), { logger: false, handle, seed: false, timers: false, mqtt: false });
  } else {
    z = await testZhian();
  }
  await seedDemo(z.handle, { scale: 0.05 });
  seeded = await seedDemoCustody(z.handle.db, z.services, { districtCode: DEMO_DISTRICT_CODE });
  console.info(`seedDemoCustody: ${JSON.stringify(seeded)}`);
}, 300_000);

afterAll(async () => {
  await z?.close();
  if (TEST_DATABASE_URL) await cleanup();
});

const count = async (table: 'custody_cases' | 'custody_items' | 'custody_events' | 'custody_warnings' | 'custody_locations' | 'users') =>
  Number((await z.handle.db.selectFrom(table).select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n);

describe('the custody demo', () => {
  it('seeds cases of the last four months with items in every state', async () => {
    expect(seeded).not.toBeNull();
    const r = seeded!;
    expect(r.cases).toBe(36);
    expect(await count('custody_cases')).toBe(36);
    expect(r.items).toBeGreaterThanOrEqual(100);
    expect(r.items).toBeLessThanOrEqual(160);
    expect(r.events).toBeGreaterThan(r.items * 3);
    expect(r.byStatus.in_store).toBeGreaterThanOrEqual(60);
    expect(r.byStatus.on_loan).toBeGreaterThanOrEqual(2);
    expect(r.byStatus.disposed).toBeGreaterThanOrEqual(10);
    expect(r.byStatus.awaiting_treasury).toBeGreaterThanOrEqual(1);
    expect(r.byStatus.registered).toBeGreaterThanOrEqual(1);
    expect(r.pending.transfer).toBeGreaterThanOrEqual(3);
    expect(r.pending.borrow).toBeGreaterThanOrEqual(2);
    expect(r.pending.disposal).toBeGreaterThanOrEqual(3);
    // The two-person rule costs a password check each: a few dozen at most.
    expect(r.witnessed).toBeGreaterThan(10);
    expect(r.witnessed).toBeLessThan(60);

    const db = z.handle.db;
    const cases = await db.selectFrom('custody_cases').select(['case_number', 'title', 'kind', 'opened_at', 'status']).execute();
    expect(cases.filter((c) => c.kind === 'administrative').length).toBeGreaterThanOrEqual(5);
    expect(cases.filter((c) => c.status === 'concluded').length).toBeGreaterThanOrEqual(3);
    expect(cases.every((c) => /^海公（(刑)）立字〔\d{4}〕\d+号$|^海公（治）行罚决字〔\d{4}〕\d+号$/.test(c.case_number))).toBe(true);
    // Generated parties only: 王某某, 某某公司, or a case named by its date.
    expect(cases.every((c) => /某/.test(c.title) || /^“\d+·\d+”电信网络诈骗案$/.test(c.title))).toBe(true);
    const oldest = Math.min(...cases.map((c) => new Date(c.opened_at).getTime()));
    expect(Date.now() - oldest).toBeGreaterThan(90 * 86_400_000);
    expect(Date.now() - oldest).toBeLessThan(125 * 86_400_000);
    // Histories lie in the past, within the service's 30 days.
    const span = await db.selectFrom('custody_events').select((eb) => [eb.fn.min('at').as('first'), eb.fn.max('at').as('last')]).executeTakeFirstOrThrow();
    expect(Date.now() - new Date(span.first as unknown as string).getTime()).toBeGreaterThan(20 * 86_400_000);
    expect(Date.now() - new Date(span.first as unknown as string).getTime()).toBeLessThan(30 * 86_400_000);
    // Disposed of in every way.
    const ways = await db.selectFrom('custody_items').select('disposition').distinct().where('disposition', 'is not', null).execute();
    expect(ways.map((w) => w.disposition).sort()).toEqual(['auction', 'confiscate', 'destroy', 'return']);
  });

  it('leaves intact hash chains sealed by a signed checkpoint', async () => {
    const report = await verifyCustody(z.handle.db, z.services.signingKey);
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.checkpoints).toBeGreaterThanOrEqual(1);
    expect(report.items).toBe(seeded!.items);
    expect(report.events).toBe(seeded!.events);
  });

  it('raises the deadline warnings the demo is meant to show', async () => {
    const kinds = (await z.handle.db.selectFrom('custody_warnings').select('kind').where('resolved_at', 'is', null).execute()).map((w) => w.kind);
    expect(kinds).toContain('unrelated_not_released');
    expect(kinds).toContain('late_registration');
    expect(kinds).toContain('transfer_unaccepted');
    // Only the two recent cases registered late, not the backlog entered at go-live.
    const late = await z.handle.db.selectFrom('custody_warnings').select('case_id').distinct().where('kind', '=', 'late_registration').execute();
    expect(late).toHaveLength(2);
    expect((await z.services.custody.settings()).registrationHours).toBe(24);
  });

  it('gives the demo accounts their inbox, approvals and warnings', async () => {
    const proc = await login(z, 'custody-proc', DEMO_PASSWORD);
    const inbox = (await proc.get('/api/v1/custody/inbox')).json();
    expect(inbox.total).toBe(seeded!.pending.transfer);
    const leader2 = await login(z, 'custody-leader2', DEMO_PASSWORD);
    const approvals = (await leader2.get('/api/v1/custody/approvals')).json();
    expect(approvals.total).toBeGreaterThanOrEqual(5);
    const officer = await login(z, 'custody-officer', DEMO_PASSWORD);
    const warnings = (await officer.get('/api/v1/custody/warnings?open=true')).json();
    expect(warnings.total).toBeGreaterThanOrEqual(3);
    const judge = await login(z, 'custody-judge', DEMO_PASSWORD);
    expect((await judge.get('/api/v1/custody/items?pageSize=200')).json().total).toBeGreaterThan(5);
    const clerk = await login(z, 'custody-clerk', DEMO_PASSWORD);
    const [centre] = (await clerk.get('/api/v1/custody/centres')).json();
    expect(centre).toMatchObject({ name: '海宁市涉案财物管理中心' });
    const map = (await clerk.get(`/api/v1/custody/centres/${centre.id}/map`)).json();
    expect(map.places.filter((p: { kind: string }) => p.kind === 'room').map((p: { name: string }) => p.name)).toEqual(
      expect.arrayContaining(['一号库房（一般物品）', '二号库房（贵重物品·现金）', '三号库房（电子设备）', '四号库房（毒品·管制器具，双人双锁）', '车辆停放场']),
    );
  });

  it('runs once', async () => {
    const before = await Promise.all([count('custody_cases'), count('custody_items'), count('custody_events'), count('custody_warnings'), count('custody_locations'), count('users')]);
    expect(await seedDemoCustody(z.handle.db, z.services, { districtCode: DEMO_DISTRICT_CODE })).toBeNull();
    expect(await Promise.all([count('custody_cases'), count('custody_items'), count('custody_events'), count('custody_warnings'), count('custody_locations'), count('users')])).toEqual(before);
  });
});
