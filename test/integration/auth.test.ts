import { describe, expect, it } from 'vitest';
import { ADMIN_AUDIENCE } from '../../src/plugins/admin-auth.js';
import { expectProblem, registerAdmin, uniqueEmail } from '../helpers/admin.js';
import { useTestContext } from '../helpers/context.js';
import { signHs256 } from '../helpers/jwt.js';

const ctx = useTestContext({ LOGIN_MAX_FAILURES: '3', AUTH_RATE_LIMIT_PER_MINUTE: '1000' });
const password = 'correct horse battery';

describe('register', () => {
  it('creates a user and refuses a second registration of the same email, whatever its case', async () => {
    const email = uniqueEmail();
    const first = await ctx.app.inject({ method: 'POST', url: '/v1/auth/register', payload: { email, password } });
    expect(first.statusCode).toBe(201);
    expect(first.json()).toMatchObject({ email, id: expect.any(Number) });
    expect(first.json()).not.toHaveProperty('passwordHash');

    const again = await ctx.app.inject({ method: 'POST', url: '/v1/auth/register', payload: { email: email.toUpperCase(), password } });
    expectProblem(again, 409, 'EMAIL_TAKEN');
  });

  it.each([
    [{ email: 'not-an-email', password }, /email/],
    [{ email: uniqueEmail(), password: 'short' }, /password/],
    [{ email: uniqueEmail() }, /password/],
    [{ email: uniqueEmail(), password, role: 'owner' }, /role/],
    [{ email: 42, password }, /email/],
  ])('rejects %j', async (payload, mentions) => {
    const response = await ctx.app.inject({ method: 'POST', url: '/v1/auth/register', payload });
    const problem = expectProblem(response, 400, 'VALIDATION_FAILED');
    expect(problem.detail).toMatch(mentions);
  });
});

describe('login', () => {
  it('returns a bearer token that opens the admin API', async () => {
    const admin = await registerAdmin(ctx.app);
    const list = await ctx.app.inject({ method: 'GET', url: '/v1/accounts', headers: admin.headers });
    expect(list.statusCode).toBe(200);
    expect(list.json()).toEqual({ items: [] });
  });

  it('gives the same answer for an unknown email and a wrong password', async () => {
    const admin = await registerAdmin(ctx.app);
    const wrongPassword = await ctx.app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email: admin.email, password: 'wrong password!' } });
    const unknownEmail = await ctx.app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email: uniqueEmail(), password } });
    const a = expectProblem(wrongPassword, 401, 'INVALID_CREDENTIALS');
    const b = expectProblem(unknownEmail, 401, 'INVALID_CREDENTIALS');
    expect(a.detail).toBe(b.detail);
  });

  it('locks an email out after repeated failures, even for the right password, and tells when to retry', async () => {
    const admin = await registerAdmin(ctx.app);
    for (let i = 0; i < 3; i++) {
      const failed = await ctx.app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email: admin.email, password: 'wrong password!' } });
      expectProblem(failed, 401, 'INVALID_CREDENTIALS');
    }
    const locked = await ctx.app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email: admin.email, password } });
    const problem = expectProblem(locked, 429, 'TOO_MANY_LOGIN_ATTEMPTS');
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0);
    expect(problem.retryAfterSeconds).toBeGreaterThan(0);

    // Another user is unaffected.
    const other = await registerAdmin(ctx.app);
    expect(other.token).toBeTruthy();
  });

  it('a successful login clears earlier failures', async () => {
    const admin = await registerAdmin(ctx.app);
    const fail = () => ctx.app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email: admin.email, password: 'wrong password!' } });
    await fail();
    await fail();
    const ok = await ctx.app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email: admin.email, password } });
    expect(ok.statusCode).toBe(200);
    await fail();
    await fail();
    const stillOk = await ctx.app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email: admin.email, password } });
    expect(stillOk.statusCode).toBe(200);
  });
});

describe('admin tokens', () => {
  const call = (authorization?: string) =>
    ctx.app.inject({ method: 'GET', url: '/v1/accounts', headers: authorization ? { authorization } : {} });

  it('are required', async () => {
    expectProblem(await call(), 401, 'UNAUTHORIZED');
    expectProblem(await call('Bearer not.a.jwt'), 401, 'UNAUTHORIZED');
  });

  it('are refused when expired', async () => {
    const admin = await registerAdmin(ctx.app);
    const now = Math.floor(Date.now() / 1000);
    const expired = signHs256({ sub: String(admin.userId), aud: ADMIN_AUDIENCE, iat: now - 7200, exp: now - 3600 }, ctx.config.jwtSecret);
    expectProblem(await call(`Bearer ${expired}`), 401, 'TOKEN_EXPIRED');
  });

  it('are refused when signed with another key', async () => {
    const admin = await registerAdmin(ctx.app);
    const now = Math.floor(Date.now() / 1000);
    const forged = signHs256({ sub: String(admin.userId), aud: ADMIN_AUDIENCE, iat: now, exp: now + 3600 }, 'another-secret-another-secret-another');
    expectProblem(await call(`Bearer ${forged}`), 401, 'UNAUTHORIZED');
  });

  it('are refused when addressed to another audience', async () => {
    const admin = await registerAdmin(ctx.app);
    const now = Math.floor(Date.now() / 1000);
    const otherAudience = signHs256({ sub: String(admin.userId), aud: 'oa-platform:client', iat: now, exp: now + 3600 }, ctx.config.jwtSecret);
    expectProblem(await call(`Bearer ${otherAudience}`), 401, 'UNAUTHORIZED');
  });

  it.each([
    ['without aud', { exp: 3600 }],
    ['without exp', { aud: ADMIN_AUDIENCE }],
    ['without sub', { aud: ADMIN_AUDIENCE, exp: 3600, sub: undefined }],
  ])('are refused %s', async (_label, claims) => {
    const admin = await registerAdmin(ctx.app);
    const now = Math.floor(Date.now() / 1000);
    const { exp, ...rest } = claims as { exp?: number; aud?: string; sub?: undefined };
    const payload = JSON.parse(JSON.stringify({ sub: String(admin.userId), iat: now, ...rest, ...(exp ? { exp: now + exp } : {}) }));
    expectProblem(await call(`Bearer ${signHs256(payload, ctx.config.jwtSecret)}`), 401, 'UNAUTHORIZED');
  });

  it('a correctly signed token by hand is accepted (the forgery tests above test the right thing)', async () => {
    const admin = await registerAdmin(ctx.app);
    const now = Math.floor(Date.now() / 1000);
    const good = signHs256({ sub: String(admin.userId), aud: ADMIN_AUDIENCE, iat: now, exp: now + 3600 }, ctx.config.jwtSecret);
    expect((await call(`Bearer ${good}`)).statusCode).toBe(200);
  });
});

describe('rate limiting of the auth routes', () => {
  const limited = useTestContext({ AUTH_RATE_LIMIT_PER_MINUTE: '3' });

  it('answers 429 RATE_LIMITED past the per-minute limit', async () => {
    const attempt = () => limited.app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email: uniqueEmail(), password } });
    for (let i = 0; i < 3; i++) expect((await attempt()).statusCode).toBe(401);
    const refused = await attempt();
    expectProblem(refused, 429, 'RATE_LIMITED');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
  });
});

describe('login lockout under concurrent guesses', () => {
  it('checks exactly LOGIN_MAX_FAILURES of 20 parallel wrong passwords against the hash and refuses the rest', async () => {
    const admin = await registerAdmin(ctx.app);
    const guesses = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        ctx.app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email: admin.email, password: `wrong password ${i}` } }),
      ),
    );
    const checked = guesses.filter((response) => response.statusCode === 401);
    const refused = guesses.filter((response) => response.statusCode === 429);
    expect({ checked: checked.length, refused: refused.length }).toEqual({ checked: 3, refused: 17 });
    for (const response of checked) expectProblem(response, 401, 'INVALID_CREDENTIALS');
    for (const response of refused) expectProblem(response, 429, 'TOO_MANY_LOGIN_ATTEMPTS');

    const rightPassword = await ctx.app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email: admin.email, password } });
    expectProblem(rightPassword, 429, 'TOO_MANY_LOGIN_ATTEMPTS');
  });
});
