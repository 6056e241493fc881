import type { DbOrTx } from '../../db.js';
import type { RequestContext } from '../http/context.js';

/** Typed audit actions: module.verb. */
export type AuditAction =
  | 'auth.login'
  | 'auth.login_failed'
  | 'auth.logout'
  | 'auth.password_changed'
  | 'token.created'
  | 'org.created'
  | 'org.updated'
  | 'user.created'
  | 'user.updated'
  | 'user.password_reset'
  | 'user.contact_read'
  | 'grid.created'
  | 'grid.updated'
  | 'grid.imported'
  | 'address.imported'
  | 'address.created'
  | 'demo.seeded'
  | 'data.imported'
  | 'report.created'
  | 'report.transitioned'
  | 'report.extension_requested'
  | 'report.extension_decided'
  | 'report.rated'
  | 'report.contact_read'
  | 'report.warned'
  | 'report.escalated'
  | 'category.created'
  | 'category.updated'
  | 'routing_rule.created'
  | 'routing_rule.deleted'
  | 'calendar.updated'
  | 'open311_key.created'
  | 'webhook.created'
  | 'webhook.updated'
  | 'device.created'
  | 'device.updated'
  | 'device.secret_rotated'
  | 'water_body.created'
  | 'water_body.updated'
  | 'household.created'
  | 'household.updated'
  | 'household.contact_read'
  | 'alert_rule.created'
  | 'alert_rule.updated'
  | 'alert.raised'
  | 'alert.escalated'
  | 'alert.cleared'
  | 'alert.task_created'
  | 'alert.verified'
  | 'recon.imported'
  | 'recon.run_started'
  | 'recon.run_finished'
  | 'custody_location.created'
  | 'custody_case.created'
  | 'custody_case.concluded'
  | 'custody_item.registered'
  | 'custody_item.event'
  | 'custody_item.owner_read'
  | 'custody.checkpoint_sealed'
  | 'custody.warnings_raised'
  | 'custody.settings_updated'
  | 'custody.labels_printed'
  | 'custody_evidence.downloaded'
  | 'custody_evidence.shared'
  | 'custody_display.created'
  | 'custody_display.revoked'
  | 'custody_display.viewed';

export interface AuditEntry {
  action: AuditAction;
  targetType: string;
  targetId?: string | null;
  before?: unknown;
  after?: unknown;
}

/**
 * Writes one audit row with the caller's transaction, so the row exists exactly when the
 * change it describes does. Never call it outside the transaction of the change.
 */
export async function recordAudit(tx: DbOrTx, ctx: RequestContext, entry: AuditEntry): Promise<void> {
  await recordAudits(tx, ctx, [entry]);
}

/** Several audit rows of one transaction in one statement (a batch of warnings, say). */
export async function recordAudits(tx: DbOrTx, ctx: RequestContext, entries: AuditEntry[]): Promise<void> {
  if (!entries.length) return;
  const actor = ctx.actor && ctx.actor.via !== 'system' ? ctx.actor : null;
  for (let i = 0; i < entries.length; i += 500) {
    await tx
      .insertInto('audit_log')
      .values(
        entries.slice(i, i + 500).map((entry) => ({
          actor_id: actor?.userId ?? null,
          actor_name: ctx.actor ? `${ctx.actor.displayName}(${ctx.actor.username})` : null,
          ip: ctx.ip,
          request_id: ctx.requestId,
          action: entry.action,
          target_type: entry.targetType,
          target_id: entry.targetId ?? null,
          before: entry.before === undefined ? null : JSON.stringify(entry.before),
          after: entry.after === undefined ? null : JSON.stringify(entry.after),
        })),
      )
      .execute();
  }
}
