import type { Db, DbOrTx } from '../../db.js';

export interface JobError {
  row: number;
  field: string;
  message: string;
}

export interface JobView {
  id: string;
  kind: string;
  status: 'running' | 'succeeded' | 'failed';
  progress: number;
  processed: number;
  total: number;
  result: unknown;
  errors: JobError[];
  createdBy: string | null;
}

/**
 * Long jobs (imports) with visible progress. The row is durable; progress inside a running
 * transaction lives in this process's memory, since the database cannot see it until commit.
 */
export function createJobs(db: Db) {
  const live = new Map<string, { processed: number; total: number }>();

  async function create(kind: string, createdBy: string | null, total: number): Promise<string> {
    const r = await db
      .insertInto('jobs')
      .values({ kind, status: 'running', created_by: createdBy, total })
      .returning('id')
      .executeTakeFirstOrThrow();
    live.set(r.id, { processed: 0, total });
    return r.id;
  }

  function progress(id: string, processed: number, total?: number): void {
    const p = live.get(id);
    if (p) {
      p.processed = processed;
      if (total !== undefined) p.total = total;
    }
  }

  async function finish(id: string, outcome: { status: 'succeeded' | 'failed'; processed: number; total: number; result?: unknown; errors?: JobError[] }, tx: DbOrTx = db) {
    await tx
      .updateTable('jobs')
      .set({
        status: outcome.status,
        processed: outcome.processed,
        total: outcome.total,
        result: JSON.stringify(outcome.result ?? null),
        errors: JSON.stringify(outcome.errors ?? []),
        updated_at: new Date(),
      })
      .where('id', '=', id)
      .execute();
    live.delete(id);
  }

  async function get(id: string): Promise<JobView | undefined> {
    const r = await db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst();
    if (!r) return undefined;
    const p = r.status === 'running' ? live.get(id) : undefined;
    const processed = p?.processed ?? r.processed;
    const total = p?.total ?? r.total;
    return {
      id: r.id,
      kind: r.kind,
      status: r.status as JobView['status'],
      processed,
      total,
      progress: r.status === 'running' ? (total > 0 ? Math.min(1, processed / total) : 0) : 1,
      result: r.result,
      errors: (r.errors ?? []) as JobError[],
      createdBy: r.created_by,
    };
  }

  /** Jobs left running by a process that died are failed at start. */
  async function failOrphans(): Promise<void> {
    await db
      .updateTable('jobs')
      .set({ status: 'failed', errors: JSON.stringify([{ row: 0, field: '', message: 'interrupted by a restart' }]), updated_at: new Date() })
      .where('status', '=', 'running')
      .where('updated_at', '<', new Date(Date.now() - 60 * 60_000))
      .execute();
  }

  return { create, progress, finish, get, failOrphans };
}

export type Jobs = ReturnType<typeof createJobs>;
