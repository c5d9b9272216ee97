import { Type, type TSchema } from 'typebox';

/** Schemas shared by every module's routes. */
export const ProblemSchema = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    code: Type.String({ description: 'Stable machine-readable error code, e.g. ACCOUNT_TYPE_LOCKED' }),
    detail: Type.String(),
    instance: Type.String(),
  },
  { additionalProperties: true, $id: 'Problem' },
);

/** The largest value of a PostgreSQL integer (int4) column. */
export const INT4_MAX = 2_147_483_647;

/**
 * Every id (an int8 identity column, read as a JS number): positive and exact in a double. In paths and queries it
 * must be written in plain decimal digits (plugins/validation.ts), so 1e3, 0x1, +1 and 01 are refused.
 */
export const Id = Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER });
export const AccountParams = Type.Object({ id: Id }, { additionalProperties: false });
/** An ISO-8601 instant on the wire; handlers may return Date objects, which the serializer formats. */
export const Timestamp = Type.Unsafe<Date | string>({ type: 'string', format: 'date-time' });

/** Error responses a route may give, each as problem+json. */
export function problems(...statuses: number[]): Record<number, TSchema> {
  return Object.fromEntries(statuses.map((status) => [status, Type.Ref('Problem')]));
}

export const adminSecurity = [{ bearerAuth: [] }];

/**
 * An absolute http(s) URL with a host, as media and links must be: "https://", "https:///x" and "https://:443"
 * are URIs but lead nowhere. The host is a name or address, or an IPv6 literal in brackets.
 */
export const HttpUrl = Type.String({
  format: 'uri',
  pattern: '^https?://([^\\s/?#@]+@)?(\\[[0-9A-Fa-f:.]+\\]|[^\\s/?#@:\\[\\]]+)(:[0-9]{1,5})?([/?#]\\S*)?$',
  maxLength: 2048,
});

/** A keyset page: `nextCursor` is null on the last page. */
export function PageOf<Item extends TSchema>(item: Item) {
  return Type.Object({ items: Type.Array(item), nextCursor: Type.Union([Type.String(), Type.Null()]) });
}
