import { z } from 'zod';

/** Request and response schemas of reconciliation (imports, templates, runs). */

export const ZImportKind = z.enum(['residents', 'enterprises', 'access']);

/** Query of a raw-body upload (the multipart form carries these as fields instead). */
export const ZImportQuery = z.object({
  kind: ZImportKind.optional(),
  format: z.enum(['xlsx', 'csv']).optional(),
  fileName: z.string().max(200).optional(),
});

export const ZImportStarted = z.object({ jobId: z.string(), importId: z.string() });

export const ZImport = z.object({
  id: z.string(),
  kind: ZImportKind,
  kindLabel: z.string(),
  fileName: z.string(),
  rows: z.number(),
  jobId: z.string().nullable(),
  status: z.enum(['succeeded']),
  createdBy: z.string().nullable(),
  createdAt: z.string(),
});

export const ZPageQuery = z.object({
  page: z.coerce.number().int().min(1).default(1),
  pageSize: z.coerce.number().int().min(1).max(200).default(20),
});

export const ZTemplateParams = z.object({ kind: z.string().max(40) });

export const ZRunIn = z
  .object({
    /** Reconcile as of this time (default now): the window of access entries ends here. */
    asOf: z.coerce.date().optional(),
  })
  .optional();

export const ZRunStarted = z.object({ runId: z.string(), jobId: z.string() });

export const ZRunQuery = ZPageQuery.extend({ ruleId: z.uuid().optional() });

export const ZRun = z.object({
  id: z.string(),
  ruleId: z.string(),
  ruleName: z.string(),
  kind: z.string(),
  trigger: z.enum(['schedule', 'manual']),
  status: z.enum(['running', 'succeeded', 'failed']),
  asOf: z.string(),
  jobId: z.string().nullable(),
  found: z.number(),
  raised: z.number(),
  ended: z.number(),
  error: z.string().nullable(),
  createdBy: z.string().nullable(),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
});
