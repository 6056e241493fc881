import type { DbOrTx } from '../../db.js';

export interface AuditFilter {
  actor?: string;
  action?: string;
  targetType?: string;
  targetId?: string;
  from?: Date;
  to?: Date;
  /** Limit to actors whose organisation path starts with this prefix; undefined = all. */
  actorOrgPathPrefix?: string;
  /** With actorOrgPathPrefix: also rows without an actor (system, anonymous login failures). */
  includeAnonymous?: boolean;
}

function filtered(db: DbOrTx, f: AuditFilter) {
  let q = db.selectFrom('audit_log as a');
  if (f.actor) q = q.where('a.actor_name', 'ilike', `%${f.actor}%`);
  if (f.action) q = q.where('a.action', 'like', `${f.action}%`);
  if (f.targetType) q = q.where('a.target_type', '=', f.targetType);
  if (f.targetId) q = q.where('a.target_id', '=', f.targetId);
  if (f.from) q = q.where('a.at', '>=', f.from);
  if (f.to) q = q.where('a.at', '<', f.to);
  if (f.actorOrgPathPrefix !== undefined) {
    const prefix = f.actorOrgPathPrefix;
    const anonymous = f.includeAnonymous ?? false;
    q = q.where((eb) => {
      const byActor = eb.exists(
        eb
          .selectFrom('users as u')
          .innerJoin('orgs as o', 'o.id', 'u.org_id')
          .whereRef('u.id', '=', 'a.actor_id')
          .where('o.path', 'like', `${prefix}%`)
          .select('u.id'),
      );
      return anonymous ? eb.or([byActor, eb('a.actor_id', 'is', null)]) : byActor;
    });
  }
  return q;
}

export async function searchAudit(db: DbOrTx, f: AuditFilter, page: { offset: number; limit: number }) {
  const [items, total] = await Promise.all([
    filtered(db, f)
      .select(['a.id', 'a.at', 'a.actor_id', 'a.actor_name', 'a.ip', 'a.request_id', 'a.action', 'a.target_type', 'a.target_id', 'a.before', 'a.after'])
      .orderBy('a.at', 'desc')
      .orderBy('a.id', 'desc')
      .offset(page.offset)
      .limit(page.limit)
      .execute(),
    filtered(db, f)
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow(),
  ]);
  return { items, total: Number(total.n) };
}
