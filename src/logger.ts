import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import { causeChain } from './db/client.js';

/**
 * The service's logger. Its `err` serializer keeps what an operator needs (type, message, stack, codes) and drops
 * what must not reach logs: drizzle puts every failed query's parameters into its error (the message says
 * "params: …", and a `params` field holds them: message text, emails, password and secret hashes), PostgreSQL's
 * `detail` repeats key values ("Key (email)=(…) already exists"), and pg-pool attaches the whole client (with its
 * connection parameters) to an idle client's error.
 */
export function createLogger(options: { level: LoggerOptions['level']; role: string; destination?: DestinationStream }): Logger {
  const settings: LoggerOptions = { level: options.level, base: { role: options.role }, serializers: { err: serializeError } };
  return options.destination ? pino(settings, options.destination) : pino(settings);
}

const REDACTED = '[redacted]';
// Fields never logged: query parameters (drizzle), live objects with credentials (pg-pool's err.client), request
// bodies some libraries attach, and the cause, which is folded into message and stack below.
const DROPPED_FIELDS = new Set(['params', 'parameters', 'values', 'client', 'connection', 'body', 'raw', 'cause', 'stack', 'message']);

interface ErrorLike {
  message: string;
  stack?: string;
  [key: string]: unknown;
}

function isErrorLike(value: unknown): value is ErrorLike {
  return typeof value === 'object' && value !== null && typeof (value as { message?: unknown }).message === 'string';
}

/** drizzle's DrizzleQueryError, recognised by shape: "Failed query: <sql>\nparams: <values>" with `query` and `params`. */
function isFailedQuery(error: ErrorLike): error is ErrorLike & { query: string } {
  return typeof error.query === 'string' && 'params' in error && error.message.startsWith('Failed query: ');
}

/** An error's own message with any query parameters taken out. */
function safeMessage(error: ErrorLike): string {
  return isFailedQuery(error) ? `Failed query: ${error.query}` : error.message;
}

/** The stack begins with "<name>: <message>"; the frames below it carry no data. */
function safeStack(error: ErrorLike): string {
  const stack = error.stack ?? '';
  return isFailedQuery(error) ? stack.replace(error.message, safeMessage(error)) : stack;
}

/** "Key (email)=(a@b.c) already exists." → "Key (email)=([redacted]) already exists." */
function redactDetail(detail: string): string {
  return detail.replace(/\)=\((.*)\)/g, `)=(${REDACTED})`);
}

export function serializeError(error: unknown): unknown {
  if (!isErrorLike(error)) return error;
  const chain = causeChain(error).filter(isErrorLike);
  const serialized: Record<string, unknown> = {
    type: error.constructor && error.constructor !== Object ? error.constructor.name : error.name,
    message: chain.map(safeMessage).join(': '),
  };
  const stack = chain.map(safeStack).filter((part) => part !== '').join('\ncaused by: ');
  if (stack !== '') serialized.stack = stack;
  for (const [key, value] of Object.entries(error)) {
    if (DROPPED_FIELDS.has(key) || value === undefined || typeof value === 'function') continue;
    if (key === 'detail' && typeof value === 'string') serialized.detail = redactDetail(value);
    else if (isErrorLike(value)) serialized[key] = serializeError(value);
    else serialized[key] = value;
  }
  // Surface the driver's codes (SQLSTATE, errno) that a wrapper hides in its cause.
  for (const cause of chain.slice(1)) {
    for (const key of ['code', 'severity', 'errno', 'syscall']) {
      if (serialized[key] === undefined && (typeof cause[key] === 'string' || typeof cause[key] === 'number')) serialized[key] = cause[key];
    }
  }
  if (Array.isArray(error.errors)) serialized.errors = error.errors.map(serializeError);
  return serialized;
}
