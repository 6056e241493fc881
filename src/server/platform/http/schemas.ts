import { z } from 'zod';

/** Shared request/response pieces. */
export const ZId = z.uuid();
export const ZIdParams = z.object({ id: z.uuid() });
export const ZPage = z.object({
  page: z.coerce.number().int().min(1).default(1),
  pageSize: z.coerce.number().int().min(1).max(500).default(20),
});
export const ZErrorBody = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional(), requestId: z.string() }),
});
/** Standard error responses, for OpenAPI. */
export const errorResponses = { 400: ZErrorBody, 401: ZErrorBody, 404: ZErrorBody, 409: ZErrorBody };
