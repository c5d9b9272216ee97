import { describe, expect, it } from 'vitest';
import { createAccount, expectProblem, registerAdmin, uniqueEmail, type AdminSession } from '../helpers/admin.js';
import { newsMessage, sendBroadcast } from '../helpers/broadcasts.js';
import { createWechatUser, follow, followers, unfollow } from '../helpers/client.js';
import { useTestContext } from '../helpers/context.js';

/**
 * Hostile input: whatever a client sends, the answer is a 4xx problem with a stable code, never a 500 from
 * PostgreSQL and never a silent acceptance.
 */
const ctx = useTestContext();

async function setup() {
  const owner = await registerAdmin(ctx.app);
  const account = await createAccount(ctx.app, owner);
  return { owner, account };
}

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
const inject = (session: { headers: { authorization: string } } | undefined, method: Method, url: string, payload?: unknown) =>
  ctx.app.inject({ method, url, ...(session ? { headers: session.headers } : {}), ...(payload === undefined ? {} : { payload: payload as object }) });

async function createTag(owner: AdminSession, accountId: number, name: string): Promise<number> {
  const response = await inject(owner, 'POST', `/v1/accounts/${accountId}/tags`, { name });
  expect(response.statusCode, response.body).toBe(201);
  return response.json().id;
}

const NUL = '\u0000';

describe('a NUL character is refused as 400 VALIDATION_FAILED naming the field, on every route', () => {
  it('in the unauthenticated WeChat user sign-up', async () => {
    const response = await inject(undefined, 'POST', '/client/v1/users', { nickname: `bad${NUL}name` });
    expect(expectProblem(response, 400, 'VALIDATION_FAILED').detail).toMatch(/body\/nickname/);
    const city = await inject(undefined, 'POST', '/client/v1/users', { nickname: 'ok', city: `深${NUL}圳` });
    expect(expectProblem(city, 400, 'VALIDATION_FAILED').detail).toMatch(/body\/city/);
  });

  it('in account names, tag names and remarks', async () => {
    const { owner, account } = await setup();
    const [fan] = await followers(ctx.app, account.appid, 1);
    const tagId = await createTag(owner, account.id, 'vip');
    const cases: Array<[Method, string, unknown, RegExp]> = [
      ['POST', '/v1/accounts', { name: `Shop${NUL}` }, /body\/name/],
      ['POST', `/v1/accounts/${account.id}/tags`, { name: `t${NUL}` }, /body\/name/],
      ['PATCH', `/v1/accounts/${account.id}/tags/${tagId}`, { name: `${NUL}` }, /body\/name/],
      ['PUT', `/v1/accounts/${account.id}/followers/${fan!.openid}/remark`, { remark: `a${NUL}b` }, /body\/remark/],
      ['POST', `/v1/accounts/${account.id}/blacklist`, { openids: [fan!.openid, `o${NUL}`] }, /body\/openids\/1/],
    ];
    for (const [method, url, payload, field] of cases) {
      const response = await inject(owner, method, url, payload);
      expect(expectProblem(response, 400, 'VALIDATION_FAILED').detail, `${method} ${url}`).toMatch(field);
    }
  });

  it('in path parameters and query strings', async () => {
    const { owner, account } = await setup();
    const path = await inject(owner, 'GET', `/v1/accounts/${account.id}/followers/o%00abc`);
    expect(expectProblem(path, 400, 'VALIDATION_FAILED').detail).toMatch(/params\/openid/);
    const remark = await inject(owner, 'PUT', `/v1/accounts/${account.id}/followers/%00/remark`, { remark: 'x' });
    expect(expectProblem(remark, 400, 'VALIDATION_FAILED').detail).toMatch(/params\/openid/);
    const query = await inject(owner, 'GET', `/v1/accounts/${account.id}/followers?cursor=%00`);
    expect(expectProblem(query, 400, 'VALIDATION_FAILED').detail).toMatch(/querystring\/cursor/);
  });

  it('in messages, follows and the QR scene string sent by WeChat users', async () => {
    const { account } = await setup();
    const user = await createWechatUser(ctx.app);
    const qr = await inject(user, 'POST', '/client/v1/follows', { appid: account.appid, scene: 'ADD_SCENE_QR_CODE', qrScene: `promo${NUL}` });
    expect(expectProblem(qr, 400, 'VALIDATION_FAILED').detail).toMatch(/body\/qrScene/);
    await follow(ctx.app, user, account.appid);
    const text = await inject(user, 'POST', '/client/v1/messages', { appid: account.appid, msgType: 'text', content: `hi${NUL}` });
    expect(expectProblem(text, 400, 'VALIDATION_FAILED').detail).toMatch(/body\/content/);
    const link = await inject(user, 'POST', '/client/v1/messages', { appid: account.appid, msgType: 'link', title: 't', description: `${NUL}`, url: 'https://example.com/' });
    expect(expectProblem(link, 400, 'VALIDATION_FAILED').detail).toMatch(/body\/description/);
  });

  it('in broadcasts: text, article fields and clientMsgId', async () => {
    const { owner, account } = await setup();
    const news = newsMessage(2);
    news.articles[1]!.content = `<p>body${NUL}</p>`;
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ target: { all: true }, message: { type: 'text', content: `hello${NUL}` } }, /body\/message\/content/],
      [{ target: { all: true }, message: news }, /body\/message\/articles\/1\/content/],
      [{ target: { all: true }, message: { type: 'text', content: 'hello' }, clientMsgId: `id${NUL}` }, /body\/clientMsgId/],
      [{ target: { openids: ['oA', `oB${NUL}`] }, message: { type: 'text', content: 'hello' } }, /body\/target\/openids\/1/],
    ];
    for (const [payload, field] of cases) {
      expect(expectProblem(await sendBroadcast(ctx.app, owner, account.id, payload), 400, 'VALIDATION_FAILED').detail).toMatch(field);
    }
    const preview = await inject(owner, 'POST', `/v1/accounts/${account.id}/broadcasts/preview`, { openids: ['oA'], message: { type: 'text', content: NUL } });
    expect(expectProblem(preview, 400, 'VALIDATION_FAILED').detail).toMatch(/body\/message\/content/);
    // Nothing was sent, so the day's unit is still there.
    expect((await inject(owner, 'GET', `/v1/accounts/${account.id}/quota`)).json().used).toBe(0);
  });

  it('in an object key', async () => {
    const { owner } = await setup();
    const response = await ctx.app.inject({
      method: 'POST',
      url: '/v1/accounts',
      headers: { ...owner.headers, 'content-type': 'application/json' },
      payload: '{"name":"ok","x\\u0000":1}',
    });
    expectProblem(response, 400, 'VALIDATION_FAILED');
  });
});

describe('integers are held to what their column can store', () => {
  const INT4_MAX = 2_147_483_647;

  it('a tag id above 2^31-1 is refused in the path, the query and the body', async () => {
    const { owner, account } = await setup();
    const big = INT4_MAX + 1;
    const cases: Array<[Method, string, unknown, RegExp]> = [
      ['PATCH', `/v1/accounts/${account.id}/tags/${big}`, { name: 'x' }, /params\/tagId/],
      ['DELETE', `/v1/accounts/${account.id}/tags/${big}`, undefined, /params\/tagId/],
      ['POST', `/v1/accounts/${account.id}/tags/${big}/members`, { openids: ['oA'] }, /params\/tagId/],
      ['GET', `/v1/accounts/${account.id}/followers?tagId=${big}`, undefined, /querystring\/tagId/],
      ['POST', `/v1/accounts/${account.id}/broadcasts`, { target: { tagId: big }, message: { type: 'text', content: 'hi' } }, /body\/target\/tagId/],
    ];
    for (const [method, url, payload, field] of cases) {
      const response = await inject(owner, method, url, payload);
      expect(expectProblem(response, 400, 'VALIDATION_FAILED').detail, `${method} ${url}`).toMatch(field);
    }
    // The largest int4 is a valid id that simply does not exist.
    expectProblem(await inject(owner, 'DELETE', `/v1/accounts/${account.id}/tags/${INT4_MAX}`), 404, 'TAG_NOT_FOUND');
  });

  it('a QR scene id is a positive 32-bit integer, as WeChat scene_id is', async () => {
    const { owner, account } = await setup();
    const user = await createWechatUser(ctx.app);
    for (const qrScene of [INT4_MAX + 1, 4_294_967_295]) {
      const response = await inject(user, 'POST', '/client/v1/follows', { appid: account.appid, scene: 'ADD_SCENE_QR_CODE', qrScene });
      expect(expectProblem(response, 400, 'VALIDATION_FAILED').detail).toMatch(/qrScene/);
    }
    const ok = await inject(user, 'POST', '/client/v1/follows', { appid: account.appid, scene: 'ADD_SCENE_QR_CODE', qrScene: INT4_MAX });
    expect(ok.statusCode, ok.body).toBe(201);
    const info = await inject(owner, 'GET', `/v1/accounts/${account.id}/followers/${ok.json().openid}`);
    expect(info.json().qrScene).toBe(INT4_MAX);
  });

  it('an id beyond 2^53 is refused rather than rounded', async () => {
    const { owner } = await setup();
    const response = await inject(owner, 'GET', '/v1/accounts/9007199254740993');
    expect(expectProblem(response, 400, 'VALIDATION_FAILED').detail).toMatch(/params\/id/);
  });
});

describe('ids and integers in paths and queries are plain decimal digits', () => {
  it.each([
    ['an exponent', (id: number) => `${id}e0`],
    ['hexadecimal', (id: number) => `0x${id.toString(16)}`],
    ['a plus sign', (id: number) => `+${id}`],
    ['a leading zero', (id: number) => `0${id}`],
    ['a decimal point', (id: number) => `${id}.0`],
    ['surrounding space', (id: number) => `%20${id}`],
    ['an empty value', () => ''],
  ])('an account id with %s is 400, not another account', async (_what, spell) => {
    const { owner, account } = await setup();
    const response = await inject(owner, 'GET', `/v1/accounts/${spell(account.id)}/quota`);
    expect(expectProblem(response, 400, 'VALIDATION_FAILED').detail).toMatch(/params\/id/);
    expect((await inject(owner, 'GET', `/v1/accounts/${account.id}/quota`)).statusCode).toBe(200);
  });

  it('1e3 is not account 1000', async () => {
    const { owner } = await setup();
    expectProblem(await inject(owner, 'GET', '/v1/accounts/1e3'), 400, 'VALIDATION_FAILED');
  });

  it('the same holds for second ids in the path and for integers in the query', async () => {
    const { owner, account } = await setup();
    const tagId = await createTag(owner, account.id, 'vip');
    const cases: Array<[Method, string, RegExp]> = [
      ['DELETE', `/v1/accounts/${account.id}/tags/0${tagId}`, /params\/tagId/],
      ['DELETE', `/v1/accounts/${account.id}/members/${owner.userId}e0`, /params\/userId/],
      ['GET', `/v1/accounts/${account.id}/broadcasts/0x1`, /params\/bid/],
      ['GET', `/v1/accounts/${account.id}/followers?limit=1e1`, /querystring\/limit/],
      ['GET', `/v1/accounts/${account.id}/followers?tagId=+${tagId}`, /querystring\/tagId/],
      ['DELETE', `/v1/accounts/${account.id}/broadcasts/1?articleIndex=01`, /querystring\/articleIndex/],
    ];
    for (const [method, url, field] of cases) {
      expect(expectProblem(await inject(owner, method, url), 400, 'VALIDATION_FAILED').detail, `${method} ${url}`).toMatch(field);
    }
    const listed = await inject(owner, 'GET', `/v1/accounts/${account.id}/followers?limit=10&tagId=${tagId}`);
    expect(listed.statusCode, listed.body).toBe(200);
  });
});

describe('bodies that are not JSON', () => {
  it.each([
    ['text/plain', 'name=Shop'],
    ['text/plain; charset=utf-8', '{"name":"Shop"}'],
    ['application/x-www-form-urlencoded', 'name=Shop'],
  ])('a %s body is 415 UNSUPPORTED_MEDIA_TYPE', async (contentType, payload) => {
    const { owner } = await setup();
    const response = await ctx.app.inject({ method: 'POST', url: '/v1/accounts', headers: { ...owner.headers, 'content-type': contentType }, payload });
    expectProblem(response, 415, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('also on the unauthenticated routes', async () => {
    const signUp = await ctx.app.inject({ method: 'POST', url: '/client/v1/users', headers: { 'content-type': 'text/plain' }, payload: 'nickname' });
    expectProblem(signUp, 415, 'UNSUPPORTED_MEDIA_TYPE');
    const login = await ctx.app.inject({ method: 'POST', url: '/v1/auth/login', headers: { 'content-type': 'text/plain' }, payload: 'x' });
    expectProblem(login, 415, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('a body without a content type is 415 too', async () => {
    const response = await ctx.app.inject({ method: 'POST', url: '/client/v1/users', payload: '{"nickname":"x"}' });
    expect(response.raw.req.headers['content-type']).toBeUndefined();
    expectProblem(response, 415, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('the OpenAPI document says which routes may answer 400 and 415', async () => {
    const spec = (await ctx.app.inject({ method: 'GET', url: '/docs/json' })).json();
    expect(Object.keys(spec.paths['/v1/accounts/{id}/quota'].get.responses)).toContain('400');
    expect(Object.keys(spec.paths['/v1/accounts'].post.responses)).toEqual(expect.arrayContaining(['400', '415']));
  });
});

describe('content that is empty in disguise', () => {
  it.each(['<p> </p>', '<p>&nbsp;</p>', '<p><br></p>', '<section><span>\u200b</span></section>', '<img src="javascript:alert(1)">'])(
    'article content %j is refused',
    async (content) => {
      const { owner, account } = await setup();
      const message = newsMessage(1);
      message.articles[0]!.content = content;
      const response = await sendBroadcast(ctx.app, owner, account.id, { target: { all: true }, message });
      expect(expectProblem(response, 400, 'VALIDATION_FAILED').detail).toMatch(/content/);
      expect((await inject(owner, 'GET', `/v1/accounts/${account.id}/quota`)).json().used).toBe(0);
    },
  );

  it('an article of a single image is content', async () => {
    const { owner, account } = await setup();
    const message = newsMessage(1);
    message.articles[0]!.content = '<p><img src="https://example.com/a.png"></p>';
    const response = await sendBroadcast(ctx.app, owner, account.id, { target: { all: true }, message });
    expect(response.statusCode, response.body).toBe(202);
  });

  it.each(['https://', 'http://', 'https:///path', 'https://:443/', 'https://@/x', 'https://exa mple.com/', 'ftp://example.com/a.png', '//example.com/a.png'])(
    'the URL %j is refused: media URLs are absolute http(s) with a host',
    async (url) => {
      const { owner, account } = await setup();
      const image = await sendBroadcast(ctx.app, owner, account.id, { target: { all: true }, message: { type: 'image', imageUrl: url } });
      expect(expectProblem(image, 400, 'VALIDATION_FAILED').detail).toMatch(/imageUrl/);
      const message = newsMessage(1);
      message.articles[0]!.thumbUrl = url;
      const news = await sendBroadcast(ctx.app, owner, account.id, { target: { all: true }, message });
      expect(expectProblem(news, 400, 'VALIDATION_FAILED').detail).toMatch(/thumbUrl/);
    },
  );

  it.each(['https://example.com', 'http://127.0.0.1:8080/a.png', 'https://user@example.com/a.png?x=1#y', 'https://[::1]/a.png'])('the URL %j is accepted', async (url) => {
    const { owner, account } = await setup();
    const image = await sendBroadcast(ctx.app, owner, account.id, { target: { all: true }, message: { type: 'image', imageUrl: url } });
    expect(image.statusCode, image.body).toBe(202);
  });

  it('an all-space password is refused at registration', async () => {
    for (const password of [' '.repeat(12), '\t\n        ']) {
      const response = await inject(undefined, 'POST', '/v1/auth/register', { email: uniqueEmail(), password });
      expect(expectProblem(response, 400, 'VALIDATION_FAILED').detail).toMatch(/password/);
    }
    const spaced = await inject(undefined, 'POST', '/v1/auth/register', { email: uniqueEmail(), password: '  pass phrase  ' });
    expect(spaced.statusCode, spaced.body).toBe(201);
  });
});

describe('a follower who unfollowed', () => {
  it("is shown as WeChat's user info shows them: subscribe 0, openid and unionid only", async () => {
    const { owner, account } = await setup();
    const user = await createWechatUser(ctx.app, { nickname: 'Gone' });
    const created = await inject(user, 'POST', '/client/v1/follows', { appid: account.appid, scene: 'ADD_SCENE_QR_CODE', qrScene: 42 });
    const openid: string = created.json().openid;
    const tagId = await createTag(owner, account.id, 'vip');
    expect((await inject(owner, 'POST', `/v1/accounts/${account.id}/tags/${tagId}/members`, { openids: [openid] })).statusCode).toBe(200);
    expect((await inject(owner, 'PUT', `/v1/accounts/${account.id}/followers/${openid}/remark`, { remark: 'regular' })).statusCode).toBe(200);
    const before = (await inject(owner, 'GET', `/v1/accounts/${account.id}/followers/${openid}`)).json();
    expect(before).toMatchObject({ subscribe: 1, nickname: 'Gone', remark: 'regular', tagidList: [tagId], qrScene: 42 });

    await unfollow(ctx.app, user, account.appid);
    const after = await inject(owner, 'GET', `/v1/accounts/${account.id}/followers/${openid}`);
    expect(after.statusCode, after.body).toBe(200);
    expect(after.json()).toEqual({ subscribe: 0, openid, unionid: before.unionid });
    expect(before.unionid).toMatch(/^o/);

    // Following again shows the profile once more.
    await follow(ctx.app, user, account.appid);
    expect((await inject(owner, 'GET', `/v1/accounts/${account.id}/followers/${openid}`)).json()).toMatchObject({ subscribe: 1, nickname: 'Gone' });
  });
});
