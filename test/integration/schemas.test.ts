import type { PgColumn } from 'drizzle-orm/pg-core';
import { describe, expect, it } from 'vitest';
import { accounts, broadcastArticles, broadcasts, followers, tags, users, webhookPushes, wechatUsers } from '../../src/db/schema/index.js';
import { qrcodes } from '../../src/db/schema/qrcodes.js';
import { templateIndustries } from '../../src/db/schema/templates.js';
import { conditionalMenus } from '../../src/db/schema/menus.js';
import { useTestContext } from '../helpers/context.js';

/**
 * Request schemas and columns agree: every integer a client may send has bounds its column can hold, so a value
 * out of range is a 400 from validation and never a 500 from PostgreSQL ("value out of range for type integer").
 * The walk covers every route of the OpenAPI document; an integer field this map does not know fails the test,
 * so a new field has to say where it is stored.
 */
const STORED_IN: Record<string, PgColumn | 'not stored' | 'jsonb'> = {
  id: accounts.id,
  userId: users.id,
  bid: broadcasts.id,
  /** A webhook delivery is a push. */
  did: webhookPushes.id,
  msgDataId: broadcasts.msgDataId,
  tagId: tags.id,
  qrScene: followers.qrScene,
  /** A parametric QR code's scene_id (admin API's POST /v1/accounts/:id/qrcodes). */
  sceneId: qrcodes.sceneId,
  /** Template industries (PUT /v1/accounts/:id/template-industry). */
  primaryIndustryId: templateIndustries.primaryIndustryId,
  secondaryIndustryId: templateIndustries.secondaryIndustryId,
  /** A conditional menu's menuid (DELETE /v1/accounts/:id/menu/conditional/:menuId). */
  menuId: conditionalMenus.menuId,
  /** A temporary QR code's lifetime: stored as its expires_at, a timestamp. */
  expireSeconds: 'not stored',
  articleIndex: broadcastArticles.idx,
  speed: accounts.broadcastSpeed,
  gender: wechatUsers.gender,
  /** Page size, bound into LIMIT. */
  limit: 'not stored',
  /** How many values of a region the follower attributes list before "other". */
  top: 'not stored',
  /** A location message's map scale, inside messages.body. */
  scale: 'jsonb',
};

/** The range of values a column (or a place that is not a column) can hold, as JS numbers read it back. */
function rangeOf(storedIn: PgColumn | 'not stored' | 'jsonb'): [number, number] {
  if (storedIn === 'not stored' || storedIn === 'jsonb') return [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER];
  switch (storedIn.getSQLType()) {
    case 'smallint':
      return [-32_768, 32_767];
    case 'integer':
      return [-2_147_483_648, 2_147_483_647];
    case 'bigint': // mode 'number': read back exactly only up to 2^53 - 1
      return [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER];
    default:
      throw new Error(`column ${storedIn.name} is ${storedIn.getSQLType()}, not an integer type`);
  }
}

type JsonSchema = {
  $ref?: string;
  type?: string | string[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema | JsonSchema[];
  additionalProperties?: JsonSchema | boolean;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
};

interface IntegerField {
  where: string;
  field: string;
  schema: JsonSchema;
}

interface OpenApi {
  paths: Record<string, Record<string, { parameters?: Array<{ in: string; name: string; schema: JsonSchema }>; requestBody?: { content: Record<string, { schema: JsonSchema }> } }>>;
  components?: { schemas?: Record<string, JsonSchema> };
}

/** Every integer-typed schema node under `schema`, named by the property (or parameter) it belongs to. */
function integersIn(schema: JsonSchema | undefined, field: string, where: string, doc: OpenApi, seen = new Set<JsonSchema>()): IntegerField[] {
  if (!schema || typeof schema !== 'object' || seen.has(schema)) return [];
  seen.add(schema);
  if (schema.$ref) {
    const name = schema.$ref.replace('#/components/schemas/', '');
    return integersIn(doc.components?.schemas?.[name], field, where, doc, seen);
  }
  const found: IntegerField[] = [];
  const types = Array.isArray(schema.type) ? schema.type : [schema.type];
  if (types.includes('integer')) found.push({ where, field, schema });
  for (const [name, property] of Object.entries(schema.properties ?? {})) found.push(...integersIn(property, name, where, doc, seen));
  for (const item of [schema.items ?? []].flat()) found.push(...integersIn(item, field, where, doc, seen));
  if (typeof schema.additionalProperties === 'object') found.push(...integersIn(schema.additionalProperties, `${field}.*`, where, doc, seen));
  for (const branch of [...(schema.anyOf ?? []), ...(schema.oneOf ?? []), ...(schema.allOf ?? [])]) found.push(...integersIn(branch, field, where, doc, seen));
  return found;
}

function requestIntegers(doc: OpenApi): IntegerField[] {
  const found: IntegerField[] = [];
  for (const [path, operations] of Object.entries(doc.paths)) {
    for (const [method, operation] of Object.entries(operations)) {
      const where = `${method.toUpperCase()} ${path}`;
      for (const parameter of operation.parameters ?? []) {
        found.push(...integersIn(parameter.schema, parameter.name, `${where} (${parameter.in})`, doc));
      }
      for (const [mediaType, content] of Object.entries(operation.requestBody?.content ?? {})) {
        found.push(...integersIn(content.schema, 'body', `${where} (${mediaType} body)`, doc));
      }
    }
  }
  return found;
}

/** What is wrong with the bounds of these integers, one line each; empty when every one fits its column. */
function boundsProblems(integers: IntegerField[]): string[] {
  const problems: string[] = [];
  for (const { where, field, schema } of integers) {
    const storedIn = STORED_IN[field];
    if (storedIn === undefined) {
      problems.push(`${where}: integer '${field}' is not in STORED_IN; say which column holds it`);
      continue;
    }
    const [min, max] = rangeOf(storedIn);
    const upper = schema.maximum ?? (schema.exclusiveMaximum === undefined ? undefined : schema.exclusiveMaximum - 1);
    const lower = schema.minimum ?? (schema.exclusiveMinimum === undefined ? undefined : schema.exclusiveMinimum + 1);
    if (upper === undefined || upper > max) problems.push(`${where}: '${field}' allows up to ${upper ?? 'any value'}, its column holds ${max}`);
    if (lower === undefined || lower < min) problems.push(`${where}: '${field}' allows down to ${lower ?? 'any value'}, its column holds ${min}`);
  }
  return problems;
}

const ctx = useTestContext();

describe('request schemas agree with the columns', () => {
  it('every integer a client may send is bounded by what its column holds', () => {
    const integers = requestIntegers(ctx.app.swagger() as unknown as OpenApi);
    expect(boundsProblems(integers)).toEqual([]);

    // The walk reaches paths, queries and nested bodies, so the check above is not vacuous.
    const seen = new Set(integers.map(({ where, field }) => `${field} @ ${where}`));
    expect(seen).toContain('id @ GET /v1/accounts/{id} (path)');
    expect(seen).toContain('tagId @ DELETE /v1/accounts/{id}/tags/{tagId} (path)');
    expect(seen).toContain('tagId @ GET /v1/accounts/{id}/followers (query)');
    expect(seen).toContain('tagId @ POST /v1/accounts/{id}/broadcasts (application/json body)');
    expect(seen).toContain('qrScene @ POST /client/v1/follows (application/json body)');
    expect(seen).toContain('scale @ POST /client/v1/messages (application/json body)');
  });

  it('the check refuses a missing bound, a bound beyond the column and a field it does not know', () => {
    const doc: OpenApi = {
      paths: {
        '/x/{tagId}': {
          post: {
            parameters: [
              { in: 'path', name: 'tagId', schema: { type: 'integer', minimum: 0 } },
              { in: 'query', name: 'gender', schema: { type: 'integer', minimum: 0, maximum: 40_000 } },
            ],
            requestBody: { content: { 'application/json': { schema: { type: 'object', properties: { qrScene: { anyOf: [{ type: 'integer', minimum: 1, maximum: 4_294_967_295 }, { type: 'string' }] }, mystery: { type: 'array', items: { type: 'integer', minimum: 0, maximum: 1 } } } } } } },
          },
        },
      },
    };
    expect(boundsProblems(requestIntegers(doc))).toEqual([
      "POST /x/{tagId} (path): 'tagId' allows up to any value, its column holds 2147483647",
      "POST /x/{tagId} (query): 'gender' allows up to 40000, its column holds 32767",
      "POST /x/{tagId} (application/json body): 'qrScene' allows up to 4294967295, its column holds 2147483647",
      "POST /x/{tagId} (application/json body): integer 'mystery' is not in STORED_IN; say which column holds it",
    ]);
  });
});
