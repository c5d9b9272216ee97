import { Ajv, type Options as AjvOptions } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifyInstance } from 'fastify';

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

export function installValidation(app: FastifyInstance): void {
  const forBody = createAjv(false);
  const forStrings = createAjv('array');
  app.setValidatorCompiler(({ schema, httpPart }) => {
    const ajv = httpPart === 'body' ? forBody : forStrings;
    return ajv.compile(schema);
  });
}
