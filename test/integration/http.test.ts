import { brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { createAccount, expectProblem, registerAdmin } from '../helpers/admin.js';
import { useTestContext } from '../helpers/context.js';

const ctx = useTestContext({ BODY_LIMIT_BYTES: '2048' });

describe('health', () => {
  it('/healthz answers while the process runs', async () => {
    const response = await ctx.app.inject({ method: 'GET', url: '/healthz' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: 'ok' });
  });

  it('/readyz checks PostgreSQL and Redis', async () => {
    const response = await ctx.app.inject({ method: 'GET', url: '/readyz' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: 'ok', checks: { postgres: { status: 'ok' }, redis: { status: 'ok' } } });
  });
});

describe('OpenAPI', () => {
  it('is generated from the route schemas and served with a UI at /docs', async () => {
    const spec = (await ctx.app.inject({ method: 'GET', url: '/docs/json' })).json();
    expect(spec.openapi).toBe('3.1.0');
    expect(Object.keys(spec.paths)).toEqual(expect.arrayContaining(['/v1/auth/login', '/v1/accounts/{id}/type', '/v1/accounts/{id}/quota']));
    expect(spec.paths['/v1/accounts/{id}/type'].put.requestBody.content['application/json'].schema.properties.type.enum).toEqual(['subscription', 'service']);
    const ui = await ctx.app.inject({ method: 'GET', url: '/docs' });
    expect([200, 302]).toContain(ui.statusCode);
  });
});

describe('compression', () => {
  it('answers in the encoding the client prefers among those it accepts, and as they are to a client that accepts none', async () => {
    const plain = await ctx.app.inject({ method: 'GET', url: '/docs/json' });
    expect(plain.headers['content-encoding']).toBeUndefined();
    const cases: Array<[string, string | undefined]> = [
      ['gzip, deflate, br', 'br'],
      ['gzip', 'gzip'],
      ['br;q=0.1, gzip;q=0.9', 'gzip'],
      ['identity', undefined],
    ];
    for (const [accepted, expected] of cases) {
      const response = await ctx.app.inject({ method: 'GET', url: '/docs/json', headers: { 'accept-encoding': accepted } });
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-encoding'], accepted).toBe(expected);
      const decoded = expected === 'br' ? brotliDecompressSync(response.rawPayload) : expected === 'gzip' ? gunzipSync(response.rawPayload) : response.rawPayload;
      expect(decoded.toString()).toBe(plain.body);
      if (expected) expect(response.headers.vary).toContain('accept-encoding');
    }
  });

  it('leaves small answers as they are', async () => {
    const response = await ctx.app.inject({ method: 'GET', url: '/healthz', headers: { 'accept-encoding': 'br, gzip' } });
    expect(response.headers['content-encoding']).toBeUndefined();
    expect(response.json()).toEqual({ status: 'ok' });
  });

  it('does not inflate a compressed request body: it is taken as it came, and is not JSON', async () => {
    const response = await ctx.app.inject({
      method: 'POST',
      url: '/v1/auth/login',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      payload: gzipSync(JSON.stringify({ email: 'a@example.com', password: 'correct horse battery' })),
    });
    expectProblem(response, 400, 'MALFORMED_REQUEST');
  });
});

describe('compression turned off (HTTP_COMPRESSION=false)', () => {
  const uncompressed = useTestContext({ HTTP_COMPRESSION: 'false' });

  it('sends every answer as it is, kept statistics too', async () => {
    uncompressed.clock.set('2026-11-02T04:00:00Z');
    const docs = await uncompressed.app.inject({ method: 'GET', url: '/docs/json', headers: { 'accept-encoding': 'br, gzip' } });
    expect(docs.headers['content-encoding']).toBeUndefined();
    expect(docs.json().openapi).toBe('3.1.0');
    const owner = await registerAdmin(uncompressed.app);
    const account = await createAccount(uncompressed.app, owner);
    const url = `/v1/accounts/${account.id}/stats/followers?from=2026-10-01&to=2026-11-02`;
    for (let time = 0; time < 2; time++) {
      const response = await uncompressed.app.inject({ method: 'GET', url, headers: { ...owner.headers, 'accept-encoding': 'br, gzip' } });
      expect(response.statusCode, response.body).toBe(200);
      expect(response.headers['content-encoding']).toBeUndefined();
      expect(response.json().items).toHaveLength(33);
    }
  });
});

describe('bad requests', () => {
  it('an unknown route is a 404 problem', async () => {
    expectProblem(await ctx.app.inject({ method: 'GET', url: '/v1/nothing-here' }), 404, 'NOT_FOUND');
  });

  it('a path parameter that is not percent-encoded UTF-8, or longer than 100 characters, is a 400 problem', async () => {
    for (const url of ['/v1/accounts/%E0%A4%A', '/client/v1/chats/%E0%A4%A', `/client/v1/chats/${'a'.repeat(1000)}`, `/v1/accounts/1/templates/${'t'.repeat(200)}`]) {
      const response = await ctx.app.inject({ method: url.includes('templates') ? 'DELETE' : 'GET', url });
      expectProblem(response, 400, 'VALIDATION_FAILED');
      expect(response.json().instance, url).toBe(url);
    }
  });

  it('a body over the limit is 413 PAYLOAD_TOO_LARGE', async () => {
    const response = await ctx.app.inject({
      method: 'POST',
      url: '/v1/auth/register',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ email: 'a@example.com', password: 'x'.repeat(4096) }),
    });
    expectProblem(response, 413, 'PAYLOAD_TOO_LARGE');
  });

  it('malformed JSON is 400 MALFORMED_REQUEST', async () => {
    const response = await ctx.app.inject({ method: 'POST', url: '/v1/auth/login', headers: { 'content-type': 'application/json' }, payload: '{"email":' });
    expectProblem(response, 400, 'MALFORMED_REQUEST');
  });

  it('a body that is not JSON is 415 UNSUPPORTED_MEDIA_TYPE', async () => {
    const response = await ctx.app.inject({ method: 'POST', url: '/v1/auth/login', headers: { 'content-type': 'application/xml' }, payload: '<xml/>' });
    expectProblem(response, 415, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('a body with a wrong type is not coerced', async () => {
    const owner = await registerAdmin(ctx.app);
    const response = await ctx.app.inject({ method: 'POST', url: '/v1/accounts', headers: owner.headers, payload: { name: 123 } });
    expectProblem(response, 400, 'VALIDATION_FAILED');
  });
});
