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

export const Id = Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER });
export const AccountParams = Type.Object({ id: Id }, { additionalProperties: false });
/** An ISO-8601 instant on the wire; handlers may return Date objects, which the serializer formats. */
export const Timestamp = Type.Unsafe<Date | string>({ type: 'string', format: 'date-time' });

/** Error responses a route may give, each as problem+json. */
export function problems(...statuses: number[]): Record<number, TSchema> {
  return Object.fromEntries(statuses.map((status) => [status, Type.Ref('Problem')]));
}

export const adminSecurity = [{ bearerAuth: [] }];

/** An absolute http(s) URL, as media and links must be. */
export const HttpUrl = Type.String({ format: 'uri', pattern: '^https?://', maxLength: 2048 });

/** A keyset page: `nextCursor` is null on the last page. */
export function PageOf<Item extends TSchema>(item: Item) {
  return Type.Object({ items: Type.Array(item), nextCursor: Type.Union([Type.String(), Type.Null()]) });
}
