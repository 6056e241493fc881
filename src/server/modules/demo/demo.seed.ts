import type { Database } from '../../db.js';
import { recordAudit } from '../../platform/audit/audit.js';
import type { DatabaseHandle } from '../../platform/db/database.js';
import { systemContext } from '../../platform/http/context.js';
import { getSetting, hashPassword, insertOrg, insertUser, putSetting } from '../core/index.js';
import { insertAddresses, insertGrid, replaceWorkersOfGrid } from '../geo/index.js';
import { generateDemoDistrict } from './demo.generator.js';

/** The password of every demo user; written in the README. Demo mode only. */
export const DEMO_PASSWORD = 'zhian-demo';
const SEED_MARKER = 'demo.seeded';
/** Advisory-lock key so that two instances starting together seed once ("zhian-sd"). */
const SEED_LOCK_KEY = 0x7a68_7364;

export interface SeedResult {
  orgs: number;
  users: number;
  grids: number;
  addresses: number;
  scale: number;
}

/**
 * Seeds the generated demo district once. Idempotent: a marker in settings records that it
 * ran, and the whole seed is one transaction, so a crash leaves either nothing or all of it.
 */
export async function seedDemo(
  handle: DatabaseHandle<Database>,
  opts: { scale?: number; seed?: number; log?: (msg: string) => void } = {},
): Promise<SeedResult | null> {
  const scale = opts.scale ?? 1;
  return handle.withExclusiveLock(SEED_LOCK_KEY, async () => {
    if (await getSetting(handle.db, SEED_MARKER)) return null;
    opts.log?.(`generating the demo district (scale ${scale})`);
    const district = generateDemoDistrict({ scale, ...(opts.seed !== undefined ? { seed: opts.seed } : {}) });
    const passwordHash = await hashPassword(DEMO_PASSWORD);
    const ctx = systemContext();
    await handle.db.transaction().execute(async (tx) => {
      const paths = new Map<string, string>();
      for (const o of district.orgs) {
        const parentPath = o.parentId ? paths.get(o.parentId) : '/';
        if (parentPath === undefined) throw new Error(`demo org ${o.code} comes before its parent`);
        const row = await insertOrg(tx, { id: o.id, parentId: o.parentId, parentPath, kind: o.kind, deptType: o.deptType, code: o.code, name: o.name });
        paths.set(o.id, row.path);
      }
      opts.log?.(`${district.orgs.length} organisations`);
      for (const g of district.grids) await insertGrid(tx, g);
      opts.log?.(`${district.grids.length} grids`);
      const workers = new Map<string, string[]>();
      for (const u of district.users) {
        await insertUser(tx, {
          id: u.id,
          username: u.username,
          displayName: u.displayName,
          phone: u.phone,
          orgId: u.orgId,
          roles: u.roles,
          scopeOrgId: u.scopeOrgId,
          passwordHash,
        });
        for (const gridId of u.gridIds) workers.set(gridId, [...(workers.get(gridId) ?? []), u.id]);
      }
      for (const [gridId, userIds] of workers) await replaceWorkersOfGrid(tx, gridId, userIds);
      opts.log?.(`${district.users.length} users`);
      await insertAddresses(tx, district.addresses);
      opts.log?.(`${district.addresses.length} addresses`);
      const result = { orgs: district.orgs.length, users: district.users.length, grids: district.grids.length, addresses: district.addresses.length, scale };
      await putSetting(tx, SEED_MARKER, { ...result, at: new Date().toISOString() });
      await recordAudit(tx, ctx, { action: 'demo.seeded', targetType: 'district', after: result });
    });
    return { orgs: district.orgs.length, users: district.users.length, grids: district.grids.length, addresses: district.addresses.length, scale };
  });
}
