import { sql, type Transaction } from 'kysely';
import type { Database, Db, DbOrTx } from '../../db.js';

export interface TimerRow {
  id: string;
  kind: string;
  subjectId: string;
  dueAt: Date;
  payload: Record<string, unknown>;
  attempts: number;
}

/**
 * Runs inside the transaction that claims the timer: its writes and the "fired" mark commit
 * together. Slow outside work (an HTTP call) must not hold that transaction — on PGlite it
 * would hold the only connection: the handler returns it as a function, run after the commit
 * (it records its own outcome, and the handler should leave a retry timer in case it never
 * finishes).
 */
export type TimerHandler = (tx: Transaction<Database>, timer: TimerRow) => Promise<void | (() => Promise<void>)>;

/** Schedules a timer with the caller's transaction, so it exists exactly when the change that wants it does. */
export async function scheduleTimer(tx: DbOrTx, t: { kind: string; subjectId: string; dueAt: Date; payload?: Record<string, unknown> }): Promise<void> {
  await tx
    .insertInto('timers')
    .values({ kind: t.kind, subject_id: t.subjectId, due_at: t.dueAt, payload: JSON.stringify(t.payload ?? {}) })
    .execute();
}

/** Cancels the pending timers of a subject (all kinds, or those whose kind starts with a prefix). */
export async function cancelTimers(tx: DbOrTx, subjectId: string, kindPrefix?: string): Promise<void> {
  let q = tx.deleteFrom('timers').where('subject_id', '=', subjectId).where('fired_at', 'is', null);
  if (kindPrefix) q = q.where('kind', 'like', `${kindPrefix}%`);
  await q.execute();
}

export async function pendingTimers(db: DbOrTx, subjectId: string) {
  return db.selectFrom('timers').selectAll().where('subject_id', '=', subjectId).where('fired_at', 'is', null).orderBy('due_at').execute();
}

const RETRY_DELAYS_S = [10, 60, 300, 1800];

/**
 * The durable timer runner. Each tick claims due timers one at a time with
 * FOR UPDATE SKIP LOCKED, runs the handler of its kind in the same transaction and marks
 * it fired, so several instances against one PostgreSQL fire each timer exactly once and a
 * crash before commit leaves it to the next tick. A failing handler rolls back its writes;
 * the timer is retried later with a growing delay.
 */
export function createTimerRunner(db: Db, handlers: Record<string, TimerHandler>, opts: { intervalMs?: number; batch?: number; onError?: (e: unknown, t: TimerRow) => void; onFired?: (t: TimerRow) => void } = {}) {
  const intervalMs = opts.intervalMs ?? 1000;
  const batch = opts.batch ?? 100;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<number> | null = null;
  let stopped = false;

  /** Fires one due timer; false when none is due. */
  async function fireOne(now: Date, subjectIds?: string[]): Promise<boolean> {
    let failed: { row: TimerRow; error: unknown } | null = null;
    let fired: TimerRow | null = null;
    let afterCommit: (() => Promise<void>) | null = null;
    const claimed = await db.transaction().execute(async (tx) => {
      const r = await sql<{ id: string; kind: string; subject_id: string; due_at: Date; payload: Record<string, unknown>; attempts: number }>`
        select id, kind, subject_id, due_at, payload, attempts from timers
        where fired_at is null and due_at <= ${now} and kind = any(${Object.keys(handlers)})
        ${subjectIds ? sql`and subject_id = any(${subjectIds}::uuid[])` : sql``}
        order by due_at limit 1 for update skip locked`.execute(tx);
      const t = r.rows[0];
      if (!t) return false;
      const row: TimerRow = { id: t.id, kind: t.kind, subjectId: t.subject_id, dueAt: new Date(t.due_at), payload: t.payload ?? {}, attempts: t.attempts };
      try {
        await sql`savepoint timer_handler`.execute(tx);
        afterCommit = (await handlers[t.kind](tx, row)) || null;
        await sql`release savepoint timer_handler`.execute(tx);
        await tx.updateTable('timers').set({ fired_at: new Date() }).where('id', '=', t.id).execute();
        fired = row;
      } catch (error) {
        // Undo the handler's writes but keep the claim, and push the timer back.
        await sql`rollback to savepoint timer_handler`.execute(tx);
        const delay = RETRY_DELAYS_S[Math.min(t.attempts, RETRY_DELAYS_S.length - 1)];
        await tx
          .updateTable('timers')
          .set({ attempts: t.attempts + 1, last_error: String((error as Error)?.message ?? error).slice(0, 1000), due_at: new Date(now.getTime() + delay * 1000) })
          .where('id', '=', t.id)
          .execute();
        failed = { row, error };
      }
      return true;
    });
    if (failed) opts.onError?.((failed as { error: unknown }).error, (failed as { row: TimerRow }).row);
    if (fired) opts.onFired?.(fired);
    if (afterCommit) {
      try {
        await (afterCommit as () => Promise<void>)();
      } catch (error) {
        opts.onError?.(error, fired!);
      }
    }
    return claimed;
  }

  /**
   * Fires every timer due at `now` (up to the batch size); returns how many were handled.
   * `subjectIds` limits it to the timers of some subjects (a test ticking its own cases in a
   * database other tests share).
   */
  async function tick(now = new Date(), opts: { subjectIds?: string[] } = {}): Promise<number> {
    if (running) return running;
    running = (async () => {
      let n = 0;
      while (n < batch && !stopped && (await fireOne(now, opts.subjectIds))) n++;
      return n;
    })().finally(() => (running = null));
    return running;
  }

  function schedule() {
    if (stopped) return;
    timer = setTimeout(async () => {
      try {
        await tick();
      } catch (e) {
        opts.onError?.(e, { id: '', kind: 'tick', subjectId: '', dueAt: new Date(), payload: {}, attempts: 0 });
      }
      schedule();
    }, intervalMs);
    timer.unref();
  }

  return {
    tick,
    start() {
      stopped = false;
      schedule();
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
export type TimerRunner = ReturnType<typeof createTimerRunner>;
