import { Ajv, type ErrorObject, type Options as AjvOptions, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../errors.js';

/**
 * Request validation. Two validators because the parts of a request differ: path and query parameters arrive as
 * strings and are coerced to the schema's types, while JSON bodies are checked as sent (no "1" → 1, no stripping),
 * so a client that sends a wrong type or an unknown field hears about it instead of having it silently changed.
 */
function createAjv(coerceTypes: AjvOptions['coerceTypes']): Ajv {
  const ajv = new Ajv({
    coerceTypes,
    useDefaults: true,
    removeAdditional: false,
    allErrors: true,
    strict: false,
    discriminator: true,
  });
  addFormats.default(ajv);
  return ajv;
}

/**
 * How an integer is written in a path or a query: decimal digits, no leading zero (no parameter is negative).
 * Ajv's coercion goes through Number(), which also reads "1e3", "0x1", "+1", "01", "1.0" and " 1" — so
 * /v1/accounts/1e3 would be account 1000.
 */
const DECIMAL_INTEGER = /^(0|[1-9][0-9]*)$/;

type SchemaNode = { type?: unknown; anyOf?: SchemaNode[]; oneOf?: SchemaNode[]; properties?: Record<string, SchemaNode> };

function admits(schema: SchemaNode, type: string): boolean {
  const types = Array.isArray(schema.type) ? schema.type : [schema.type];
  return types.includes(type) || [...(schema.anyOf ?? []), ...(schema.oneOf ?? [])].some((branch) => admits(branch, type));
}

function isDecimalOrAbsent(raw: unknown): boolean {
  if (typeof raw === 'string') return DECIMAL_INTEGER.test(raw);
  if (Array.isArray(raw)) return raw.every(isDecimalOrAbsent); // ?limit=1&limit=2 arrives as an array
  return true; // absent: the schema's `required` decides
}

/** Path and query parameters are flat objects: checks the raw spelling of each integer before ajv coerces it. */
function withStrictIntegers(validate: ValidateFunction, schema: SchemaNode): ValidateFunction | ((data: unknown) => boolean) {
  const integerNames = Object.entries(schema.properties ?? {})
    .filter(([, property]) => admits(property, 'integer') && !admits(property, 'string'))
    .map(([name]) => name);
  if (integerNames.length === 0) return validate;
  const strict = (data: unknown): boolean => {
    const raw = (data ?? {}) as Record<string, unknown>;
    const misspelt = integerNames.filter((name) => !isDecimalOrAbsent(raw[name]));
    if (misspelt.length > 0) {
      strict.errors = misspelt.map(
        (name): ErrorObject => ({
          instancePath: `/${name}`,
          schemaPath: `#/properties/${name}`,
          keyword: 'decimalInteger',
          params: {},
          message: 'must be an integer in plain decimal digits (no sign, exponent, leading zero or spaces)',
        }),
      );
      return false;
    }
    const valid = validate(data);
    strict.errors = validate.errors;
    return valid;
  };
  strict.errors = null as ErrorObject[] | null | undefined;
  return strict;
}

const NUL = '\u0000';

/** JSON Pointer of the first string (or object key) holding a NUL, in document order; undefined if none. */
function findNul(value: unknown): string | undefined {
  const pending: Array<[unknown, string]> = [[value, '']];
  while (pending.length > 0) {
    const [node, pointer] = pending.pop()!;
    if (typeof node === 'string') {
      if (node.includes(NUL)) return pointer || '/';
    } else if (Array.isArray(node)) {
      for (let i = node.length - 1; i >= 0; i--) pending.push([node[i], `${pointer}/${i}`]);
    } else if (node !== null && typeof node === 'object') {
      const entries = Object.entries(node);
      for (let i = entries.length - 1; i >= 0; i--) {
        const [key, child] = entries[i]!;
        const escaped = key.replaceAll('~', '~0').replaceAll('/', '~1');
        if (key.includes(NUL)) return `${pointer}/${escaped.replaceAll(NUL, '\\u0000')}`;
        pending.push([child, `${pointer}/${escaped}`]);
      }
    }
  }
  return undefined;
}

/**
 * PostgreSQL text cannot hold U+0000: a NUL anywhere in a request that reaches the database is a 500 from the
 * driver. No field needs one, so one check refuses it for every route, whatever its schema says.
 */
function nulProblem(request: FastifyRequest): AppError | undefined {
  const parts: Array<[string, unknown]> = [
    ['params', request.params],
    ['querystring', request.query],
    ['body', request.body],
  ];
  for (const [part, value] of parts) {
    const path = findNul(value);
    if (path === undefined) continue;
    const message = 'must not contain the NUL character (U+0000)';
    return new AppError('VALIDATION_FAILED', `${part}${path === '/' ? '' : path} ${message}`, { errors: [{ in: part, path, message }] });
  }
  return undefined;
}

export function installValidation(app: FastifyInstance): void {
  const forBody = createAjv(false);
  const forStrings = createAjv('array');
  app.setValidatorCompiler(({ schema, httpPart }) => {
    if (httpPart === 'body') return forBody.compile(schema);
    return withStrictIntegers(forStrings.compile(schema), schema as SchemaNode);
  });

  // JSON only: Fastify also parses text/plain into a string, which every body schema then refuses as "body must
  // be object" — the truth is that the media type is not supported (415).
  app.removeContentTypeParser('text/plain');

  // A callback hook, not an async one: it runs on every request and needs no promise.
  app.addHook('preValidation', (request, _reply, done) => done(nulProblem(request)));

  // What the checks above can answer, in every route's OpenAPI description: 400 wherever there is input to
  // validate, 415 wherever there is a body.
  app.addHook('onRoute', (route) => {
    const schema = route.schema;
    if (!schema?.response || typeof schema.response !== 'object') return;
    const responses = schema.response as Record<string, unknown>;
    const problem = { $ref: 'Problem' };
    if ((schema.params || schema.querystring || schema.body) && !responses[400]) responses[400] = problem;
    if (schema.body && !responses[415]) responses[415] = problem;
  });
}
