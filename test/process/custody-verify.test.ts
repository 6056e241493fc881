/**
 * Tamper evidence of the custody history, checked the way an auditor would: `zhian custody
 * verify` as a process, after editing, deleting and reordering event rows with plain SQL,
 * truncating a chain, rewriting one wholesale with valid hashes, and forging a checkpoint.
 * Exit 0 when intact; otherwise 1, naming each broken item and sequence number.
 *
 * The database is the test's own (a PGlite directory, or a fresh PostgreSQL database): a
 * tampered history must not break other tests' verification.
 */
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/server/config.js';
import { buildZhian, type Zhian } from '../../src/server/main.js';
import { eventHash, GENESIS } from '../../src/server/modules/custody/custody.chain.js';
import { sealCheckpoints, verifyCustody } from '../../src/server/modules/custody/index.js';
import { eventsOfItem } from '../../src/server/modules/custody/custody.repository.js';
import { caseWithItems, custodyWorld, witness } from '../custody-fixture.js';
import { TEST_SIGNING_KEY } from '../helpers.js';
import { cleanup, cli, freshDatabase, PG_URL, tempDir } from './support.js';

afterAll(cleanup, 60_000);

describe('zhian custody verify', () => {
  it('passes an intact history and names every broken item and event after tampering', async () => {
    const target: Record<string, string> = PG_URL ? { DATABASE_URL: await freshDatabase() } : { ZHIAN_DATA_DIR: tempDir('zhian-custody-') };
    const vars = { ...target, CUSTODY_SIGNING_KEY: TEST_SIGNING_KEY, ZHIAN_DEMO: 'false', EVIDENCE_DIR: tempDir('zhian-evidence-') };
    const open = () => buildZhian(loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', MQTT_PORT: '0', ...vars }), { logger: false, seed: false, timers: false, mqtt: false });

    // A history: six items, each checked in and moved (three or more events each), sealed.
    let z: Zhian = await open();
    const w = await custodyWorld(z);
    const items = (
      await caseWithItems(
        z,
        w,
        ['编辑', '删除', '乱序', '截断', '重写', '未改'].map((n) => ({ type: 'document', name: `账本-${n}`, quantity: 1, unit: '本', ownerKind: 'unknown', seizureDoc: 'D', seizedAt: new Date().toISOString() })),
      )
    ).items;
    const clerk = await w.as('clerk');
    for (const i of items) {
      expect((await clerk.post(`/api/v1/custody/items/${i.id}/events`, { type: 'check_in', locationId: w.bins[0] })).statusCode).toBe(201);
      expect((await clerk.post(`/api/v1/custody/items/${i.id}/events`, { type: 'move', toLocationId: w.bins[1] })).statusCode).toBe(201);
      expect((await clerk.post(`/api/v1/custody/items/${i.id}/events`, { type: 'seal', sealNo: `F-${i.code}`, witness: witness(w) })).statusCode).toBe(201);
    }
    const sealed = await sealCheckpoints(z.handle.db, z.services.signingKey);
    expect(sealed).toEqual([{ no: 1, heads: items.length }]);
    // Nothing moved: nothing to seal.
    expect(await sealCheckpoints(z.handle.db, z.services.signingKey)).toEqual([]);
    expect((await verifyCustody(z.handle.db, z.services.signingKey)).ok).toBe(true);
    await z.close();

    let r = await cli(['custody', 'verify'], vars);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^intact: 6 items, 24 events, 1 checkpoints/m);

    // Tamper with plain SQL.
    z = await open();
    const db = z.handle.db;
    const [edited, deleted, reordered, truncated, rewritten] = items;
    // 1. Edit: a move now points elsewhere.
    await sql`update custody_events set data = jsonb_set(data, '{toLocationId}', to_jsonb(${w.bins[0]}::text)) where item_id = ${edited!.id} and seq = 3`.execute(db);
    // 2. Delete an event in the middle.
    await sql`delete from custody_events where item_id = ${deleted!.id} and seq = 2`.execute(db);
    // 3. Reorder: swap two events' sequence numbers.
    await sql`update custody_events set seq = 1000 where item_id = ${reordered!.id} and seq = 2`.execute(db);
    await sql`update custody_events set seq = 2 where item_id = ${reordered!.id} and seq = 3`.execute(db);
    await sql`update custody_events set seq = 3 where item_id = ${reordered!.id} and seq = 1000`.execute(db);
    // 4. Truncate the tail and make the item's head consistent again: only the checkpoint knows.
    await sql`delete from custody_events where item_id = ${truncated!.id} and seq = 4`.execute(db);
    await sql`update custody_items set last_seq = 3, head_hash = (select hash from custody_events where item_id = ${truncated!.id} and seq = 3) where id = ${truncated!.id}`.execute(db);
    // 5. Rewrite a whole chain with valid hashes (the seizure document changed).
    const chain = await eventsOfItem(db, rewritten!.id);
    let prev = GENESIS;
    for (const e of chain) {
      const data = e.seq === 1 ? { ...e.data, seizureDoc: '伪造文书' } : e.data;
      const hash = eventHash(prev, { ...e, data });
      await sql`update custody_events set data = ${JSON.stringify(data)}::jsonb, prev_hash = ${prev}, hash = ${hash} where item_id = ${e.itemId} and seq = ${e.seq}`.execute(db);
      prev = hash;
    }
    await sql`update custody_items set head_hash = ${prev} where id = ${rewritten!.id}`.execute(db);
    const report = await verifyCustody(db, z.services.signingKey);
    expect(report.ok).toBe(false);
    const about = (i: { id: string }) => report.problems.filter((p) => p.itemId === i.id).map((p) => `${p.seq}: ${p.problem}`);
    // The stored hash still links the next event: only the edited one is named.
    expect(about(edited!)).toEqual(['3: hash does not match the event (edited)']);
    expect(about(deleted!).join('\n')).toMatch(/^3: events 2–2 are missing/m);
    expect(about(reordered!).join('\n')).toMatch(/prev_hash does not match|hash does not match/);
    // The stored state still says "sealed": the fold of what is left disagrees, and the checkpoint names the event.
    expect(about(truncated!)).toEqual(['null: the stored state differs from the state derived from the events', '4: event 4 sealed in checkpoint 1 is missing (history truncated)']);
    expect(about(rewritten!)).toEqual(['4: event 4 differs from the one sealed in checkpoint 1 (history rewritten)']);
    expect(about(items[5]!)).toEqual([]);
    // 6. Forge the checkpoint to match the rewrite: the signature gives it away.
    await sql`update custody_checkpoint_heads set hash = ${prev} where item_id = ${rewritten!.id}`.execute(db);
    const forged = await verifyCustody(db, z.services.signingKey);
    expect(forged.problems.map((p) => p.problem)).toContain('checkpoint 1: its heads do not match its digest');
    await z.close();

    r = await cli(['custody', 'verify'], vars);
    expect(r.code).toBe(1);
    for (const i of [edited, deleted, reordered, truncated]) expect(r.stdout).toContain(`BROKEN item ${i!.code} seq`);
    expect(r.stdout).toContain(`BROKEN item ${edited!.code} seq 3: hash does not match the event (edited)`);
    expect(r.stdout).toMatch(/checkpoint 1: its heads do not match its digest/);
    expect(r.stdout).toMatch(/^TAMPERED: /m);
    expect(r.stdout).not.toContain(items[5]!.code);
  }, 240_000);
});
