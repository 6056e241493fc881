import { z } from 'zod';
import { ZPage } from '../../platform/http/schemas.js';
import { ADDRESS_LEVELS } from './geo.types.js';

const ZWorker = z.object({ id: z.string(), displayName: z.string() });
export const ZGrid = z.object({
  id: z.string(),
  code: z.string(),
  name: z.string(),
  communityId: z.string(),
  communityName: z.string(),
  streetId: z.string().nullable(),
  streetName: z.string().nullable(),
  workers: z.array(ZWorker),
});
export const ZGeometry = z.object({ type: z.enum(['Polygon', 'MultiPolygon']), coordinates: z.array(z.any()) });
export const ZGridDetail = ZGrid.extend({ geometry: ZGeometry });
export const ZGridQuery = ZPage.extend({
  q: z.string().max(100).optional(),
  communityId: z.uuid().optional(),
  streetId: z.uuid().optional(),
});
export const ZGridPatch = z
  .object({ name: z.string().trim().min(1).max(100).optional(), workerIds: z.array(z.uuid()).max(50).optional() })
  .strict();
export const ZBboxQuery = z.object({
  bbox: z
    .string()
    .regex(/^-?\d+(\.\d+)?(,-?\d+(\.\d+)?){3}$/, 'minLng,minLat,maxLng,maxLat')
    .transform((s) => s.split(',').map(Number) as [number, number, number, number])
    .optional(),
});
export const ZFeatureCollectionIn = z.object({
  type: z.literal('FeatureCollection'),
  features: z
    .array(
      z.object({
        type: z.literal('Feature'),
        properties: z.record(z.string(), z.unknown()).nullable(),
        geometry: z.unknown(),
      }),
    )
    .max(100_000),
});
export const ZLocateQuery = z.object({
  lng: z.coerce.number().min(-180).max(180),
  lat: z.coerce.number().min(-90).max(90),
});
export const ZLocate = z.object({
  grid: ZGrid,
  community: z.object({ id: z.string(), name: z.string() }),
  street: z.object({ id: z.string(), name: z.string() }).nullable(),
});

export const ZMatchQuery = z.object({
  q: z.string().trim().min(1, 'is required').max(200),
  limit: z.coerce.number().int().min(0).max(20).default(5),
});
const ZMatch = z.object({
  id: z.string(),
  fullText: z.string(),
  level: z.string(),
  lng: z.number(),
  lat: z.number(),
  gridId: z.string().nullable(),
  gridName: z.string().nullable(),
  confidence: z.number(),
});
export const ZMatchResult = z.object({ query: z.string(), normalized: z.string(), best: ZMatch.nullable(), alternatives: z.array(ZMatch) });

export const ZAddress = z.object({
  id: z.string(),
  parentId: z.string().nullable(),
  level: z.string(),
  name: z.string(),
  fullText: z.string(),
  aliases: z.array(z.string()),
  lng: z.number(),
  lat: z.number(),
  gridId: z.string().nullable(),
  gridName: z.string().nullable(),
  childCount: z.number(),
});
export const ZAddressDetail = ZAddress.extend({ ancestors: z.array(z.object({ id: z.string(), level: z.string(), name: z.string() })) });
export const ZAddressQuery = ZPage.extend({
  parentId: z.uuid().optional(),
  q: z.string().max(100).optional(),
  level: z.enum(ADDRESS_LEVELS).optional(),
});
export const ZImportQuery = z.object({ format: z.enum(['xlsx', 'csv']) });
export const ZJob = z.object({
  id: z.string(),
  kind: z.string(),
  status: z.enum(['running', 'succeeded', 'failed']),
  progress: z.number(),
  processed: z.number(),
  total: z.number(),
  result: z.unknown(),
  errors: z.array(z.object({ row: z.number(), field: z.string(), message: z.string() })),
});
