import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { AppError, describeError, isAppError, type ErrorCode } from '../errors.js';
import { toUnavailableError } from '../outages.js';

/** HTTP status of each service error code on the admin API. */
export const HTTP_STATUS_OF: Record<ErrorCode, number> = {
  VALIDATION_FAILED: 400,
  MALFORMED_REQUEST: 400,
  UNAUTHORIZED: 401,
  TOKEN_EXPIRED: 401,
  INVALID_CREDENTIALS: 401,
  FORBIDDEN: 403,
  CAPABILITY_NOT_ALLOWED: 403,
  NOT_FOUND: 404,
  ACCOUNT_NOT_FOUND: 404,
  USER_NOT_FOUND: 404,
  EMAIL_TAKEN: 409,
  ACCOUNT_TYPE_LOCKED: 409,
  LAST_OWNER: 409,
  QUOTA_EXHAUSTED: 409,
  NOT_FOLLOWING: 409,
  REPLY_WINDOW_CLOSED: 409,
  CUSTOM_MESSAGE_QUOTA_EXCEEDED: 409,
  TYPING_NOT_ALLOWED: 409,
  BLACKLISTED: 403,
  FOLLOWER_NOT_FOUND: 404,
  INVALID_OPENIDS: 400,
  TAG_NOT_FOUND: 404,
  TAG_NAME_TAKEN: 409,
  TAG_LIMIT_REACHED: 409,
  FOLLOWER_TAG_LIMIT_REACHED: 409,
  TAG_TOO_LARGE_TO_DELETE: 409,
  ARTICLE_NOT_FOUND: 404,
  BROADCAST_NOT_FOUND: 404,
  BROADCAST_NOT_DELETABLE: 409,
  INVALID_ARTICLE_INDEX: 400,
  PREVIEW_LIMIT_REACHED: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  WEBHOOK_NOT_CONFIGURED: 404,
  QRCODE_NOT_FOUND: 404,
  QRCODE_EXPIRED: 410,
  QRCODE_LIMIT_REACHED: 409,
  TEMPLATE_NOT_FOUND: 404,
  TEMPLATE_LIMIT_REACHED: 409,
  TEMPLATE_INDUSTRY_CONFLICT: 409,
  DEFAULT_MENU_MISSING: 409,
  CONDITIONAL_MENU_LIMIT_REACHED: 409,
  WEBHOOK_VERIFICATION_FAILED: 422,
  TOO_MANY_LOGIN_ATTEMPTS: 429,
  RATE_LIMITED: 429,
  DATABASE_UNAVAILABLE: 503,
  QUEUE_UNAVAILABLE: 503,
  INTERNAL: 500,
};

const TITLE_OF: Record<ErrorCode, string> = {
  VALIDATION_FAILED: 'The request is not valid',
  MALFORMED_REQUEST: 'The request could not be parsed',
  UNAUTHORIZED: 'Authentication is required',
  TOKEN_EXPIRED: 'The token has expired',
  INVALID_CREDENTIALS: 'Invalid credentials',
  FORBIDDEN: 'Not allowed',
  CAPABILITY_NOT_ALLOWED: 'The account type or verification does not allow this',
  NOT_FOUND: 'Not found',
  ACCOUNT_NOT_FOUND: 'Account not found',
  USER_NOT_FOUND: 'User not found',
  EMAIL_TAKEN: 'Email already registered',
  ACCOUNT_TYPE_LOCKED: 'The account type is already chosen',
  LAST_OWNER: 'The last owner cannot leave',
  QUOTA_EXHAUSTED: 'The posting quota is used up',
  NOT_FOLLOWING: 'Not a follower',
  REPLY_WINDOW_CLOSED: 'The 48-hour window to message this follower is closed',
  CUSTOM_MESSAGE_QUOTA_EXCEEDED: "The follower's actions allow no more customer-service messages",
  TYPING_NOT_ALLOWED: 'The typing state cannot be shown now',
  BLACKLISTED: 'Blacklisted by the account',
  FOLLOWER_NOT_FOUND: 'Follower not found',
  INVALID_OPENIDS: 'Some openids are not followers of this account',
  TAG_NOT_FOUND: 'Tag not found',
  TAG_NAME_TAKEN: 'Tag name already used',
  TAG_LIMIT_REACHED: 'Too many tags',
  FOLLOWER_TAG_LIMIT_REACHED: 'Too many tags on a follower',
  TAG_TOO_LARGE_TO_DELETE: 'Tag has too many followers to delete',
  ARTICLE_NOT_FOUND: 'Article not found',
  BROADCAST_NOT_FOUND: 'Broadcast not found',
  BROADCAST_NOT_DELETABLE: 'Broadcast cannot be deleted',
  INVALID_ARTICLE_INDEX: 'No such article in the broadcast',
  PREVIEW_LIMIT_REACHED: 'Daily preview limit reached',
  PAYLOAD_TOO_LARGE: 'The request body is too large',
  UNSUPPORTED_MEDIA_TYPE: 'Unsupported content type',
  WEBHOOK_NOT_CONFIGURED: 'No server is configured',
  QRCODE_NOT_FOUND: 'QR code not found',
  QRCODE_EXPIRED: 'The QR code has expired',
  QRCODE_LIMIT_REACHED: 'Too many permanent QR codes',
  TEMPLATE_NOT_FOUND: 'Template not found',
  TEMPLATE_LIMIT_REACHED: 'Too many templates',
  TEMPLATE_INDUSTRY_CONFLICT: "The template is not of the account's industries",
  DEFAULT_MENU_MISSING: 'The account has no default menu',
  CONDITIONAL_MENU_LIMIT_REACHED: 'Too many conditional menus',
  WEBHOOK_VERIFICATION_FAILED: 'The server did not pass URL verification',
  TOO_MANY_LOGIN_ATTEMPTS: 'Too many login attempts',
  RATE_LIMITED: 'Too many requests',
  DATABASE_UNAVAILABLE: 'The database is unavailable',
  QUEUE_UNAVAILABLE: 'The queue is unavailable',
  INTERNAL: 'Internal error',
};

export interface Problem {
  type: string;
  title: string;
  status: number;
  code: ErrorCode;
  detail: string;
  instance: string;
  [extra: string]: unknown;
}

export function sendProblem(reply: FastifyReply, request: FastifyRequest, error: AppError): FastifyReply {
  const status = HTTP_STATUS_OF[error.code];
  const problem: Problem = {
    ...error.details,
    type: `urn:oa-platform:problem:${error.code.toLowerCase().replace(/_/g, '-')}`,
    title: TITLE_OF[error.code],
    status,
    code: error.code,
    detail: error.message,
    instance: request.url.split('?')[0] ?? request.url,
  };
  if (typeof error.details.retryAfterSeconds === 'number') reply.header('retry-after', String(error.details.retryAfterSeconds));
  return reply.code(status).type('application/problem+json; charset=utf-8').send(problem);
}

/** Translates Fastify's own errors (validation, body parsing, limits) into service error codes. */
export function toAppError(error: FastifyError): AppError {
  if (isAppError(error)) return error;
  const unavailable = toUnavailableError(error);
  if (unavailable) return unavailable;
  if (error.validation) {
    const errors = error.validation.map((issue) => ({
      in: error.validationContext ?? 'request',
      path: issue.instancePath || '/',
      message: issue.message ?? 'is invalid',
      ...(issue.keyword === 'additionalProperties'
        ? { field: (issue.params as { additionalProperty?: string }).additionalProperty }
        : {}),
    }));
    const first = errors[0];
    const where = first ? `${first.in}${first.path === '/' ? '' : first.path}` : 'request';
    return new AppError('VALIDATION_FAILED', `${where} ${first?.message ?? 'is invalid'}${first && 'field' in first ? `: '${first.field}'` : ''}`, { errors });
  }
  switch (error.statusCode) {
    case 413:
      return new AppError('PAYLOAD_TOO_LARGE', error.message);
    case 415:
      return new AppError('UNSUPPORTED_MEDIA_TYPE', error.message);
    case 404:
      return new AppError('NOT_FOUND', error.message);
    case 429:
      return new AppError('RATE_LIMITED', error.message);
  }
  if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) return new AppError('MALFORMED_REQUEST', error.message);
  return new AppError('INTERNAL', 'An unexpected error occurred');
}

/** Every error on the admin API leaves as application/problem+json with a stable `code`. */
export const problemPlugin = fp(async function problemPlugin(app: FastifyInstance) {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const appError = toAppError(error);
    if (appError.code === 'INTERNAL') request.log.error({ err: error }, 'unhandled error');
    // Expected while a dependency is down, and the outage itself is logged once, at warning level, by the
    // connection watchers: a line per request would bury it, so each request's reason is kept for debug logs only.
    else if (appError.code === 'DATABASE_UNAVAILABLE' || appError.code === 'QUEUE_UNAVAILABLE') {
      // describeError gives the driver's own words ("connect ECONNREFUSED …"), never drizzle's message with parameters.
      request.log.debug({ code: appError.code, reason: describeError(error) }, 'request failed: dependency unavailable');
    }
    return sendProblem(reply, request, appError);
  });
  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, request, new AppError('NOT_FOUND', `No route for ${request.method} ${request.url.split('?')[0]}`)),
  );
});
