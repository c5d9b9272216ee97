import { describe, expect, it } from 'vitest';
import { createAccount, registerAdmin } from '../helpers/admin.js';
import { useTestContext } from '../helpers/context.js';
import { accessToken, capableAccount, cgi, expectErrcode } from '../helpers/wechat.js';

const ctx = useTestContext({ WECHAT_CALL_LIMITS: '{"/cgi-bin/openapi/quota/get": 6}' });

async function setup() {
  const owner = await registerAdmin(ctx.app);
  const account = await createAccount(ctx.app, owner);
  // Verified: some tests call user/get and the datacube, which unverified accounts may not (capability policy).
  await capableAccount(ctx.app, owner, account, { verified: true });
  return { owner, account };
}

/** A cheap token-checked call: the quota of the token interface. */
const probe = (token: string | undefined) => cgi(ctx.app, 'POST', '/cgi-bin/openapi/quota/get', token, { body: { cgi_path: '/cgi-bin/token' } });

describe('access tokens', () => {
  it('issues tokens for an AppID and AppSecret and refuses bad credentials with WeChat codes', async () => {
    const { account } = await setup();
    const get = async (query: Record<string, string>) => (await ctx.app.inject({ method: 'GET', url: '/cgi-bin/token', query })).json();
    const issued = await get({ grant_type: 'client_credential', appid: account.appid, secret: account.appsecret });
    expect(issued).toEqual({ access_token: expect.stringMatching(/^[A-Za-z0-9_-]{50}$/), expires_in: 7200 });
    expectErrcode(await get({ grant_type: 'client_credential', appid: account.appid, secret: '0'.repeat(32) }), 40125);
    expectErrcode(await get({ grant_type: 'client_credential', appid: 'wx0000000000000000', secret: account.appsecret }), 40013);
    expectErrcode(await get({ grant_type: 'password', appid: account.appid, secret: account.appsecret }), 40002);
    expectErrcode(await get({ grant_type: 'client_credential', secret: account.appsecret }), 41002);
    expectErrcode(await get({ grant_type: 'client_credential', appid: account.appid }), 41004);
    expect(await probe(issued.access_token)).toMatchObject({ errcode: 0, quota: { daily_limit: 2000, used: 1 } });
  });

  it('keeps the previous token valid for 5 minutes after a new one, so racing refreshes both work', async () => {
    const { account } = await setup();
    const [first, second] = await Promise.all([accessToken(ctx.app, account), accessToken(ctx.app, account)]);
    expect(first).not.toBe(second);
    expect((await probe(first)).errcode).toBe(0);
    expect((await probe(second)).errcode).toBe(0);
    ctx.clock.advance(5 * 60_000 + 1);
    // Whichever was issued first has been replaced; the other is the current one.
    const answers = [await probe(first), await probe(second)].map((answer) => answer.errcode);
    expect(answers.sort()).toEqual([0, 40001]);
  });

  it('tells a missing, malformed, expired and revoked token apart', async () => {
    const { owner, account } = await setup();
    expectErrcode(await probe(undefined), 41001);
    expectErrcode(await probe('not-a-token'), 40014);
    const token = await accessToken(ctx.app, account);
    ctx.clock.advance(7_200_000);
    expectErrcode(await probe(token), 42001);
    // Resetting the AppSecret revokes what was issued under the old one.
    const fresh = await accessToken(ctx.app, account);
    const reset = await ctx.app.inject({ method: 'POST', url: `/v1/accounts/${account.id}/secret`, headers: owner.headers });
    expect(reset.statusCode, reset.body).toBe(200);
    expectErrcode(await probe(fresh), 40001);
    // Calls with a revoked or expired token count for nothing against the account's limits.
    const renewed = await accessToken(ctx.app, { appid: account.appid, appsecret: reset.json().appsecret });
    expect(await probe(renewed)).toMatchObject({ errcode: 0 });
    const quotaOfQuota = await cgi(ctx.app, 'POST', '/cgi-bin/openapi/quota/get', renewed, { body: { cgi_path: '/cgi-bin/openapi/quota/get' } });
    expect(quotaOfQuota).toMatchObject({ quota: { used: 2 } });
    expect((await probe(await accessToken(ctx.app, { appid: account.appid, appsecret: reset.json().appsecret }))).errcode).toBe(0);
  });

  it('gives the same stable token until its last 5 minutes, and a forced refresh at most every 30 s', async () => {
    const { account } = await setup();
    const stable = async (force?: boolean) =>
      (
        await ctx.app.inject({
          method: 'POST',
          url: '/cgi-bin/stable_token',
          payload: { grant_type: 'client_credential', appid: account.appid, secret: account.appsecret, ...(force === undefined ? {} : { force_refresh: force }) },
        })
      ).json();
    const first = await stable();
    expect(first.expires_in).toBe(7200);
    const again = await stable(false);
    expect(again.access_token).toBe(first.access_token);
    ctx.clock.advance(60_000);
    expect(await stable()).toEqual({ access_token: first.access_token, expires_in: 7140 });
    const forced = await stable(true);
    expect(forced.access_token).not.toBe(first.access_token);
    expect((await stable(true)).access_token).toBe(forced.access_token); // within 30 s: not refreshed
    expect((await probe(first.access_token)).errcode).toBe(0); // the replaced one keeps its 5 minutes
    // Isolated from /cgi-bin/token: a normal token does not replace the stable one.
    await accessToken(ctx.app, account);
    expect((await probe(forced.access_token)).errcode).toBe(0);
    ctx.clock.advance(7_200_000 - 4 * 60_000);
    const renewed = await stable();
    expect(renewed.access_token).not.toBe(forced.access_token);
    expect(renewed.expires_in).toBe(7200);
  });

  it('counts calls per interface and day: 45009 past the limit, quota/get and clear_quota', async () => {
    const { account } = await setup();
    const token = await accessToken(ctx.app, account);
    const quota = (path: string) => cgi(ctx.app, 'POST', '/cgi-bin/openapi/quota/get', token, { body: { cgi_path: path } });
    expect(await quota('/cgi-bin/openapi/quota/get')).toMatchObject({ errcode: 0, quota: { daily_limit: 6, used: 1, remain: 5 } });
    for (let i = 0; i < 4; i++) expect((await quota('/cgi-bin/token')).errcode).toBe(0);
    expect(await quota('/cgi-bin/user/get')).toMatchObject({ errcode: 0, quota: { daily_limit: 500, used: 0, remain: 500 } });
    expectErrcode(await quota('/cgi-bin/token'), 45009);
    expectErrcode(await quota('/cgi-bin/token'), 45009);
    expectErrcode(await cgi(ctx.app, 'POST', '/cgi-bin/clear_quota', token, { body: { appid: 'wx0000000000000000' } }), 40013);
    expect(await cgi(ctx.app, 'POST', '/cgi-bin/clear_quota', token, { body: { appid: account.appid } })).toEqual({ errcode: 0, errmsg: 'ok' });
    expect(await quota('/cgi-bin/openapi/quota/get')).toMatchObject({ quota: { used: 1 } });
    expectErrcode(await quota('/cgi-bin/no/such'), 76021);
    // The next day starts from zero (days in QUOTA_TIMEZONE).
    for (let i = 0; i < 5; i++) await quota('/cgi-bin/token');
    expectErrcode(await quota('/cgi-bin/token'), 45009);
    ctx.clock.advance(86_400_000);
    const nextDayToken = await accessToken(ctx.app, account);
    expect(await cgi(ctx.app, 'POST', '/cgi-bin/openapi/quota/get', nextDayToken, { body: { cgi_path: '/cgi-bin/openapi/quota/get' } })).toMatchObject({ quota: { used: 1 } });
    for (let i = 0; i < 9; i++) expect((await cgi(ctx.app, 'POST', '/cgi-bin/clear_quota', nextDayToken, { body: { appid: account.appid } })).errcode).toBe(0);
    expectErrcode(await cgi(ctx.app, 'POST', '/cgi-bin/clear_quota', nextDayToken, { body: { appid: account.appid } }), 48006);
  });

  it('answers every protocol error as HTTP 200 {errcode, errmsg}: bad JSON, empty body, wrong method, unknown path', async () => {
    const { account } = await setup();
    const token = await accessToken(ctx.app, account);
    const raw = async (method: 'GET' | 'POST', url: string, payload?: string, headers: Record<string, string> = {}) => {
      const response = await ctx.app.inject({ method, url, payload, headers });
      expect(response.statusCode, response.body).toBe(200);
      return response.json();
    };
    expectErrcode(await raw('POST', `/cgi-bin/openapi/quota/get?access_token=${token}`, '{"cgi_path":', { 'content-type': 'application/json' }), 47001);
    expectErrcode(await raw('GET', `/cgi-bin/stable_token`), 43002);
    expectErrcode(await raw('POST', `/cgi-bin/token`), 43001);
    expectErrcode(await raw('GET', `/cgi-bin/no/such/interface?access_token=${token}`), 40066);
    expectErrcode(await raw('POST', `/datacube/getnothing?access_token=${token}`, '{}'), 40066);
    expectErrcode(await raw('POST', '/cgi-bin/stable_token', ''), 44002);
    // No Content-Type, a form type or text: the body is JSON all the same; \\u escapes are fine.
    const body = `{"cgi_path":"\\u002fcgi-bin\\u002ftoken"}`;
    for (const headers of [{}, { 'content-type': 'application/x-www-form-urlencoded' }, { 'content-type': 'text/plain' }] as Array<Record<string, string>>) {
      expect(await raw('POST', `/cgi-bin/openapi/quota/get?access_token=${token}`, body, headers)).toMatchObject({ errcode: 0, quota: { daily_limit: 2000 } });
    }
    // Bodies are UTF-8: other bytes, or an escape that is half a character, are 40033 (never stored as U+FFFD).
    expectErrcode(await raw('POST', `/cgi-bin/openapi/quota/get?access_token=${token}`, Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]) as unknown as string), 40033);
    expectErrcode(await raw('POST', `/cgi-bin/openapi/quota/get?access_token=${token}`, '{"cgi_path":"\\ud800"}'), 40033);
    // A repeated access_token: the first one counts.
    expect(await raw('GET', `/cgi-bin/user/get?access_token=${token}&access_token=x`)).toMatchObject({ total: 0, count: 0 });
    // Details quoting the request are cut short.
    const long = await raw('POST', `/datacube/getusersummary?access_token=${token}`, JSON.stringify({ begin_date: '2026-06-01', end_date: '2026-06-01', x: 'y'.repeat(5000) }));
    expect(String(long.errmsg ?? '').length).toBeLessThan(400);
    // The token is checked before the body.
    expectErrcode(await raw('POST', '/cgi-bin/openapi/quota/get', '{', { 'content-type': 'application/json' }), 41001);
  });

  it('serves the datacube views with the token', async () => {
    const { account } = await setup();
    const token = await accessToken(ctx.app, account);
    const yesterday = new Date(ctx.clock.now().getTime() - 86_400_000 + 8 * 3_600_000).toISOString().slice(0, 10);
    expect(await cgi(ctx.app, 'POST', '/datacube/getusercumulate', token, { body: { begin_date: yesterday, end_date: yesterday } })).toEqual({
      list: [{ ref_date: yesterday, user_source: 0, cumulate_user: 0 }],
    });
    expectErrcode(await cgi(ctx.app, 'POST', '/datacube/getusersummary', token, { body: { begin_date: 'yesterday', end_date: yesterday } }), 61500);
    expectErrcode(await cgi(ctx.app, 'POST', '/datacube/getusersummary', undefined, { body: { begin_date: yesterday, end_date: yesterday } }), 41001);
  });
});
