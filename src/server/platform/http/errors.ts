/**
 * Domain errors. Code throws AppError with a code; one table maps codes to HTTP statuses,
 * so no handler ever matches on message text.
 */
export const ERROR_STATUS = {
  validation_failed: 400,
  bad_request: 400,
  unauthenticated: 401,
  csrf_failed: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  too_many_requests: 429,
  internal: 500,
  unavailable: 503,
} as const;
export type ErrorCode = keyof typeof ERROR_STATUS;

export interface FieldProblem {
  field: string;
  message: string;
}

export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'AppError';
  }
  get status(): number {
    return ERROR_STATUS[this.code];
  }
}

/** 404 for a resource that does not exist or that the caller may not see: the same answer. */
export function notFound(what: string): AppError {
  return new AppError('not_found', `${what} not found`);
}

/** 400 naming the offending field(s). */
export function invalid(field: string, message: string): AppError {
  return new AppError('validation_failed', `${field}: ${message}`, [{ field, message }]);
}

export function conflict(message: string, details?: unknown): AppError {
  return new AppError('conflict', message, details);
}
