/**
 * Errors the services raise. Each carries a stable code and no HTTP status: the admin API maps codes to
 * problem+json statuses (plugins/problem.ts), the WeChat-compatible API maps them to errcode/errmsg.
 */
export const ERROR_CODES = [
  'VALIDATION_FAILED',
  'MALFORMED_REQUEST',
  'UNAUTHORIZED',
  'TOKEN_EXPIRED',
  'INVALID_CREDENTIALS',
  'TOO_MANY_LOGIN_ATTEMPTS',
  'RATE_LIMITED',
  'FORBIDDEN',
  // The account's type or verification (微信认证) does not give it this capability (capability_policies).
  'CAPABILITY_NOT_ALLOWED',
  'NOT_FOUND',
  'ACCOUNT_NOT_FOUND',
  'USER_NOT_FOUND',
  'EMAIL_TAKEN',
  'ACCOUNT_TYPE_LOCKED',
  'LAST_OWNER',
  'QUOTA_EXHAUSTED',
  'NOT_FOLLOWING',
  // A customer-service message outside the 48 hours after the follower's last message, menu click, scan or follow.
  'REPLY_WINDOW_CLOSED',
  // The customer-service messages the follower's latest actions allow are used up (45047).
  'CUSTOM_MESSAGE_QUOTA_EXCEEDED',
  // The typing state cannot be shown now: no message exchanged in the last 30 s (45080), or it already shows (45081).
  'TYPING_NOT_ALLOWED',
  'BLACKLISTED',
  'FOLLOWER_NOT_FOUND',
  'INVALID_OPENIDS',
  'TAG_NOT_FOUND',
  'TAG_NAME_TAKEN',
  'TAG_LIMIT_REACHED',
  'FOLLOWER_TAG_LIMIT_REACHED',
  'TAG_TOO_LARGE_TO_DELETE',
  'ARTICLE_NOT_FOUND',
  'BROADCAST_NOT_FOUND',
  'BROADCAST_NOT_DELETABLE',
  'INVALID_ARTICLE_INDEX',
  'PREVIEW_LIMIT_REACHED',
  'PAYLOAD_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
  'WEBHOOK_NOT_CONFIGURED',
  // Parametric QR codes: a ticket no account issued, one whose time is up, an account's permanent codes used up.
  'QRCODE_NOT_FOUND',
  'QRCODE_EXPIRED',
  'QRCODE_LIMIT_REACHED',
  // Template messages: no such private template (40037), 25 already (45026), an industry the account did not choose (45027).
  'TEMPLATE_NOT_FOUND',
  'TEMPLATE_LIMIT_REACHED',
  'TEMPLATE_INDUSTRY_CONFLICT',
  // Conditional menus: added before the default menu exists, or more than an account may have.
  'DEFAULT_MENU_MISSING',
  'CONDITIONAL_MENU_LIMIT_REACHED',
  // The developer's server did not answer WeChat's URL verification (echostr) as it must.
  'WEBHOOK_VERIFICATION_FAILED',
  // A dependency is down: PostgreSQL, or Redis (queues, rate limits, login lockouts). Retry later.
  'DATABASE_UNAVAILABLE',
  'QUEUE_UNAVAILABLE',
  'INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export class AppError extends Error {
  override name = 'AppError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** Extra machine-readable facts for the client (e.g. resetsAt for QUOTA_EXHAUSTED). */
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}

/**
 * A process cannot start (a dependency unreachable at boot, a port taken). Its message is complete and safe to
 * print as the one line the process ends with: no stack, no password (see redactUrl).
 */
export class StartupError extends Error {
  override name = 'StartupError';
}

/**
 * What actually failed, in the driver's own words, for a one-line message: the innermost cause (drizzle wraps a
 * refused connection in "Failed query: …"). Node reports a refused connection to a name with several addresses
 * ("localhost") as an AggregateError with an empty message: its parts' messages then.
 */
export function describeError(error: unknown): string {
  const cause = (error as { cause?: unknown } | null)?.cause;
  if (cause instanceof Error && cause !== error) return describeError(cause);
  if (error instanceof AggregateError && !error.message) return error.errors.map(describeError).join('; ');
  if (error instanceof Error) return error.message || (error as NodeJS.ErrnoException).code || error.name;
  return String(error);
}

/** PostgreSQL SQLSTATE of an error raised by pg, if any. */
export function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string') return code;
  const cause = (error as { cause?: unknown } | null)?.cause;
  return cause ? sqlState(cause) : undefined;
}

export function isUniqueViolation(error: unknown): boolean {
  return sqlState(error) === '23505';
}

/**
 * An error as WeChat's JSON APIs answer it: `{errcode, errmsg}` with WeChat's own code and words (e.g. 61500
 * "date format error"). Raised by handlers that serve WeChat's formats (the /datacube views), answered as-is by the
 * WeChat-compatible facade.
 */
export class WechatError extends Error {
  override name = 'WechatError';
  constructor(
    readonly errcode: number,
    readonly errmsg: string,
  ) {
    super(`${errcode} ${errmsg}`);
  }
}
