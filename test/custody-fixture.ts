/**
 * A test's own property centre: police, procuratorate, court and finance of the test's district,
 * the centre run by its own agency with rooms and bins, and one person per role (officers,
 * clerks, leaders, a finance officer), so separation of duties can be exercised.
 */
import type { Zhian } from '../src/server/main.js';
import { insertOrg } from '../src/server/modules/core/index.js';
import { createTenant, login, PASSWORD, systemContext, type Client, type Tenant } from './helpers.js';

export interface CustodyWorld {
  t: Tenant;
  orgs: { police: string; criminal: string; procuratorate: string; court: string; finance: string; centre: string };
  centreId: string;
  roomId: string;
  bins: string[];
  /** A bin that holds one item only. */
  smallBinId: string;
  users: Record<'officer' | 'officer2' | 'clerk' | 'clerk2' | 'leader' | 'leader2' | 'proc' | 'procLeader' | 'judge' | 'judgeLeader' | 'judgeLeader2' | 'finance', { id: string; username: string }>;
  as(name: keyof CustodyWorld['users']): Promise<Client>;
}

export async function custodyWorld(z: Zhian): Promise<CustodyWorld> {
  const t = await createTenant(z);
  const db = z.handle.db;
  const district = await db.selectFrom('orgs').select(['id', 'path']).where('id', '=', t.districtId).executeTakeFirstOrThrow();
  const o = await db.transaction().execute(async (tx) => {
    const mk = (parent: { id: string; path: string }, kind: 'department' | 'agency', deptType: string | null, code: string, name: string) =>
      insertOrg(tx, { parentId: parent.id, parentPath: parent.path, kind, deptType: deptType as never, code: `T${t.suffix}-${code}`, name: `${name}${t.suffix.slice(0, 3)}` });
    const police = await mk(district, 'department', 'public_security', 'PS', '测试公安局');
    const criminal = await mk(police, 'department', 'public_security', 'PS-XZ', '刑侦大队');
    const procuratorate = await mk(district, 'department', 'procuratorate', 'PR', '测试检察院');
    const court = await mk(district, 'department', 'court', 'CT', '测试法院');
    const finance = await mk(district, 'department', 'finance', 'FN', '测试财政局');
    const centre = await mk(district, 'agency', null, 'CC', '涉案财物管理中心');
    return { police, criminal, procuratorate, court, finance, centre };
  });
  const ctx = systemContext();
  const add = async (name: string, display: string, org: { id: string }, roles: string[]) => {
    const u = await z.services.core.createUser(ctx, { username: `${name}-${t.suffix}`, displayName: display, phone: '13700001111', orgId: org.id, roles: roles as never, password: PASSWORD, scopeOrgId: org.id });
    return { id: u.id, username: u.username };
  };
  const users = {
    officer: await add('officer', '张警官', o.criminal, ['case_officer']),
    officer2: await add('officer2', '李警官', o.criminal, ['case_officer']),
    clerk: await add('clerk', '王保管', o.centre, ['property_clerk']),
    clerk2: await add('clerk2', '赵保管', o.centre, ['property_clerk']),
    leader: await add('leader', '陈所长', o.police, ['custody_leader']),
    leader2: await add('leader2', '周局长', o.police, ['custody_leader']),
    proc: await add('proc', '吴检察官', o.procuratorate, ['case_officer']),
    procLeader: await add('procleader', '郑检察长', o.procuratorate, ['custody_leader']),
    judge: await add('judge', '孙法官', o.court, ['case_officer']),
    judgeLeader: await add('judgeleader', '钱庭长', o.court, ['custody_leader']),
    judgeLeader2: await add('judgeleader2', '冯院长', o.court, ['custody_leader']),
    finance: await add('finance', '何科长', o.finance, ['finance_officer']),
  };
  const clerk = await login(z, users.clerk.username);
  const mkLoc = async (body: Record<string, unknown>) => {
    const r = await clerk.post('/api/v1/custody/locations', body);
    if (r.statusCode !== 201) throw new Error(`location: ${r.statusCode} ${r.body}`);
    return r.json().id as string;
  };
  const centreId = await mkLoc({ kind: 'centre', name: '测试涉案财物管理中心', operatorOrgId: o.centre.id, code: `ZX${t.suffix}`.toUpperCase() });
  const roomId = await mkLoc({ parentId: centreId, kind: 'room', name: '一号库房' });
  const cabinet = await mkLoc({ parentId: roomId, kind: 'cabinet', name: 'A柜' });
  const bins = [await mkLoc({ parentId: cabinet, kind: 'bin', name: '1号格', capacity: 10 }), await mkLoc({ parentId: cabinet, kind: 'bin', name: '2号格', capacity: 10 })];
  const smallBinId = await mkLoc({ parentId: cabinet, kind: 'bin', name: '小格', capacity: 1 });
  const clients = new Map<string, Client>();
  return {
    t,
    orgs: { police: o.police.id, criminal: o.criminal.id, procuratorate: o.procuratorate.id, court: o.court.id, finance: o.finance.id, centre: o.centre.id },
    centreId,
    roomId,
    bins,
    smallBinId,
    users,
    async as(name) {
      if (!clients.has(name)) clients.set(name, await login(z, users[name].username));
      return clients.get(name)!;
    },
  };
}

/** A case of the world's police with the given items (defaults: cash and a phone), registered by the officer. */
export async function caseWithItems(z: Zhian, w: CustodyWorld, items?: Record<string, unknown>[]) {
  const officer = await w.as('officer');
  const opened = new Date(Date.now() - 2 * 3_600_000).toISOString();
  const c = await officer.post('/api/v1/custody/cases', { caseNumber: `海公（刑）立字〔2026〕${Math.floor(Math.random() * 1e6)}号`, title: '张某盗窃案', kind: 'criminal', openedAt: opened, centreId: w.centreId, agencyOrgId: w.orgs.police });
  if (c.statusCode !== 201) throw new Error(`case: ${c.statusCode} ${c.body}`);
  const seized = new Date(Date.now() - 3_600_000).toISOString();
  const r = await officer.post(`/api/v1/custody/cases/${c.json().id}/items`, {
    items: items ?? [
      { type: 'cash', name: '人民币现金', quantity: 12000, unit: '元', valueCents: 1_200_000, ownerKind: 'person', ownerName: '张三丰', ownerPhone: '13912345678', seizureDoc: '海公（刑）扣字〔2026〕88号', seizedAt: seized },
      { type: 'electronic', name: '黑色苹果手机', description: 'iPhone，屏幕碎裂', quantity: 1, unit: '部', valueCents: 300_000, ownerKind: 'person', ownerName: '张三丰', seizureDoc: '海公（刑）扣字〔2026〕88号', seizedAt: seized },
    ],
  });
  if (r.statusCode !== 201) throw new Error(`items: ${r.statusCode} ${r.body}`);
  return { caseId: c.json().id as string, caseCode: c.json().code as string, items: r.json().items as { id: string; code: string; type: string }[] };
}

export const witness = (w: CustodyWorld, who: 'clerk' | 'clerk2' = 'clerk2') => ({ username: w.users[who].username, password: PASSWORD });
