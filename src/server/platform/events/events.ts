import { sql } from 'kysely';
import type { Database, DbOrTx } from '../../db.js';
import type { DatabaseHandle } from '../db/database.js';
import type { Actor } from '../http/context.js';
import { enqueueWebhookDeliveries } from './webhooks.js';

const CHANNEL = 'zhian_events';

/**
 * A live event for consoles. Small on purpose (NOTIFY payloads are limited to 8 kB): it says
 * what changed and who may see it; clients fetch the details through the API.
 */
export interface ZhianEvent {
  type: string;
  subjectType?: string;
  subjectId?: string;
  /** Organisation paths the subject belongs to: actors whose scope covers one may see it. */
  orgPaths?: string[];
  /** Users the event is addressed to (inbox notifications). */
  userIds?: string[];
  data?: Record<string, unknown>;
  at?: string;
}

/**
 * Publishes an event with the caller's transaction: consoles hear of it only if it commits,
 * and outbound webhooks get a delivery (row and timer) in the same transaction, so a
 * rolled-back change sends nothing and a committed one is sent even after a crash.
 */
export async function publishEvent(tx: DbOrTx, event: ZhianEvent): Promise<void> {
  const e = { ...event, at: event.at ?? new Date().toISOString() };
  await sql`select pg_notify(${CHANNEL}, ${JSON.stringify(e)})`.execute(tx);
  await enqueueWebhookDeliveries(tx, e);
}

/** True when the actor may receive the event. */
export function eventVisibleTo(actor: Actor, e: ZhianEvent): boolean {
  if (e.userIds?.includes(actor.userId)) return true;
  if (e.userIds && !e.orgPaths) return false;
  return (e.orgPaths ?? []).some((p) => p.startsWith(actor.scopePath));
}

export interface Notice {
  kind: string;
  title: string;
  body?: string;
  subjectType?: string;
  subjectId?: string;
  link?: string;
}

/** Puts a notice into the inbox of each user, in the caller's transaction, and tells their consoles. */
export async function notifyUsers(tx: DbOrTx, userIds: string[], n: Notice): Promise<void> {
  const ids = [...new Set(userIds)];
  if (!ids.length) return;
  await tx
    .insertInto('notifications')
    .values(ids.map((user_id) => ({ user_id, kind: n.kind, title: n.title, body: n.body ?? '', subject_type: n.subjectType ?? null, subject_id: n.subjectId ?? null, link: n.link ?? null })))
    .execute();
  await publishEvent(tx, { type: 'notification', userIds: ids, subjectType: n.subjectType, subjectId: n.subjectId, data: { kind: n.kind, title: n.title, link: n.link ?? null } });
}

/**
 * Fans the events of every instance out to this instance's subscribers (the SSE streams).
 * On PostgreSQL the events come through LISTEN on one connection per instance.
 */
export function createEventBus(handle: DatabaseHandle<Database>) {
  const subscribers = new Set<(e: ZhianEvent) => void>();
  let unlisten: (() => Promise<void>) | null = null;
  return {
    async start() {
      unlisten = await handle.listen(CHANNEL, (payload) => {
        let e: ZhianEvent;
        try {
          e = JSON.parse(payload) as ZhianEvent;
        } catch {
          return;
        }
        for (const s of subscribers) s(e);
      });
    },
    subscribe(fn: (e: ZhianEvent) => void): () => void {
      subscribers.add(fn);
      return () => subscribers.delete(fn);
    },
    get subscriberCount() {
      return subscribers.size;
    },
    async stop() {
      subscribers.clear();
      await unlisten?.();
      unlisten = null;
    },
  };
}
export type EventBus = ReturnType<typeof createEventBus>;

/** The inbox of a user: reads and marks only that user's own notices. */
export function createInbox(db: DbOrTx) {
  return {
    async list(userId: string, opts: { unreadOnly: boolean; limit: number }) {
      let q = db.selectFrom('notifications').selectAll().where('user_id', '=', userId);
      if (opts.unreadOnly) q = q.where('read_at', 'is', null);
      const [rows, unread] = await Promise.all([
        q.orderBy('created_at', 'desc').limit(opts.limit).execute(),
        db.selectFrom('notifications').select((eb) => eb.fn.countAll<number>().as('n')).where('user_id', '=', userId).where('read_at', 'is', null).executeTakeFirstOrThrow(),
      ]);
      return {
        unread: Number(unread.n),
        items: rows.map((r) => ({
          id: r.id,
          kind: r.kind,
          title: r.title,
          body: r.body,
          subjectType: r.subject_type,
          subjectId: r.subject_id,
          link: r.link,
          readAt: r.read_at ? new Date(r.read_at).toISOString() : null,
          createdAt: new Date(r.created_at).toISOString(),
        })),
      };
    },
    /** False when the notice does not exist or belongs to someone else. */
    async markRead(userId: string, id: string): Promise<boolean> {
      const r = await db.updateTable('notifications').set({ read_at: new Date() }).where('id', '=', id).where('user_id', '=', userId).executeTakeFirst();
      return Number(r.numUpdatedRows) > 0;
    },
    async markAllRead(userId: string): Promise<number> {
      const r = await db.updateTable('notifications').set({ read_at: new Date() }).where('user_id', '=', userId).where('read_at', 'is', null).executeTakeFirst();
      return Number(r.numUpdatedRows);
    },
  };
}
export type Inbox = ReturnType<typeof createInbox>;
