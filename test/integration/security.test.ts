import { describe, expect, it } from 'vitest';
import { ADMIN_AUDIENCE } from '../../src/plugins/admin-auth.js';
import { CLIENT_AUDIENCE, clientSigningKey } from '../../src/plugins/client-auth.js';
import { createAccount, expectProblem, registerAdmin, uniqueEmail } from '../helpers/admin.js';
import { useTestContext, type TestContext } from '../helpers/context.js';
import { signHs256 } from '../helpers/jwt.js';

const password = 'correct horse battery';
const wrongLogin = (ctx: TestContext, headers: Record<string, string>, remoteAddress?: string) =>
  ctx.app.inject({
    method: 'POST',
    url: '/v1/auth/login',
    headers,
    ...(remoteAddress ? { remoteAddress } : {}),
    payload: { email: uniqueEmail(), password },
  });

function statusCounts(responses: Array<{ statusCode: number }>): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const { statusCode } of responses) counts[statusCode] = (counts[statusCode] ?? 0) + 1;
  return counts;
}

describe('X-Forwarded-For is not trusted by default', () => {
  const ctx = useTestContext({ AUTH_RATE_LIMIT_PER_MINUTE: '30' });

  it('40 wrong logins from one address with a new X-Forwarded-For each time still hit the auth rate limit', async () => {
    const responses = [];
    for (let i = 0; i < 40; i++) responses.push(await wrongLogin(ctx, { 'x-forwarded-for': `10.0.${i}.1` }));
    expect(statusCounts(responses)).toEqual({ 401: 30, 429: 10 });
    expectProblem(responses[39]!, 429, 'RATE_LIMITED');
    expect(Number(responses[39]!.headers['retry-after'])).toBeGreaterThan(0);
  });
});

describe('TRUST_PROXY names the proxies whose X-Forwarded-For is honoured', () => {
  const ctx = useTestContext({ AUTH_RATE_LIMIT_PER_MINUTE: '5', TRUST_PROXY: '127.0.0.1' });

  it('through the trusted proxy, each forwarded client has its own limit', async () => {
    const rotating = [];
    for (let i = 0; i < 10; i++) rotating.push(await wrongLogin(ctx, { 'x-forwarded-for': `10.1.${i}.1` }));
    expect(statusCounts(rotating)).toEqual({ 401: 10 });

    const oneClient = [];
    for (let i = 0; i < 6; i++) oneClient.push(await wrongLogin(ctx, { 'x-forwarded-for': '10.2.0.1' }));
    expect(statusCounts(oneClient)).toEqual({ 401: 5, 429: 1 });
  });

  it('from an address that is not a trusted proxy, X-Forwarded-For is ignored', async () => {
    const responses = [];
    for (let i = 0; i < 6; i++) responses.push(await wrongLogin(ctx, { 'x-forwarded-for': `10.3.${i}.1` }, '203.0.113.9'));
    expect(statusCounts(responses)).toEqual({ 401: 5, 429: 1 });
  });
});

describe('client tokens', () => {
  const ctx = useTestContext();
  const now = () => Math.floor(Date.now() / 1000);

  async function userId(): Promise<number> {
    const response = await ctx.app.inject({ method: 'POST', url: '/client/v1/users', payload: { nickname: 'token test' } });
    expect(response.statusCode, response.body).toBe(201);
    return response.json().userId;
  }
  const follow = (token: string, appid: string) =>
    ctx.app.inject({ method: 'POST', url: '/client/v1/follows', headers: { authorization: `Bearer ${token}` }, payload: { appid, scene: 'ADD_SCENE_SEARCH' } });

  it('a hand-signed token with aud and exp is accepted (the refusals below test the right thing)', async () => {
    const account = await createAccount(ctx.app, await registerAdmin(ctx.app));
    const token = signHs256({ sub: String(await userId()), aud: CLIENT_AUDIENCE, iat: now(), exp: now() + 3600 }, clientSigningKey(ctx.config.jwtSecret));
    expect((await follow(token, account.appid)).statusCode).toBe(201);
  });

  it.each([
    ['without aud', { exp: 3600 }],
    ['without exp', { aud: CLIENT_AUDIENCE }],
    ['addressed to the admin API', { aud: ADMIN_AUDIENCE, exp: 3600 }],
  ])('are refused %s', async (_label, claims) => {
    const account = await createAccount(ctx.app, await registerAdmin(ctx.app));
    const { exp, ...rest } = claims as { exp?: number; aud?: string };
    const payload = { sub: String(await userId()), iat: now(), ...rest, ...(exp ? { exp: now() + exp } : {}) };
    expectProblem(await follow(signHs256(payload, clientSigningKey(ctx.config.jwtSecret)), account.appid), 401, 'UNAUTHORIZED');
  });

  it('are refused when they are admin tokens', async () => {
    const admin = await registerAdmin(ctx.app);
    const account = await createAccount(ctx.app, admin);
    expectProblem(await follow(admin.token, account.appid), 401, 'UNAUTHORIZED');
  });

  it('for a user that does not exist get 401, not 500', async () => {
    const account = await createAccount(ctx.app, await registerAdmin(ctx.app));
    const token = signHs256({ sub: '987654321', aud: CLIENT_AUDIENCE, iat: now(), exp: now() + 3600 }, clientSigningKey(ctx.config.jwtSecret));
    expectProblem(await follow(token, account.appid), 401, 'UNAUTHORIZED');
  });
});

describe('admin tokens for a user that does not exist', () => {
  const ctx = useTestContext();

  it('get 401, not 500', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = signHs256({ sub: '987654321', aud: ADMIN_AUDIENCE, iat: now, exp: now + 3600 }, ctx.config.jwtSecret);
    const headers = { authorization: `Bearer ${token}` };
    expectProblem(await ctx.app.inject({ method: 'POST', url: '/v1/accounts', headers, payload: { name: 'ghost' } }), 401, 'UNAUTHORIZED');
    expectProblem(await ctx.app.inject({ method: 'GET', url: '/v1/accounts', headers }), 401, 'UNAUTHORIZED');
  });
});

describe('rate limits of the /client/v1 simulator', () => {
  const ctx = useTestContext({
    CLIENT_RATE_LIMIT_PER_MINUTE: '3',
    CLIENT_IP_RATE_LIMIT_PER_MINUTE: '10',
    CLIENT_SIGNUP_RATE_LIMIT_PER_MINUTE: '2',
  });

  const createUser = (remoteAddress: string) =>
    ctx.app.inject({ method: 'POST', url: '/client/v1/users', remoteAddress, payload: { nickname: 'limited' } });
  async function token(remoteAddress: string): Promise<string> {
    const response = await createUser(remoteAddress);
    expect(response.statusCode, response.body).toBe(201);
    return response.json().token;
  }
  const follow = (userToken: string, appid: string, remoteAddress: string) =>
    ctx.app.inject({
      method: 'POST',
      url: '/client/v1/follows',
      remoteAddress,
      headers: { authorization: `Bearer ${userToken}` },
      payload: { appid, scene: 'ADD_SCENE_SEARCH' },
    });

  it('limit user creation per IP, with Retry-After', async () => {
    expect((await createUser('198.51.100.1')).statusCode).toBe(201);
    expect((await createUser('198.51.100.1')).statusCode).toBe(201);
    const refused = await createUser('198.51.100.1');
    expectProblem(refused, 429, 'RATE_LIMITED');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect((await createUser('198.51.100.2')).statusCode).toBe(201);
  });

  it('limit each user, whatever address they come from', async () => {
    const account = await createAccount(ctx.app, await registerAdmin(ctx.app));
    const [first, second] = [await token('198.51.100.3'), await token('198.51.100.3')];
    const responses = [];
    for (let i = 0; i < 4; i++) responses.push(await follow(first, account.appid, `198.51.100.${10 + i}`));
    expect(responses.map((r) => r.statusCode)).toEqual([201, 200, 200, 429]);
    expectProblem(responses[3]!, 429, 'RATE_LIMITED');
    expect(Number(responses[3]!.headers['retry-after'])).toBeGreaterThan(0);
    expect((await follow(second, account.appid, '198.51.100.10')).statusCode).toBe(201);
  });

  it('limit each IP across users, before the token is even checked', async () => {
    const account = await createAccount(ctx.app, await registerAdmin(ctx.app));
    const tokens = [await token('198.51.100.4'), await token('198.51.100.4'), await token('198.51.100.5'), await token('198.51.100.5')];
    const statuses = [];
    for (const userToken of tokens) for (let i = 0; i < 2; i++) statuses.push((await follow(userToken, account.appid, '198.51.100.6')).statusCode);
    expect(statuses).toEqual([201, 200, 201, 200, 201, 200, 201, 200]);
    const badTokens = [];
    for (let i = 0; i < 3; i++) badTokens.push(await follow('not.a.token', account.appid, '198.51.100.6'));
    expect(badTokens.map((r) => r.statusCode)).toEqual([401, 401, 429]);
    expectProblem(badTokens[2]!, 429, 'RATE_LIMITED');
  });
});

describe('CLIENT_API_ENABLED=false', () => {
  const ctx = useTestContext({ CLIENT_API_ENABLED: 'false' });

  it('removes the /client/v1 surface and leaves the admin API', async () => {
    expectProblem(await ctx.app.inject({ method: 'POST', url: '/client/v1/users', payload: { nickname: 'nobody' } }), 404, 'NOT_FOUND');
    const admin = await registerAdmin(ctx.app);
    const account = await createAccount(ctx.app, admin);
    const now = Math.floor(Date.now() / 1000);
    const token = signHs256({ sub: '1', aud: CLIENT_AUDIENCE, iat: now, exp: now + 3600 }, clientSigningKey(ctx.config.jwtSecret));
    const followed = await ctx.app.inject({
      method: 'POST',
      url: '/client/v1/follows',
      headers: { authorization: `Bearer ${token}` },
      payload: { appid: account.appid, scene: 'ADD_SCENE_SEARCH' },
    });
    expectProblem(followed, 404, 'NOT_FOUND');
  });
});
