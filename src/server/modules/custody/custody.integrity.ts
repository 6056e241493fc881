/**
 * Sealing and verifying the custody history: signed checkpoints of the chain heads, and the
 * full verification behind `zhian custody verify` (every chain, every checkpoint, and the
 * stored projection against the fold of the events).
 */
import canonicalize from 'canonicalize';
import type { Db } from '../../db.js';
import { recordAudit } from '../../platform/audit/audit.js';
import { checkChain, checkpointDigest, checkpointMessage, GENESIS, signCheckpoint, verifyCheckpointSignature, type ChainProblem, type SigningKey } from './custody.chain.js';
import { foldEvents, type ItemState } from './custody.model.js';
import * as repo from './custody.repository.js';

/** Heads sealed per checkpoint at most (a first checkpoint over a million items becomes several). */
const HEADS_PER_CHECKPOINT = 50_000;
const CHECKPOINT_LOCK = 7_310_006;

/**
 * Seals the chain heads that moved since the last checkpoint into signed checkpoints.
 * Returns the checkpoints written (none when nothing moved).
 */
export async function sealCheckpoints(db: Db, key: SigningKey, now = new Date()): Promise<{ no: number; heads: number }[]> {
  const written: { no: number; heads: number }[] = [];
  for (;;) {
    const done = await db.transaction().execute(async (tx) => {
      // One sealer at a time across instances: checkpoint numbers stay gapless.
      await tx.selectNoFrom((eb) => eb.fn('pg_advisory_xact_lock', [eb.val(CHECKPOINT_LOCK)]).as('l')).execute();
      const heads = await repo.unsealedHeads(tx, HEADS_PER_CHECKPOINT);
      if (!heads.length) return true;
      const last = await repo.lastCheckpoint(tx);
      const no = (last?.no ?? 0) + 1;
      const prevDigest = last?.digest ?? GENESIS;
      const digest = checkpointDigest(prevDigest, heads);
      const at = new Date(Math.max(now.getTime(), last ? new Date(last.at).getTime() : 0));
      const signature = signCheckpoint(key, checkpointMessage({ no, at: at.toISOString(), prevDigest, digest, headCount: heads.length }));
      await repo.insertCheckpoint(tx, { no, at, prevDigest, digest, heads, keyId: key.keyId, signature });
      await recordAudit(tx, { actor: null, ip: null, requestId: null }, { action: 'custody.checkpoint_sealed', targetType: 'custody_checkpoint', targetId: String(no), after: { heads: heads.length, digest, keyId: key.keyId } });
      written.push({ no, heads: heads.length });
      return heads.length < HEADS_PER_CHECKPOINT;
    });
    if (done) return written;
  }
}

export interface VerifyProblem extends ChainProblem {
  code: string | null;
}

export interface VerifyReport {
  ok: boolean;
  items: number;
  events: number;
  checkpoints: number;
  lastCheckpointAt: string | null;
  problems: VerifyProblem[];
  ms: number;
}

/**
 * Verifies everything: each item's chain (gapless, linked, hashes recomputed), the stored
 * projection against the fold, each checkpoint (gapless numbers, digest chain, signature with
 * the configured key) and each signed head against the event it names.
 */
export async function verifyCustody(db: Db, key: SigningKey, opts: { batch?: number; onProgress?: (events: number) => void } = {}): Promise<VerifyReport> {
  const t0 = Date.now();
  const batch = opts.batch ?? 5000;
  const problems: ChainProblem[] = [];
  let events = 0;
  let items = 0;
  let current: { itemId: string; events: repo.StoredEvent[] } | null = null;

  const finish = async (group: { itemId: string; events: repo.StoredEvent[] }[]) => {
    if (!group.length) return;
    const rows = new Map((await db.selectFrom('custody_items').select(['id', 'last_seq', 'head_hash', 'status', 'holder_org_id', 'location_id', 'disposition', 'state']).where('id', 'in', group.map((g) => g.itemId)).execute()).map((r) => [r.id, r]));
    for (const g of group) {
      items++;
      const found = checkChain(g.itemId, g.events);
      problems.push(...found);
      const row = rows.get(g.itemId);
      const last = g.events[g.events.length - 1]!;
      if (!row) continue;
      if (row.last_seq !== last.seq || row.head_hash !== last.hash) problems.push({ itemId: g.itemId, seq: last.seq, problem: `the item's head (${row.last_seq}) does not match its last event (${last.seq}): events removed or added` });
      if (found.length) continue;
      let s: ItemState | null = null;
      try {
        s = foldEvents(g.events);
      } catch (e) {
        problems.push({ itemId: g.itemId, seq: null, problem: `the history cannot be replayed: ${(e as Error).message}` });
        continue;
      }
      const stored = row.state as ItemState;
      if (!s || s.status !== row.status || s.holderOrgId !== row.holder_org_id || s.locationId !== row.location_id || (s.disposition ?? null) !== row.disposition || canonicalize(s) !== canonicalize(stored)) {
        problems.push({ itemId: g.itemId, seq: null, problem: 'the stored state differs from the state derived from the events' });
      }
    }
  };

  let after: { itemId: string; seq: number } | null = null;
  for (;;) {
    const page = await repo.eventsAfter(db, after, batch);
    if (!page.length) break;
    const complete: { itemId: string; events: repo.StoredEvent[] }[] = [];
    for (const e of page) {
      if (!current || current.itemId !== e.itemId) {
        if (current) complete.push(current);
        current = { itemId: e.itemId, events: [] };
      }
      current.events.push(e);
    }
    await finish(complete);
    events += page.length;
    opts.onProgress?.(events);
    const last = page[page.length - 1]!;
    after = { itemId: last.itemId, seq: last.seq };
    if (page.length < batch) break;
  }
  if (current) await finish([current]);

  // Items whose every event was removed.
  const empty = await db
    .selectFrom('custody_items as i')
    .select('i.id')
    .where((eb) => eb.not(eb.exists(eb.selectFrom('custody_events as e').select('e.seq').whereRef('e.item_id', '=', 'i.id'))))
    .execute();
  for (const r of empty) problems.push({ itemId: r.id, seq: null, problem: 'the item has no events left: its history was removed' });

  // Checkpoints: numbers gapless, digests chained, signatures valid, signed heads present.
  let checkpoints = 0;
  let prevDigest = GENESIS;
  let expectNo = 1;
  let lastAt: string | null = null;
  for (;;) {
    const page = await repo.checkpointsFrom(db, expectNo, 100);
    const all = page.length ? page : [];
    if (!all.length) break;
    for (const c of all) {
      const at = new Date(c.at).toISOString();
      const where = { itemId: '-', seq: null };
      if (c.no !== expectNo) problems.push({ ...where, problem: `checkpoints ${expectNo}–${c.no - 1} are missing` });
      if (c.prev_digest !== prevDigest) problems.push({ ...where, problem: `checkpoint ${c.no} does not follow checkpoint ${c.no - 1}` });
      const heads = await repo.headsOfCheckpoint(db, c.no);
      if (heads.length !== c.head_count || checkpointDigest(c.prev_digest, heads) !== c.digest) problems.push({ ...where, problem: `checkpoint ${c.no}: its heads do not match its digest` });
      if (c.key_id !== key.keyId) problems.push({ ...where, problem: `checkpoint ${c.no} is signed by an unknown key ${c.key_id}` });
      else if (!verifyCheckpointSignature(key, checkpointMessage({ no: c.no, at, prevDigest: c.prev_digest, digest: c.digest, headCount: c.head_count }), c.signature)) problems.push({ ...where, problem: `checkpoint ${c.no}: the signature is invalid` });
      for (const b of await repo.brokenHeads(db, c.no)) {
        problems.push({ itemId: b.itemId, seq: b.seq, problem: b.stored ? `event ${b.seq} differs from the one sealed in checkpoint ${c.no} (history rewritten)` : `event ${b.seq} sealed in checkpoint ${c.no} is missing (history truncated)` });
      }
      prevDigest = c.digest;
      expectNo = c.no + 1;
      lastAt = at;
      checkpoints++;
    }
    if (all.length < 100) break;
  }

  const codes = new Map<string, string>();
  const ids = [...new Set(problems.map((p) => p.itemId).filter((x) => x !== '-'))];
  for (let i = 0; i < ids.length; i += 1000) {
    const rows = await db.selectFrom('custody_items').select(['id', 'code']).where('id', 'in', ids.slice(i, i + 1000)).execute();
    for (const r of rows) codes.set(r.id, r.code);
  }
  const seen = new Set<string>();
  const unique = problems.filter((p) => {
    const k = `${p.itemId}|${p.seq}|${p.problem}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
  return {
    ok: unique.length === 0,
    items,
    events,
    checkpoints,
    lastCheckpointAt: lastAt,
    problems: unique.map((p) => ({ ...p, code: codes.get(p.itemId) ?? null })),
    ms: Date.now() - t0,
  };
}
