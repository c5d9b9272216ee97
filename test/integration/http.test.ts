import { describe, expect, it } from 'vitest';
import { expectProblem, registerAdmin } from '../helpers/admin.js';
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
