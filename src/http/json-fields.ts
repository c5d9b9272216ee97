/**
 * Reading fields of JSON bodies that are checked by hand rather than by a schema (the WeChat-compatible API answers
 * each wrong field with WeChat's own code, so its routes take bodies as they come).
 */

export type JsonObject = Record<string, unknown>;

/** The value as an object, or undefined for anything else (null, an array, a scalar). */
export const objectOf = (value: unknown): JsonObject | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as JsonObject) : undefined;

/**
 * An integer given as a JSON number or as decimal digits (SDKs send either; spaces around digits are tolerated), or
 * undefined. Non-negative unless `signed`.
 */
export function integerOf(value: unknown, options: { signed?: boolean } = {}): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) && (options.signed || value >= 0) ? value : undefined;
  if (typeof value === 'string' && (options.signed ? /^-?[0-9]{1,15}$/ : /^[0-9]{1,15}$/).test(value.trim())) return Number(value.trim());
  return undefined;
}

/**
 * An absolute http(s) URL with a host, of printable characters without whitespace, quotes or angle brackets (what
 * the admin API's `uri` check admits): links that messages show to followers.
 */
export const HTTP_URL = /^https?:\/\/[^\s/?#"'<>\\^`{|}]+([/?#][^\s"'<>\\^`{|}]*)?$/;
