import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Zhian } from '../../main.js';
import { auditCount, testZhian } from '../../../../test/helpers.js';
import { caseWithItems, custodyWorld, witness, type CustodyWorld } from '../../../../test/custody-fixture.js';

let z: Zhian;
let w: CustodyWorld;
let other: CustodyWorld;

beforeAll(async () => {
  z = await testZhian();
  w = await custodyWorld(z);
  other = await custodyWorld(z);
}, 120_000);
afterAll(async () => {
  await z?.close();
});

const events = async (itemId: string) => Number((await z.handle.db.selectFrom('custody_events').select((eb) => eb.fn.countAll<string>().as('n')).where('item_id', '=', itemId).executeTakeFirstOrThrow()).n);

async function step(who: keyof CustodyWorld['users'], itemId: string, body: Record<string, unknown>) {
  return (await w.as(who)).post(`/api/v1/custody/items/${itemId}/events`, body);
}

describe('custody lifecycle across police, procuratorate, court and finance', () => {
  it('registers, checks in, transfers on line, approves and disposes, with every step on the timeline', async () => {
    const { items, caseCode } = await caseWithItems(z, w);
    const [cash, phone] = items;
    expect(cash.code).toBe(`${caseCode}-001`);

    // Cash needs two people at check-in.
    let r = await step('clerk', cash.id, { type: 'check_in', locationId: w.bins[0] });
    expect(r.statusCode).toBe(409);
    expect(r.json().error.message).toMatch(/two people/);
    r = await step('clerk', cash.id, { type: 'check_in', locationId: w.bins[0], witness: { ...witness(w), password: 'wrong' } });
    expect(r.statusCode).toBe(400);
    expect(r.json().error.details[0].field).toBe('witness.password');
    r = await step('clerk', cash.id, { type: 'check_in', locationId: w.bins[0], witness: witness(w, 'clerk') });
    expect(r.statusCode).toBe(400);
    r = await step('clerk', cash.id, { type: 'check_in', locationId: w.bins[0], witness: witness(w) });
    expect(r.statusCode).toBe(201);
    expect(r.json()).toMatchObject({ status: 'in_store', statusLabel: '在库', location: { id: w.bins[0] } });
    expect(r.json().timeline.at(-1)).toMatchObject({ type: 'check_in', witness: { name: '赵保管' } });
    // An officer cannot check in: that is the clerk's duty.
    expect((await step('officer', phone.id, { type: 'check_in', locationId: w.bins[1] })).statusCode).toBe(404);
    expect((await step('clerk', phone.id, { type: 'check_in', locationId: w.bins[1] })).statusCode).toBe(201);

    // Scanning the label: the item, its case, holder, place and timeline.
    const clerk = await w.as('clerk');
    r = await clerk.get(`/api/v1/custody/scan?code=${encodeURIComponent(`https://zhian.example/c/${phone.code}`)}`);
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({ kind: 'item', item: { code: phone.code, name: '黑色苹果手机', holder: { id: w.orgs.police }, location: { path: '测试涉案财物管理中心 / 一号库房 / A柜 / 2号格' } } });
    expect(r.json().item.chain.intact).toBe(true);
    // Owner masked; the clear read needs personal.read and is audited.
    expect(r.json().item.owner.name).toBe('张**');
    const before = await auditCount(z, phone.id);
    r = await (await w.as('officer')).get(`/api/v1/custody/items/${phone.id}/owner`);
    expect(r.json()).toMatchObject({ name: '张三丰' });
    expect(await auditCount(z, phone.id)).toBe(before + 1);
    expect((await clerk.get(`/api/v1/custody/items/${phone.id}/owner`)).statusCode).toBe(404);

    // Police → procuratorate: the responsibility moves on line, the items stay in the centre.
    for (const it of [cash, phone]) expect((await step('officer', it.id, { type: 'transfer_offer', toOrgId: w.orgs.procuratorate, documentRef: '海公（刑）移诉字〔2026〕12号' })).statusCode).toBe(201);
    r = await (await w.as('proc')).get('/api/v1/custody/inbox');
    expect(r.json().items.map((i: { code: string }) => i.code).sort()).toEqual([cash.code, phone.code].sort());
    // The court cannot accept what was sent to the procuratorate; an outsider does not even see it.
    expect((await step('judge', cash.id, { type: 'transfer_accept' })).statusCode).toBe(404);
    const outsider = await other.as('proc');
    expect((await outsider.post(`/api/v1/custody/items/${cash.id}/events`, { type: 'transfer_accept' })).statusCode).toBe(404);
    for (const it of [cash, phone]) expect((await step('proc', it.id, { type: 'transfer_accept' })).statusCode).toBe(201);
    r = await (await w.as('officer')).get(`/api/v1/custody/items/${cash.id}`);
    expect(r.json()).toMatchObject({ holder: { id: w.orgs.procuratorate }, status: 'in_store', location: { id: w.bins[0] } });
    // The police no longer hold it: they cannot transfer it again.
    r = await step('officer', cash.id, { type: 'transfer_offer', toOrgId: w.orgs.court, documentRef: 'X' });
    expect(r.statusCode).toBe(409);
    expect(r.json().error.message).toMatch(/not held by your agency/);

    // Procuratorate → court.
    for (const it of [cash, phone]) {
      expect((await step('proc', it.id, { type: 'transfer_offer', toOrgId: w.orgs.court, documentRef: '海检诉〔2026〕7号' })).statusCode).toBe(201);
      expect((await step('judge', it.id, { type: 'transfer_accept' })).statusCode).toBe(201);
    }

    // Disposal after judgement: the request names the legal document; two leaders approve.
    expect((await step('judge', cash.id, { type: 'disposal_request', way: 'confiscate' })).statusCode).toBe(400);
    expect((await step('judge', cash.id, { type: 'disposal_request', way: 'confiscate', documentRef: '（2026）浙0481刑初100号判决书' })).statusCode).toBe(201);
    expect((await step('judge', phone.id, { type: 'disposal_request', way: 'return', documentRef: '（2026）浙0481刑初100号判决书' })).statusCode).toBe(201);
    r = await (await w.as('judgeLeader')).get('/api/v1/custody/approvals');
    expect(r.json().items.length).toBe(2);
    // Not yet fully approved: the clerk cannot dispose.
    expect((await step('judgeLeader', cash.id, { type: 'disposal_approve' })).statusCode).toBe(201);
    r = await step('clerk', cash.id, { type: 'dispose', witness: witness(w) });
    expect(r.statusCode).toBe(409);
    expect(r.json().error.message).toMatch(/needs 2 approvals, it has 1/);
    expect((await step('judgeLeader', cash.id, { type: 'disposal_approve' })).json().error.message).toMatch(/already approved/);
    expect((await step('judgeLeader2', cash.id, { type: 'disposal_approve' })).statusCode).toBe(201);
    // Cash is disposed of by two people as well.
    expect((await step('clerk', cash.id, { type: 'dispose' })).statusCode).toBe(409);
    r = await step('clerk', cash.id, { type: 'dispose', witness: witness(w), receiptRef: '缴款书 No.3304001' });
    expect(r.statusCode).toBe(201);
    expect(r.json()).toMatchObject({ status: 'awaiting_treasury', disposition: 'confiscate', holder: { id: w.orgs.finance }, location: null });
    // Only finance confirms receipt into the treasury.
    expect((await step('judge', cash.id, { type: 'treasury_receipt', receiptRef: 'R1' })).statusCode).toBe(404);
    r = await step('finance', cash.id, { type: 'treasury_receipt', receiptRef: '非税收入缴款书 2026-000123', amountCents: 1_200_000 });
    expect(r.statusCode).toBe(201);
    expect(r.json()).toMatchObject({ status: 'disposed', statusLabel: '已处置', dispositionLabel: '没收上缴国库' });

    for (const who of ['judgeLeader', 'judgeLeader2'] as const) expect((await step(who, phone.id, { type: 'disposal_approve' })).statusCode).toBe(201);
    r = await step('clerk', phone.id, { type: 'dispose', recipient: '张三丰', receiptRef: '返还清单 001' });
    expect(r.json()).toMatchObject({ status: 'disposed', disposition: 'return' });

    // The whole history, in order, chained; every agency that held the item still sees it.
    const detail = (await (await w.as('officer')).get(`/api/v1/custody/items/${cash.id}`)).json();
    expect(detail.timeline.map((e: { type: string }) => e.type)).toEqual([
      'register',
      'check_in',
      'transfer_offer',
      'transfer_accept',
      'transfer_offer',
      'transfer_accept',
      'disposal_request',
      'disposal_approve',
      'disposal_approve',
      'dispose',
      'treasury_receipt',
    ]);
    expect(detail.timeline.map((e: { seq: number }) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(detail.chain.intact).toBe(true);
    expect(detail.timeline[2].orgs).toMatchObject({ fromOrgId: expect.stringMatching(/测试公安局/), toOrgId: expect.stringMatching(/测试检察院/) });
    // A typed audit row per step.
    const audits = await z.handle.db.selectFrom('audit_log').select('action').where('target_id', '=', cash.id).execute();
    expect(audits.filter((a) => a.action === 'custody_item.event').length).toBe(10);
    // The ledger of the finance bureau shows the confiscated cash; the ledger exports to xlsx.
    r = await (await w.as('finance')).get('/api/v1/custody/items');
    expect(r.json().items.map((i: { code: string }) => i.code)).toEqual([cash.code]);
    r = await (await w.as('clerk')).get('/api/v1/custody/items/export.xlsx');
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toMatch(/spreadsheetml/);
    // Statistics count what was received and disposed.
    r = await (await w.as('officer')).get('/api/v1/custody/stats');
    expect(r.json().totals.disposed).toBeGreaterThanOrEqual(2);
    expect(r.json().byWay.map((x: { way: string }) => x.way).sort()).toEqual(expect.arrayContaining(['confiscate', 'return']));
    const thisMonth = new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 7);
    expect(r.json().byMonth.find((m: { month: string }) => m.month === thisMonth)).toMatchObject({ received: expect.any(Number), disposed: expect.any(Number) });
    expect(r.json().byMonth.find((m: { month: string }) => m.month === thisMonth).disposed).toBeGreaterThanOrEqual(2);
  }, 120_000);

  it('lends an item only with approval, and takes it back', async () => {
    const { items } = await caseWithItems(z, w);
    const phone = items[1];
    await step('clerk', phone.id, { type: 'check_in', locationId: w.bins[1] });
    const due = new Date(Date.now() + 2 * 86_400_000).toISOString();
    expect((await step('clerk', phone.id, { type: 'check_out' })).statusCode).toBe(409);
    expect((await step('officer', phone.id, { type: 'borrow_request', purpose: '辨认', dueAt: due })).statusCode).toBe(201);
    // The requester cannot approve their own request even with the approving role: SoD by person.
    expect((await step('clerk', phone.id, { type: 'check_out' })).json().error.message).toMatch(/no approved borrow request/);
    expect((await step('leader', phone.id, { type: 'borrow_approve' })).statusCode).toBe(201);
    let r = await step('clerk', phone.id, { type: 'check_out' });
    expect(r.json()).toMatchObject({ status: 'on_loan', loan: { dueAt: due }, location: null });
    // Nothing can be disposed of or transferred while it is on loan — and nothing is written.
    const n = await events(phone.id);
    const a = await auditCount(z, phone.id);
    r = await step('officer', phone.id, { type: 'disposal_request', way: 'destroy', documentRef: 'X' });
    expect(r.statusCode).toBe(409);
    expect(r.json().error.message).toMatch(/on loan/);
    expect((await step('officer', phone.id, { type: 'transfer_offer', toOrgId: w.orgs.procuratorate, documentRef: 'X' })).statusCode).toBe(409);
    expect(await events(phone.id)).toBe(n);
    expect(await auditCount(z, phone.id)).toBe(a);
    r = await step('clerk', phone.id, { type: 'return', locationId: w.bins[0], condition: '完好' });
    expect(r.json()).toMatchObject({ status: 'in_store', loan: null, location: { id: w.bins[0] } });
  });
});

describe('separation of duties', () => {
  it('the officer who seized an item cannot approve its disposal, nor carry it out', async () => {
    // The seizing officer is also a leader here: the role alone does not let them decide.
    await z.handle.db.updateTable('users').set({ roles: ['case_officer', 'custody_leader', 'property_clerk'] }).where('id', '=', w.users.officer2.id).execute();
    const officer2 = await (await import('../../../../test/helpers.js')).login(z, w.users.officer2.username);
    const c = await officer2.post('/api/v1/custody/cases', { caseNumber: `SOD-${Date.now()}`, title: '职责分离测试', kind: 'administrative', openedAt: new Date(Date.now() - 3_600_000).toISOString(), centreId: w.centreId, agencyOrgId: w.orgs.police });
    const item = (await officer2.post(`/api/v1/custody/cases/${c.json().id}/items`, { items: [{ type: 'other', name: '铁锤', quantity: 1, unit: '把', ownerKind: 'unknown', seizureDoc: '扣押清单 9', seizedAt: new Date().toISOString() }] })).json().items[0];
    await step('clerk', item.id, { type: 'check_in', locationId: w.bins[0] });
    expect((await step('officer', item.id, { type: 'disposal_request', way: 'destroy', documentRef: '没收决定书 1' })).statusCode).toBe(201);
    let r = await officer2.post(`/api/v1/custody/items/${item.id}/events`, { type: 'disposal_approve' });
    expect(r.statusCode).toBe(409);
    expect(r.json().error.message).toMatch(/officer who seized the item cannot decide its disposal/);
    // The requester cannot approve either.
    await z.handle.db.updateTable('users').set({ roles: ['case_officer', 'custody_leader'] }).where('id', '=', w.users.officer.id).execute();
    const officer = await (await import('../../../../test/helpers.js')).login(z, w.users.officer.username);
    r = await officer.post(`/api/v1/custody/items/${item.id}/events`, { type: 'disposal_approve' });
    expect(r.json().error.message).toMatch(/requester cannot decide/);
    await z.handle.db.updateTable('users').set({ roles: ['case_officer'] }).where('id', '=', w.users.officer.id).execute();
    expect((await step('leader', item.id, { type: 'disposal_approve' })).statusCode).toBe(201);
    expect((await step('leader2', item.id, { type: 'disposal_approve' })).statusCode).toBe(201);
    // The seizing officer holds the clerk's role too, yet cannot carry the disposal out.
    r = await officer2.post(`/api/v1/custody/items/${item.id}/events`, { type: 'dispose' });
    expect(r.json().error.message).toMatch(/neither seized, requested nor approved/);
    expect((await step('clerk', item.id, { type: 'dispose' })).statusCode).toBe(201);
  });
});

describe('bad input, conflicts and concurrency', () => {
  it('names the field, refuses seizures before the case, and writes nothing', async () => {
    const officer = await w.as('officer');
    const c = await officer.post('/api/v1/custody/cases', { caseNumber: `BAD-${Date.now()}`, title: '坏输入', kind: 'criminal', openedAt: new Date(Date.now() - 3_600_000).toISOString(), centreId: w.centreId, agencyOrgId: w.orgs.police });
    expect(c.statusCode).toBe(201);
    const again = await officer.post('/api/v1/custody/cases', { caseNumber: c.json().caseNumber, title: '重复', kind: 'criminal', openedAt: new Date().toISOString(), centreId: w.centreId, agencyOrgId: w.orgs.police });
    expect(again.statusCode).toBe(409);
    const good = { type: 'other', name: '木棍', quantity: 1, unit: '根', ownerKind: 'unknown', seizureDoc: 'D1', seizedAt: new Date().toISOString() };
    let r = await officer.post(`/api/v1/custody/cases/${c.json().id}/items`, { items: [good, { ...good, seizedAt: new Date(Date.now() - 86_400_000).toISOString() }] });
    expect(r.statusCode).toBe(400);
    expect(r.json().error.details[0].field).toBe('items.1.seizedAt');
    r = await officer.post(`/api/v1/custody/cases/${c.json().id}/items`, { items: [{ ...good, ownerKind: 'person' }] });
    expect(r.json().error.details[0].field).toBe('items.0.ownerName');
    expect((await z.handle.db.selectFrom('custody_items').select('id').where('case_id', '=', c.json().id).execute()).length).toBe(0);
  });

  it('a full bin refuses a check-in with the reason', async () => {
    const { items } = await caseWithItems(z, w);
    expect((await step('clerk', items[1].id, { type: 'check_in', locationId: w.smallBinId })).statusCode).toBe(201);
    const r = await step('clerk', items[0].id, { type: 'check_in', locationId: w.smallBinId, witness: witness(w) });
    expect(r.statusCode).toBe(409);
    expect(r.json().error.message).toMatch(/is full: capacity 1/);
  });

  it('two clerks transferring the same item at once: exactly one succeeds', async () => {
    const { items } = await caseWithItems(z, w);
    const phone = items[1];
    await step('clerk', phone.id, { type: 'check_in', locationId: w.bins[1] });
    const [a, b] = await Promise.all([
      step('officer', phone.id, { type: 'transfer_offer', toOrgId: w.orgs.procuratorate, documentRef: 'A' }),
      step('officer2', phone.id, { type: 'transfer_offer', toOrgId: w.orgs.court, documentRef: 'B' }),
    ]);
    expect([a.statusCode, b.statusCode].sort()).toEqual([201, 409]);
    expect((await z.handle.db.selectFrom('custody_events').select('seq').where('item_id', '=', phone.id).where('type', '=', 'transfer_offer').execute()).length).toBe(1);
  });

  it('batch check-in by scanning several codes is all or nothing', async () => {
    const { items } = await caseWithItems(z, w, [1, 2, 3].map((n) => ({ type: 'document', name: `账本${n}`, quantity: 1, unit: '本', ownerKind: 'unknown', seizureDoc: 'D', seizedAt: new Date().toISOString() })));
    await step('clerk', items[2].id, { type: 'check_in', locationId: w.bins[0] });
    const clerk = await w.as('clerk');
    let r = await clerk.post('/api/v1/custody/batch', { type: 'check_in', locationId: w.bins[1], codes: items.map((i) => i.code) });
    expect(r.statusCode).toBe(409);
    expect(r.json().error.details).toEqual([{ code: items[2].code, reason: expect.stringMatching(/not awaiting check-in/) }]);
    expect(await events(items[0].id)).toBe(1);
    r = await clerk.post('/api/v1/custody/batch', { type: 'check_in', locationId: w.bins[1], codes: items.slice(0, 2).map((i) => i.code) });
    expect(r.statusCode).toBe(201);
    expect(r.json().count).toBe(2);
    r = await clerk.post('/api/v1/custody/batch', { type: 'check_in', locationId: w.bins[1], codes: ['AJ0000000000-001'] });
    expect(r.statusCode).toBe(404);
  });

  it('an agency sees only the cases and items it holds or held', async () => {
    const { caseId, items } = await caseWithItems(z, w);
    const outsider = await other.as('officer');
    expect((await outsider.get(`/api/v1/custody/items/${items[0].id}`)).statusCode).toBe(404);
    expect((await outsider.get(`/api/v1/custody/cases/${caseId}`)).statusCode).toBe(404);
    expect((await outsider.get(`/api/v1/custody/scan?code=${items[0].code}`)).statusCode).toBe(404);
    expect((await outsider.get('/api/v1/custody/items')).json().items.find((i: { id: string }) => i.id === items[0].id)).toBeUndefined();
    // The court of the same district has not held it: it does not see it either.
    expect((await (await w.as('judge')).get(`/api/v1/custody/items/${items[0].id}`)).statusCode).toBe(404);
  });
});

describe('warnings of practice', () => {
  it('late registration, loans overdue, unrelated items not released, undisposed items of concluded cases', async () => {
    const officer = await w.as('officer');
    const opened = new Date(Date.now() - 5 * 86_400_000).toISOString();
    const c = (await officer.post('/api/v1/custody/cases', { caseNumber: `WARN-${Date.now()}`, title: '预警测试', kind: 'criminal', openedAt: opened, centreId: w.centreId, agencyOrgId: w.orgs.police })).json();
    const base = { type: 'other', quantity: 1, unit: '件', ownerKind: 'unknown', seizureDoc: 'D' };
    const [late, lent, unrelated] = (
      await officer.post(`/api/v1/custody/cases/${c.id}/items`, {
        items: [
          { ...base, name: '迟登记物品', seizedAt: new Date(Date.now() - 30 * 3_600_000).toISOString() },
          { ...base, name: '调用物品', seizedAt: new Date().toISOString() },
          { ...base, name: '无关物品', seizedAt: new Date().toISOString() },
        ],
      })
    ).json().items;
    const kinds = async (id: string) => (await z.handle.db.selectFrom('custody_warnings').select(['kind', 'resolved_at']).where('item_id', '=', id).execute()).map((x) => `${x.kind}${x.resolved_at ? ':resolved' : ''}`);
    expect(await kinds(late.id)).toEqual(['late_registration']);
    for (const i of [lent, unrelated]) await step('clerk', i.id, { type: 'check_in', locationId: w.bins[0] });
    await step('officer', lent.id, { type: 'borrow_request', purpose: '鉴定', dueAt: new Date(Date.now() + 3_600_000).toISOString() });
    await step('leader', lent.id, { type: 'borrow_approve' });
    await step('clerk', lent.id, { type: 'check_out' });
    await step('officer', unrelated.id, { type: 'mark_unrelated', reason: '经查与案件无关' });
    // Nothing due yet.
    await z.services.custody.sweep();
    expect(await kinds(lent.id)).toEqual([]);
    // Four days later: the loan is overdue, the unrelated item not released in 3 days.
    await z.services.custody.sweep(new Date(Date.now() + 4 * 86_400_000));
    expect(await kinds(lent.id)).toEqual(['loan_overdue']);
    expect(await kinds(unrelated.id)).toEqual(['unrelated_not_released']);
    // Sweeping again raises nothing twice.
    await z.services.custody.sweep(new Date(Date.now() + 4 * 86_400_000));
    expect((await kinds(lent.id)).length).toBe(1);
    // Returning resolves the loan warning.
    await step('clerk', lent.id, { type: 'return', locationId: w.bins[0] });
    expect(await kinds(lent.id)).toEqual(['loan_overdue:resolved']);
    // A concluded case whose items are not disposed of within the period.
    expect((await officer.post(`/api/v1/custody/cases/${c.id}/conclude`, { conclusion: '判决生效' })).statusCode).toBe(200);
    expect((await officer.post(`/api/v1/custody/cases/${c.id}/conclude`, { conclusion: '再次' })).statusCode).toBe(409);
    await z.services.custody.sweep(new Date(Date.now() + 91 * 86_400_000));
    expect(await kinds(lent.id)).toContain('undisposed');
    const r = await officer.get('/api/v1/custody/warnings?open=true');
    expect(r.json().items.some((x: { item: { id: string }; label: string }) => x.item.id === late.id && x.label === '超时登记')).toBe(true);
  });
});

describe('labels', () => {
  it('prints QR labels of a case as a PDF and audits the printing', async () => {
    const { caseId } = await caseWithItems(z, w);
    const r = await (await w.as('officer')).get(`/api/v1/custody/labels.pdf?caseId=${caseId}&format=a4`);
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toBe('application/pdf');
    expect(r.rawPayload.subarray(0, 5).toString()).toBe('%PDF-');
    const audits = await z.handle.db.selectFrom('audit_log').select('after').where('action', '=', 'custody.labels_printed').where('actor_id', '=', w.users.officer.id).execute();
    expect(audits.length).toBeGreaterThan(0);
  });
});
