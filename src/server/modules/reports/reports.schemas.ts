import { z } from 'zod';
import { DEPT_TYPES } from '../core/core.types.js';
import { PRIORITIES, STAGES } from './reports.categories.js';
import { CHANNELS } from './reports.service.js';
import { ACTIONS, STATUSES } from './reports.workflow.js';

const ZStage = z.enum(STAGES);
const ZStatus = z.enum(STATUSES);
const ZPriority = z.enum(PRIORITIES);
const ZRating = z.enum(['satisfied', 'basically_satisfied', 'dissatisfied']);
const csv = <T extends z.ZodTypeAny>(item: T) =>
  z.preprocess((v) => (typeof v === 'string' ? v.split(',').filter(Boolean) : v), z.array(item)).optional();
const boolQuery = z.enum(['true', 'false']).transform((v) => v === 'true').optional();

export const ZReportIn = z.object({
  description: z.string().max(2000),
  categoryCode: z.string().max(20).nullish(),
  lng: z.number().nullish(),
  lat: z.number().nullish(),
  address: z.string().max(200).nullish(),
  reporterName: z.string().max(50).nullish(),
  reporterPhone: z.string().max(20).nullish(),
  photoIds: z.array(z.string()).max(9).optional(),
  channel: z.enum(['hotline', 'patrol', 'api']).default('api'),
  externalRef: z.string().max(200).nullish(),
  priority: ZPriority.nullish(),
});

export const ZPublicReportIn = z.object({
  description: z.string().max(2000),
  categoryCode: z.string().max(20).nullish(),
  lng: z.number().nullish(),
  lat: z.number().nullish(),
  address: z.string().max(200).nullish(),
  name: z.string().max(50).nullish(),
  phone: z.string().max(20),
  photoIds: z.array(z.string()).max(9).optional(),
});

const ZRoutingStep = z.object({ kind: z.string(), text: z.string(), ruleId: z.string().optional() });
const ZDuplicate = z.object({ id: z.string(), number: z.string(), status: ZStatus, description: z.string(), distance: z.number(), createdAt: z.string() });

export const ZCreated = z.object({
  id: z.string(),
  number: z.string(),
  trackingCode: z.string(),
  status: ZStatus,
  categoryCode: z.string().nullable(),
  suggestion: z.object({ category: z.string(), confidence: z.number() }).nullable(),
  routing: z.array(ZRoutingStep),
  duplicates: z.array(ZDuplicate),
});

export const ZPublicCreated = z.object({ trackingCode: z.string(), number: z.string(), statusUrl: z.string() });

export const ZReportSummary = z.object({
  id: z.string(),
  number: z.string(),
  channel: z.enum(CHANNELS),
  status: ZStatus,
  statusLabel: z.string(),
  description: z.string(),
  categoryCode: z.string().nullable(),
  categoryName: z.string().nullable(),
  priority: ZPriority,
  lng: z.number().nullable(),
  lat: z.number().nullable(),
  address: z.string().nullable(),
  gridId: z.string().nullable(),
  gridName: z.string().nullable(),
  communityName: z.string().nullable(),
  streetName: z.string().nullable(),
  deptOrgId: z.string().nullable(),
  deptName: z.string().nullable(),
  assigneeId: z.string().nullable(),
  assigneeName: z.string().nullable(),
  reporterName: z.string().nullable(),
  reporterPhone: z.string().nullable(),
  stage: ZStage.nullable(),
  stageDeadline: z.string().nullable(),
  expectedAt: z.string().nullable(),
  warned: z.boolean(),
  overdue: z.boolean(),
  supervised: z.boolean(),
  suggestedCategory: z.string().nullable(),
  suggestedConfidence: z.number().nullable(),
  rating: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  closedAt: z.string().nullable(),
});

export const ZReportDetail = ZReportSummary.extend({
  trackingCode: z.string(),
  resultNote: z.string().nullable(),
  ratingComment: z.string().nullable(),
  mergedInto: z.string().nullable(),
  reopenCount: z.number(),
  routing: z.array(ZRoutingStep),
  timeMode: z.enum(['working', 'natural']),
  actions: z.array(z.enum(ACTIONS)),
  canRequestExtension: z.boolean(),
  events: z.array(z.object({ id: z.number(), action: z.string(), from: z.string().nullable(), to: z.string().nullable(), actorName: z.string().nullable(), note: z.string().nullable(), data: z.unknown(), at: z.string() })),
  stages: z.array(
    z.object({
      id: z.string(),
      stage: ZStage,
      startedAt: z.string(),
      deadline: z.string().nullable(),
      finishedAt: z.string().nullable(),
      onTime: z.boolean().nullable(),
      extendedMinutes: z.number(),
      suspendedMinutes: z.number(),
    }),
  ),
  photos: z.array(z.object({ id: z.string(), kind: z.enum(['report', 'result']), url: z.string() })),
  extensions: z.array(
    z.object({
      id: z.string(),
      stage: ZStage,
      minutes: z.number(),
      reason: z.string(),
      status: z.enum(['pending', 'approved', 'rejected']),
      requestedBy: z.string().nullable(),
      decidedBy: z.string().nullable(),
      decisionNote: z.string().nullable(),
      createdAt: z.string(),
      decidedAt: z.string().nullable(),
    }),
  ),
  supervisions: z.array(z.object({ id: z.string(), kind: z.enum(['manual', 'overdue']), stage: z.string().nullable(), note: z.string(), createdBy: z.string().nullable(), createdAt: z.string() })),
});

export const ZReportQuery = z.object({
  page: z.coerce.number().int().min(1).default(1),
  pageSize: z.coerce.number().int().min(1).max(200).default(20),
  status: csv(ZStatus),
  categoryCode: z.string().max(20).optional(),
  deptOrgId: z.uuid().optional(),
  gridId: z.uuid().optional(),
  streetOrgId: z.uuid().optional(),
  channel: z.enum(CHANNELS).optional(),
  q: z.string().max(100).optional(),
  triage: boolQuery,
  overdue: boolQuery,
  atRisk: boolQuery,
  supervised: boolQuery,
  mine: boolQuery,
  from: z.coerce.date().optional(),
  to: z.coerce.date().optional(),
  order: z.enum(['created', 'deadline']).default('created'),
});

export const ZActionParams = z.object({ id: z.uuid(), action: z.enum(ACTIONS) });
export const ZActionIn = z.object({
  reason: z.string().max(500).nullish(),
  note: z.string().max(2000).nullish(),
  deptOrgId: z.uuid().nullish(),
  assigneeId: z.uuid().nullish(),
  photoIds: z.array(z.string()).max(9).optional(),
  targetId: z.uuid().nullish(),
});
export const ZActionOut = z.object({ from: ZStatus, to: ZStatus, report: ZReportDetail.nullable() });

export const ZTriageIn = z.object({ categoryCode: z.string().max(20), priority: ZPriority.optional() });
export const ZExtensionIn = z.object({ minutes: z.number().int(), reason: z.string().max(500) });
export const ZExtensionDecisionIn = z.object({ approve: z.boolean(), note: z.string().max(500).nullish() });
export const ZClassifyIn = z.object({ text: z.string().max(2000) });
export const ZClassification = z.object({
  categoryCode: z.string(),
  categoryName: z.string(),
  departmentType: z.string().nullable(),
  confidence: z.number(),
  belowThreshold: z.boolean(),
  alternatives: z.array(z.object({ categoryCode: z.string(), categoryName: z.string(), departmentType: z.string().nullable(), confidence: z.number() })),
});
export const ZDuplicatesQuery = z.object({ categoryCode: z.string().max(20), lng: z.coerce.number(), lat: z.coerce.number(), excludeId: z.uuid().optional() });
export const ZDuplicates = z.array(ZDuplicate);

export const ZPublicStatus = z.object({
  trackingCode: z.string(),
  number: z.string(),
  status: ZStatus,
  statusLabel: z.string(),
  categoryName: z.string().nullable(),
  area: z.string(),
  deptName: z.string().nullable(),
  createdAt: z.string(),
  expectedAt: z.string().nullable(),
  closedAt: z.string().nullable(),
  resultNote: z.string().nullable(),
  rating: z.string().nullable(),
  canRate: z.boolean(),
  timeline: z.array(z.object({ action: z.string(), label: z.string(), at: z.string() })),
  photos: z.array(z.object({ id: z.string(), kind: z.enum(['report', 'result']), url: z.string() })),
});
export const ZTrackingParams = z.object({ code: z.string().min(4).max(20) });
export const ZRateIn = z.object({ rating: ZRating, comment: z.string().max(500).nullish() });

export const ZCategory = z.object({
  code: z.string(),
  parentCode: z.string().nullable(),
  name: z.string(),
  deptType: z.string().nullable(),
  priority: ZPriority,
  timeMode: z.enum(['working', 'natural']),
  limits: z.record(z.string(), z.number()).nullable(),
  active: z.boolean(),
});
const ZLimits = z.object(Object.fromEntries(STAGES.map((s) => [s, z.number().int().min(1).max(60 * 24 * 60)])) as Record<(typeof STAGES)[number], z.ZodNumber>);
export const ZCategoryIn = z.object({
  code: z.string().regex(/^\d{2,8}$/, 'two to eight digits'),
  parentCode: z.string().nullable(),
  name: z.string().min(1).max(40),
  deptType: z.enum(DEPT_TYPES).nullable(),
  priority: ZPriority.default('normal'),
  timeMode: z.enum(['working', 'natural']).default('working'),
  limits: ZLimits.nullable(),
});
export const ZCategoryPatch = ZCategoryIn.omit({ code: true, parentCode: true }).partial().extend({ active: z.boolean().optional() });
export const ZCodeParams = z.object({ code: z.string().max(20) });

export const ZRoutingRule = z.object({
  id: z.string(),
  categoryCode: z.string().nullable(),
  deptType: z.string().nullable(),
  areaOrgId: z.string().nullable(),
  areaName: z.string().nullable(),
  targetOrgId: z.string(),
  targetName: z.string(),
  note: z.string(),
});
export const ZRoutingRuleIn = z.object({
  categoryCode: z.string().max(20).nullish(),
  deptType: z.enum(DEPT_TYPES).nullish(),
  areaOrgId: z.uuid().nullish(),
  targetOrgId: z.uuid(),
  note: z.string().max(200).default(''),
});

export const ZCalendarYear = z.object({ year: z.number().int(), holidays: z.array(z.string()), workdays: z.array(z.string()) });
export const ZYearParams = z.object({ year: z.coerce.number().int().min(2000).max(2100) });

export const ZPendingExtension = z.object({ id: z.string(), reportId: z.string(), number: z.string(), stage: ZStage, minutes: z.number(), reason: z.string(), requestedBy: z.string().nullable(), createdAt: z.string() });

const ZStatsRow = z.object({
  key: z.string().nullable(),
  name: z.string(),
  total: z.number(),
  open: z.number(),
  closed: z.number(),
  voided: z.number(),
  overdue: z.number(),
  resolutionRate: z.number().nullable(),
  onTimeRate: z.number().nullable(),
  avgCloseMinutes: z.number().nullable(),
  satisfied: z.number(),
  basicallySatisfied: z.number(),
  dissatisfied: z.number(),
  satisfactionRate: z.number().nullable(),
});
export const ZStats = z.object({
  from: z.string(),
  to: z.string(),
  groupBy: z.string(),
  totals: ZStatsRow,
  rows: z.array(ZStatsRow),
  stages: z.array(z.object({ stage: ZStage, label: z.string(), n: z.number(), avgMinutes: z.number().nullable(), onTimeRate: z.number().nullable() })),
});
