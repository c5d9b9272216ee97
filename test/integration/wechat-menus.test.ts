import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { addMember, createAccount, expectProblem, registerAdmin, type AdminSession, type CreatedAccount } from '../helpers/admin.js';
import { createWechatUser, follow, type WechatUserSession } from '../helpers/client.js';
import { useTestContext } from '../helpers/context.js';
import { accessToken, capableAccount, cgi, expectErrcode } from '../helpers/wechat.js';
import { serveAccount, useWorkerWithReceivers, type WechatReceiver } from '../helpers/wechat-receiver.js';
import { waitFor } from '../helpers/worker.js';

const ctx = useTestContext();
const { receivers } = useWorkerWithReceivers(ctx);


/** The sample body of §10.1.1 (without the mini program), with a parent of several types. */
const MENU = {
  button: [
    { type: 'click', name: '今日歌曲', key: 'V1001_TODAY_MUSIC' },
    {
      name: '菜单',
      sub_button: [
        { type: 'view', name: '搜索', url: 'http://www.soso.com/' },
        { type: 'click', name: '赞一下我们', key: 'V1001_GOOD' },
        { type: 'scancode_push', name: '扫码', key: 'SCAN_1' },
        { type: 'location_select', name: '位置', key: 'LOC_1' },
        { type: 'pic_weixin', name: '相册', key: 'PIC_1' },
      ],
    },
    { type: 'view', name: 'Docs', url: 'https://example.com/docs?a=1' },
  ],
};

async function menuAccount() {
  const owner = await registerAdmin(ctx.app);
  const account = await createAccount(ctx.app, owner);
  await capableAccount(ctx.app, owner, account, { type: 'service', verified: true });
  const token = await accessToken(ctx.app, account);
  return { owner, account, token };
}

const create = (token: string, body: unknown) => cgi(ctx.app, 'POST', '/cgi-bin/menu/create', token, { body });

describe('menu/create, menu/get, menu/delete', () => {
  it('creates a menu and gives it back as WeChat does: every leaf with "sub_button": [], no extra fields', async () => {
    const { token } = await menuAccount();
    expect(await create(token, { ...MENU, button: [{ ...MENU.button[0], extra: 1 }, ...MENU.button.slice(1)] })).toEqual({ errcode: 0, errmsg: 'ok' });
    const got = await cgi(ctx.app, 'GET', '/cgi-bin/menu/get', token);
    expect(got).toEqual({
      menu: {
        button: [
          { type: 'click', name: '今日歌曲', key: 'V1001_TODAY_MUSIC', sub_button: [] },
          {
            name: '菜单',
            sub_button: [
              { type: 'view', name: '搜索', url: 'http://www.soso.com/', sub_button: [] },
              { type: 'click', name: '赞一下我们', key: 'V1001_GOOD', sub_button: [] },
              { type: 'scancode_push', name: '扫码', key: 'SCAN_1', sub_button: [] },
              { type: 'location_select', name: '位置', key: 'LOC_1', sub_button: [] },
              { type: 'pic_weixin', name: '相册', key: 'PIC_1', sub_button: [] },
            ],
          },
          { type: 'view', name: 'Docs', url: 'https://example.com/docs?a=1', sub_button: [] },
        ],
      },
    });
    // What menu/get answers can be posted back as it is.
    expect(await create(token, (got as { menu: unknown }).menu)).toEqual({ errcode: 0, errmsg: 'ok' });
    expect(await cgi(ctx.app, 'GET', '/cgi-bin/menu/get', token)).toEqual(got);
  });

  it('menu/get is 46003 "menu no exist" before any menu and after menu/delete; delete is ok either way', async () => {
    const { token } = await menuAccount();
    expectErrcode(await cgi(ctx.app, 'GET', '/cgi-bin/menu/get', token), 46003);
    expect(await cgi(ctx.app, 'GET', '/cgi-bin/menu/delete', token)).toEqual({ errcode: 0, errmsg: 'ok' });
    await create(token, MENU);
    expect(await cgi(ctx.app, 'GET', '/cgi-bin/menu/delete', token)).toEqual({ errcode: 0, errmsg: 'ok' });
    const answer = await cgi(ctx.app, 'GET', '/cgi-bin/menu/get', token);
    expectErrcode(answer, 46003);
    expect(answer.errmsg).toMatch(/^menu no exist rid: /);
  });

  it('a menu is per account, and menu/create replaces it whole', async () => {
    const first = await menuAccount();
    const second = await menuAccount();
    await create(first.token, MENU);
    expectErrcode(await cgi(ctx.app, 'GET', '/cgi-bin/menu/get', second.token), 46003);
    await create(first.token, { button: [{ type: 'click', name: 'only', key: 'K' }] });
    expect(await cgi(ctx.app, 'GET', '/cgi-bin/menu/get', first.token)).toEqual({ menu: { button: [{ type: 'click', name: 'only', key: 'K', sub_button: [] }] } });
  });

  it('get_current_selfmenu_info answers in its own shape: is_menu_open, sub_button as {list}', async () => {
    const { token } = await menuAccount();
    expect(await cgi(ctx.app, 'GET', '/cgi-bin/get_current_selfmenu_info', token)).toEqual({ is_menu_open: 0, selfmenu_info: { button: [] } });
    await create(token, MENU);
    expect(await cgi(ctx.app, 'GET', '/cgi-bin/get_current_selfmenu_info', token)).toEqual({
      is_menu_open: 1,
      selfmenu_info: {
        button: [
          { type: 'click', name: '今日歌曲', key: 'V1001_TODAY_MUSIC' },
          {
            name: '菜单',
            sub_button: {
              list: [
                { type: 'view', name: '搜索', url: 'http://www.soso.com/' },
                { type: 'click', name: '赞一下我们', key: 'V1001_GOOD' },
                { type: 'scancode_push', name: '扫码', key: 'SCAN_1' },
                { type: 'location_select', name: '位置', key: 'LOC_1' },
                { type: 'pic_weixin', name: '相册', key: 'PIC_1' },
              ],
            },
          },
          { type: 'view', name: 'Docs', url: 'https://example.com/docs?a=1' },
        ],
      },
    });
  });

  it('takes the limits exactly: 16-byte names on top, 60 on sub-buttons, 128-byte keys, 1024-byte URLs, 3 × 5 buttons', async () => {
    const { token } = await menuAccount();
    const url = `https://example.com/${'a'.repeat(1024 - 'https://example.com/'.length)}`;
    const sub = (i: number) => ({ type: 'click', name: `${'子'.repeat(19)}${i}abc`.slice(0, 20), key: `${'k'.repeat(127)}${i}` });
    const body = {
      button: [
        { type: 'view', name: '四个汉字abcd', url },
        { name: 'x'.repeat(16), sub_button: [0, 1, 2, 3, 4].map(sub) },
        { type: 'click', name: 'c', key: 'k'.repeat(128) },
      ],
    };
    expect(Buffer.byteLength(body.button[0]!.name!)).toBe(16);
    expect(Buffer.byteLength(sub(0).name)).toBeLessThanOrEqual(60);
    expect(await create(token, body)).toEqual({ errcode: 0, errmsg: 'ok' });
    // 20 CJK characters are 60 bytes in UTF-8.
    expect(await create(token, { button: [{ name: 'p', sub_button: [{ type: 'click', name: '子'.repeat(20), key: 'k' }] }] })).toEqual({ errcode: 0, errmsg: 'ok' });
  });
});

describe('menu/create validation (§10.1.6)', () => {
  const leaf = { type: 'click', name: 'ok', key: 'K' };
  const cases: Array<[string, unknown, number]> = [
    ['no button field', {}, 40016],
    ['a {"menu": ...} wrapper', { menu: { button: [leaf] } }, 40016],
    ['the get_current_selfmenu_info shape', { is_menu_open: 1, selfmenu_info: { button: [leaf] } }, 40016],
    ['no buttons', { button: [] }, 40016],
    ['four top-level buttons', { button: [leaf, leaf, leaf, leaf] }, 40016],
    ['button as an object', { button: { button: [leaf] } }, 40017],
    ['a console-only type (text)', { button: [{ type: 'text', name: 'x', value: 'hi' }] }, 40017],
    ['no type on a leaf', { button: [{ name: 'x', key: 'K' }] }, 40017],
    ['a top-level name over 16 bytes (6 CJK = 18)', { button: [{ ...leaf, name: '一二三四五六' }] }, 40018],
    ['a top-level name of 17 ASCII bytes', { button: [{ ...leaf, name: 'x'.repeat(17) }] }, 40018],
    ['no name', { button: [{ type: 'click', key: 'K' }] }, 40018],
    ['a key over 128 bytes', { button: [{ ...leaf, key: 'k'.repeat(129) }] }, 40019],
    ['a click without key', { button: [{ type: 'click', name: 'x' }] }, 40019],
    ['a scancode_push without key', { button: [{ type: 'scancode_push', name: 'x' }] }, 40019],
    ['a view url over 1024 bytes', { button: [{ type: 'view', name: 'x', url: `https://e.com/${'a'.repeat(1011)}` }] }, 40020],
    ['a view without url', { button: [{ type: 'view', name: 'x' }] }, 40020],
    ['a view url that is not http(s)', { button: [{ type: 'view', name: 'x', url: 'ftp://example.com/' }] }, 40055],
    ['a third level', { button: [{ name: 'p', sub_button: [{ name: 'q', sub_button: [leaf] }] }] }, 40022],
    ['six sub-buttons', { button: [{ name: 'p', sub_button: [leaf, leaf, leaf, leaf, leaf, leaf] }] }, 40023],
    ['sub_button as {list: [...]}', { button: [{ name: 'p', sub_button: { list: [leaf] } }] }, 40023],
    ['a console-only sub type (news)', { button: [{ name: 'p', sub_button: [{ type: 'news', name: 'x' }] }] }, 40024],
    ['a sub name over 60 bytes', { button: [{ name: 'p', sub_button: [{ ...leaf, name: '子'.repeat(21) }] }] }, 40025],
    ['a sub key over 128 bytes', { button: [{ name: 'p', sub_button: [{ ...leaf, key: 'k'.repeat(129) }] }] }, 40026],
    ['a sub view with key instead of url', { button: [{ name: 'p', sub_button: [{ type: 'view', name: 'x', key: 'K' }] }] }, 40027],
    ['a sub url over 1024 bytes', { button: [{ name: 'p', sub_button: [{ type: 'view', name: 'x', url: `https://e.com/${'a'.repeat(1011)}` }] }] }, 40027],
    ['a sub url that is not http(s)', { button: [{ name: 'p', sub_button: [{ type: 'view', name: 'x', url: 'javascript:alert(1)' }] }] }, 40054],
    ['a media_id button without media_id', { button: [{ type: 'media_id', name: 'x' }] }, 40118],
    ['a media_id that is no material of the account', { button: [{ type: 'media_id', name: 'x', media_id: 'nope' }] }, 40007],
    ['an article_id button without article_id', { button: [{ type: 'article_id', name: 'x' }] }, 65308],
    ['a mini program (none is linked)', { button: [{ type: 'miniprogram', name: 'x', url: 'https://e.com', appid: 'wx286b93c14bbf93aa', pagepath: 'pages/index' }] }, 45064],
  ];

  it.each(cases.map(([what, body, errcode]) => ({ what, body, errcode })))('$what → $errcode', async ({ body, errcode }) => {
    const { token } = await menuAccount();
    const answer = await create(token, body);
    expectErrcode(answer, errcode);
    // Nothing was stored.
    expectErrcode(await cgi(ctx.app, 'GET', '/cgi-bin/menu/get', token), 46003);
  });

  it('names the field in errmsg, reports the first violation, and leaves the current menu as it was', async () => {
    const { token } = await menuAccount();
    await create(token, MENU);
    const answer = await create(token, { button: [leaf, { name: 'p', sub_button: [{ ...leaf, key: '' }] }, { type: 'text', name: 'x' }] });
    expectErrcode(answer, 40026);
    expect(answer.errmsg).toMatch(/^invalid sub button key size: \/button\/1\/sub_button\/0\/key /);
    expect(((await cgi(ctx.app, 'GET', '/cgi-bin/menu/get', token)).menu as { button: unknown[] }).button).toHaveLength(3);
  });

  it('an empty body is 44002, malformed JSON 47001, with any Content-Type', async () => {
    const { token } = await menuAccount();
    const empty = await ctx.app.inject({ method: 'POST', url: '/cgi-bin/menu/create', query: { access_token: token } });
    expectErrcode(empty.json(), 44002);
    const malformed = await ctx.app.inject({ method: 'POST', url: '/cgi-bin/menu/create', query: { access_token: token }, payload: '{"button": [', headers: { 'content-type': 'text/plain' } });
    expectErrcode(malformed.json(), 47001);
  });
});

describe('the follower side', () => {
  async function tap(user: WechatUserSession, payload: Record<string, unknown>) {
    return ctx.app.inject({ method: 'POST', url: '/client/v1/menu-clicks', headers: user.headers, payload });
  }

  async function pushRows(accountId: number) {
    const result = await ctx.deps.database.db.execute<{ kind: string; status: string }>(sql`SELECT kind, status FROM webhook_pushes WHERE account_id = ${accountId} ORDER BY id`);
    return result.rows;
  }

  const settled = (accountId: number, count: number) =>
    waitFor(
      async () => {
        const rows = await pushRows(accountId);
        return rows.length >= count && rows.every((row) => row.status !== 'pending') ? rows : undefined;
      },
      { what: `${count} pushes of account ${accountId}` },
    );

  async function served(): Promise<{ owner: AdminSession; account: CreatedAccount; token: string; receiver: WechatReceiver; user: WechatUserSession; openid: string }> {
    const { owner, account, token } = await menuAccount();
    const receiver = await serveAccount(ctx.app, owner, account.id, receivers);
    await create(token, MENU);
    const user = await createWechatUser(ctx.app);
    const openid = await follow(ctx.app, user, account.appid);
    await settled(account.id, 1);
    return { owner, account, token, receiver, user, openid };
  }

  it('shows the account menu to a WeChat user, and no buttons where there is no menu', async () => {
    const { account, token } = await menuAccount();
    const user = await createWechatUser(ctx.app);
    const none = await ctx.app.inject({ method: 'GET', url: `/client/v1/accounts/${account.appid}/menu`, headers: user.headers });
    expect(none.statusCode, none.body).toBe(200);
    expect(none.json()).toEqual({ appid: account.appid, menuId: null, buttons: [] });
    await create(token, MENU);
    const shown = await ctx.app.inject({ method: 'GET', url: `/client/v1/accounts/${account.appid}/menu`, headers: user.headers });
    expect(shown.json()).toMatchObject({ appid: account.appid, menuId: expect.any(Number), buttons: MENU.button });
    const unauthenticated = await ctx.app.inject({ method: 'GET', url: `/client/v1/accounts/${account.appid}/menu` });
    expect(unauthenticated.statusCode).toBe(401);
    const unknown = await ctx.app.inject({ method: 'GET', url: '/client/v1/accounts/wx0000000000000000/menu', headers: user.headers });
    expectProblem(unknown, 404, 'ACCOUNT_NOT_FOUND');
  });

  it('a CLICK and a VIEW reach the developer server as WeChat pushes them (VIEW with the MenuId)', async () => {
    const { account, receiver, user, openid } = await served();
    const menuId = (await ctx.app.inject({ method: 'GET', url: `/client/v1/accounts/${account.appid}/menu`, headers: user.headers })).json().menuId as number;

    const click = await tap(user, { appid: account.appid, key: 'V1001_GOOD' });
    expect(click.statusCode, click.body).toBe(201);
    expect(click.json()).toEqual({ event: 'CLICK', eventKey: 'V1001_GOOD', menuId });
    const view = await tap(user, { appid: account.appid, url: 'https://example.com/docs?a=1' });
    expect(view.statusCode, view.body).toBe(201);
    await settled(account.id, 3);

    const [, clickPush, viewPush] = receiver.pushes;
    for (const push of [clickPush!, viewPush!]) {
      expect(push.signatureValid).toBe(true);
      expect(push.query.get('openid')).toBe(openid);
      expect(push.field('ToUserName')).toBe(account.originalId);
      expect(push.field('FromUserName')).toBe(openid);
      expect(push.field('CreateTime')).toMatch(/^\d{10}$/);
      expect(push.field('MsgType')).toBe('event');
    }
    expect(clickPush!.xml).toMatch(
      /^<xml><ToUserName><!\[CDATA\[gh_\w+\]\]><\/ToUserName>\n<FromUserName><!\[CDATA\[[\w-]+\]\]><\/FromUserName>\n<CreateTime>\d+<\/CreateTime>\n<MsgType><!\[CDATA\[event\]\]><\/MsgType>\n<Event><!\[CDATA\[CLICK\]\]><\/Event>\n<EventKey><!\[CDATA\[V1001_GOOD\]\]><\/EventKey>\n<\/xml>$/,
    );
    expect(viewPush!.field('Event')).toBe('VIEW');
    expect(viewPush!.field('EventKey')).toBe('https://example.com/docs?a=1');
    // A bare number, not CDATA.
    expect(viewPush!.xml).toContain(`<MenuId>${menuId}</MenuId>`);
  });

  it('scancode, picture and location buttons push their nested blocks', async () => {
    const { account, receiver, user } = await served();
    expect((await tap(user, { appid: account.appid, key: 'SCAN_1', scan: { result: 'https://qr.example/1' } })).statusCode).toBe(201);
    expect((await tap(user, { appid: account.appid, key: 'PIC_1', pics: ['1b5f7c23b5bf75682a53e7b6d163e185'] })).statusCode).toBe(201);
    const located = await tap(user, { appid: account.appid, key: 'LOC_1', location: { latitude: 23.1, longitude: 113.3, scale: 15, label: '广州市海珠区', poiname: '' } });
    expect(located.statusCode, located.body).toBe(201);
    const rows = await settled(account.id, 4);
    expect(rows.map((row) => [row.kind, row.status])).toEqual([
      ['subscribe', 'delivered'],
      ['scancode_push', 'delivered'],
      ['pic_weixin', 'delivered'],
      ['location_select', 'delivered'],
    ]);
    const [, scan, pic, location] = receiver.pushes;
    expect(scan!.xml).toContain(
      '<Event><![CDATA[scancode_push]]></Event>\n<EventKey><![CDATA[SCAN_1]]></EventKey>\n<ScanCodeInfo><ScanType><![CDATA[qrcode]]></ScanType><ScanResult><![CDATA[https://qr.example/1]]></ScanResult></ScanCodeInfo>',
    );
    expect(pic!.xml).toContain('<SendPicsInfo><Count>1</Count><PicList><item><PicMd5Sum><![CDATA[1b5f7c23b5bf75682a53e7b6d163e185]]></PicMd5Sum></item></PicList></SendPicsInfo>');
    expect(location!.xml).toContain(
      '<SendLocationInfo><Location_X><![CDATA[23.1]]></Location_X><Location_Y><![CDATA[113.3]]></Location_Y><Scale><![CDATA[15]]></Scale><Label><![CDATA[广州市海珠区]]></Label><Poiname><![CDATA[]]></Poiname></SendLocationInfo>',
    );
    // The block a type needs is required, and another type's is refused.
    expectProblem(await tap(user, { appid: account.appid, key: 'SCAN_1' }), 400, 'VALIDATION_FAILED');
    expectProblem(await tap(user, { appid: account.appid, key: 'V1001_GOOD', scan: { result: 'x' } }), 400, 'VALIDATION_FAILED');
  });

  it('refuses a button that is not in the current menu, and stores nothing for it', async () => {
    const { account, token, user } = await served();
    const missing = expectProblem(await tap(user, { appid: account.appid, key: 'NO_SUCH_KEY' }), 404, 'NOT_FOUND');
    expect(missing.detail).toContain('NO_SUCH_KEY');
    // A view button is named by its url, never by a key; a url that no view button has is refused too.
    expectProblem(await tap(user, { appid: account.appid, url: 'https://example.com/elsewhere' }), 404, 'NOT_FOUND');
    // After the menu is replaced, the old buttons are gone.
    await create(token, { button: [{ type: 'click', name: 'new', key: 'NEW' }] });
    expectProblem(await tap(user, { appid: account.appid, key: 'V1001_GOOD' }), 404, 'NOT_FOUND');
    await cgi(ctx.app, 'GET', '/cgi-bin/menu/delete', token);
    expectProblem(await tap(user, { appid: account.appid, key: 'NEW' }), 404, 'NOT_FOUND');
    expectProblem(await tap(user, { appid: account.appid }), 400, 'VALIDATION_FAILED');
    expectProblem(await tap(user, { appid: account.appid, key: 'NEW', url: 'https://example.com/' }), 400, 'VALIDATION_FAILED');
    const stored = await ctx.deps.database.db.execute(sql`SELECT count(*)::int AS n FROM menu_clicks WHERE account_id = ${account.id}`);
    expect(stored.rows[0]).toEqual({ n: 0 });
  });

  it('only a follower may tap, and a blacklisted one may not', async () => {
    const { account, token, user, openid } = await served();
    const stranger = await createWechatUser(ctx.app);
    expectProblem(await tap(stranger, { appid: account.appid, key: 'V1001_GOOD' }), 409, 'NOT_FOLLOWING');
    await cgi(ctx.app, 'POST', '/cgi-bin/tags/members/batchblacklist', token, { body: { openid_list: [openid] } });
    expectProblem(await tap(user, { appid: account.appid, key: 'V1001_GOOD' }), 403, 'BLACKLISTED');
  });
});

describe('admin API: /v1/accounts/:id/menu', () => {
  it('puts, gets and deletes the menu with the same JSON as menu/create; /cgi-bin sees the same menu', async () => {
    const { owner, account, token } = await menuAccount();
    const missing = await ctx.app.inject({ method: 'GET', url: `/v1/accounts/${account.id}/menu`, headers: owner.headers });
    expectProblem(missing, 404, 'NOT_FOUND');
    const put = await ctx.app.inject({ method: 'PUT', url: `/v1/accounts/${account.id}/menu`, headers: owner.headers, payload: MENU });
    expect(put.statusCode, put.body).toBe(200);
    expect(put.json()).toEqual({ menuId: expect.any(Number), button: MENU.button, updatedAt: expect.any(String) });
    const got = await ctx.app.inject({ method: 'GET', url: `/v1/accounts/${account.id}/menu`, headers: owner.headers });
    expect(got.json()).toEqual(put.json());
    expect(((await cgi(ctx.app, 'GET', '/cgi-bin/menu/get', token)).menu as { button: unknown[] }).button).toHaveLength(3);
    const again = await ctx.app.inject({ method: 'PUT', url: `/v1/accounts/${account.id}/menu`, headers: owner.headers, payload: MENU });
    expect(again.json().menuId).toBeGreaterThan(put.json().menuId);
    const deleted = await ctx.app.inject({ method: 'DELETE', url: `/v1/accounts/${account.id}/menu`, headers: owner.headers });
    expect(deleted.statusCode).toBe(204);
    expectErrcode(await cgi(ctx.app, 'GET', '/cgi-bin/menu/get', token), 46003);
  });

  it('lists every violation as VALIDATION_FAILED with its path and WeChat errcode', async () => {
    const { owner, account } = await menuAccount();
    const response = await ctx.app.inject({
      method: 'PUT',
      url: `/v1/accounts/${account.id}/menu`,
      headers: owner.headers,
      payload: { button: [{ type: 'click', name: 'x'.repeat(17), key: 'K' }, { name: 'p', sub_button: [{ type: 'view', name: 'v', url: 'ftp://x' }, { type: 'bogus', name: 'b' }] }] },
    });
    const problem = expectProblem(response, 400, 'VALIDATION_FAILED');
    expect(problem.detail).toMatch(/^body\/button\/0\/name /);
    expect(problem.errors.map((e: { path: string; errcode: number }) => [e.path, e.errcode])).toEqual([
      ['/button/0/name', 40018],
      ['/button/1/sub_button/0/url', 40054],
      ['/button/1/sub_button/1/type', 40024],
    ]);
    const wrapped = await ctx.app.inject({ method: 'PUT', url: `/v1/accounts/${account.id}/menu`, headers: owner.headers, payload: { menu: MENU } });
    expectProblem(wrapped, 400, 'VALIDATION_FAILED');
  });

  it('owners and admins set the menu; analysts may only read it; strangers see nothing', async () => {
    const { owner, account } = await menuAccount();
    const [admin, analyst, stranger] = [await registerAdmin(ctx.app), await registerAdmin(ctx.app), await registerAdmin(ctx.app)];
    await addMember(ctx.app, owner, account.id, admin, 'admin');
    await addMember(ctx.app, owner, account.id, analyst, 'analyst');
    const put = (who: AdminSession) => ctx.app.inject({ method: 'PUT', url: `/v1/accounts/${account.id}/menu`, headers: who.headers, payload: MENU });
    expect((await put(admin)).statusCode).toBe(200);
    expectProblem(await put(analyst), 403, 'FORBIDDEN');
    expect((await ctx.app.inject({ method: 'GET', url: `/v1/accounts/${account.id}/menu`, headers: analyst.headers })).statusCode).toBe(200);
    expectProblem(await ctx.app.inject({ method: 'GET', url: `/v1/accounts/${account.id}/menu`, headers: stranger.headers }), 404, 'ACCOUNT_NOT_FOUND');
  });
});
