import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { CONDITIONAL_MENU_LIMITS } from '../../src/modules/menus/conditional-menu.js';
import { addMember, createAccount, expectProblem, registerAdmin, type AdminSession, type CreatedAccount } from '../helpers/admin.js';
import { createWechatUser, follow, type WechatUserSession } from '../helpers/client.js';
import { useTestContext } from '../helpers/context.js';
import { accessToken, capableAccount, cgi, expectErrcode } from '../helpers/wechat.js';
import { serveAccount, useWorkerWithReceivers } from '../helpers/wechat-receiver.js';
import { waitFor } from '../helpers/worker.js';

const ctx = useTestContext();
const { receivers } = useWorkerWithReceivers(ctx);


const DEFAULT_MENU = {
  button: [
    { type: 'click', name: '默认', key: 'DEFAULT_KEY' },
    { type: 'view', name: '官网', url: 'https://example.com/' },
  ],
};

/** A conditional menu's buttons, told apart by `label`. */
const buttonsOf = (label: string) => [
  { type: 'click', name: label, key: `${label}_KEY` },
  { name: '更多', sub_button: [{ type: 'view', name: '专享', url: `https://vip.example.com/${label}` }] },
];

async function menuAccount(options: { type?: 'subscription' | 'service'; verified?: boolean; withMenu?: boolean } = {}) {
  const owner = await registerAdmin(ctx.app);
  const account = await createAccount(ctx.app, owner);
  await capableAccount(ctx.app, owner, account, { type: options.type ?? 'service', verified: options.verified ?? true });
  const token = await accessToken(ctx.app, account);
  if (options.withMenu ?? true) expect(await cgi(ctx.app, 'POST', '/cgi-bin/menu/create', token, { body: DEFAULT_MENU })).toEqual({ errcode: 0, errmsg: 'ok' });
  return { owner, account, token };
}

const addConditional = (token: string, body: unknown) => cgi(ctx.app, 'POST', '/cgi-bin/menu/addconditional', token, { body });
const tryMatch = (token: string, body: unknown) => cgi(ctx.app, 'POST', '/cgi-bin/menu/trymatch', token, { body });

/** Adds a conditional menu and returns its menuid (a string, as WeChat answers it). */
async function added(token: string, label: string, matchrule: Record<string, unknown>): Promise<string> {
  const answer = await addConditional(token, { button: buttonsOf(label), matchrule });
  expect(answer, JSON.stringify(answer)).toEqual({ menuid: expect.stringMatching(/^[1-9][0-9]*$/) });
  return answer.menuid as string;
}

async function createTag(token: string, name: string): Promise<number> {
  const answer = await cgi(ctx.app, 'POST', '/cgi-bin/tags/create', token, { body: { tag: { name } } });
  return (answer.tag as { id: number }).id;
}

async function tagFollowers(token: string, tagid: number, openids: string[]) {
  expect(await cgi(ctx.app, 'POST', '/cgi-bin/tags/members/batchtagging', token, { body: { openid_list: openids, tagid } })).toEqual({ errcode: 0, errmsg: 'ok' });
}

async function fan(account: CreatedAccount, profile: Record<string, unknown> = {}): Promise<WechatUserSession & { openid: string }> {
  const user = await createWechatUser(ctx.app, profile);
  return { ...user, openid: await follow(ctx.app, user, account.appid) };
}

/** The menu the client shows the user: its menuId and the label of its first button. */
async function seenBy(account: CreatedAccount, user: WechatUserSession, platform?: string): Promise<{ menuId: number; label: string }> {
  const response = await ctx.app.inject({ method: 'GET', url: `/client/v1/accounts/${account.appid}/menu`, headers: user.headers, query: platform ? { platform } : {} });
  expect(response.statusCode, response.body).toBe(200);
  const body = response.json() as { menuId: number; buttons: Array<{ name: string }> };
  return { menuId: body.menuId, label: body.buttons[0]!.name };
}

/** The label trymatch answers for the user. */
async function tryMatchLabel(token: string, body: Record<string, unknown>): Promise<string> {
  const answer = await tryMatch(token, body);
  expect(answer.button, JSON.stringify(answer)).toEqual(expect.any(Array));
  return (answer.button as Array<{ name: string }>)[0]!.name;
}

describe('menu/addconditional, menu/get, menu/delconditional', () => {
  it('adds a conditional menu (menuid as a string); menu/get shows it with its matchrule and menuid after the default menu', async () => {
    const { token } = await menuAccount();
    const tagId = await createTag(token, 'vip');
    const menuid = await added(token, 'VIP', { tag_id: String(tagId), client_platform_type: 2, sex: '', language: 'zh_CN' });

    const got = await cgi(ctx.app, 'GET', '/cgi-bin/menu/get', token);
    expect(got).toEqual({
      menu: {
        button: [
          { type: 'click', name: '默认', key: 'DEFAULT_KEY', sub_button: [] },
          { type: 'view', name: '官网', url: 'https://example.com/', sub_button: [] },
        ],
        menuid: expect.any(Number),
      },
      conditionalmenu: [
        {
          button: [
            { type: 'click', name: 'VIP', key: 'VIP_KEY', sub_button: [] },
            { name: '更多', sub_button: [{ type: 'view', name: '专享', url: 'https://vip.example.com/VIP', sub_button: [] }] },
          ],
          // The given fields only, as strings; the empty sex is no rule.
          matchrule: { tag_id: String(tagId), client_platform_type: '2', language: 'zh_CN' },
          menuid: Number(menuid),
        },
      ],
    });
    expect((got.menu as { menuid: number }).menuid).not.toBe(Number(menuid));

    // A second one comes after the first; delconditional takes the menuid as a string or a number.
    const second = await added(token, 'EN', { language: 'en' });
    expect(Number(second)).toBeGreaterThan(Number(menuid));
    const both = await cgi(ctx.app, 'GET', '/cgi-bin/menu/get', token);
    expect((both.conditionalmenu as Array<{ menuid: number }>).map((menu) => menu.menuid)).toEqual([Number(menuid), Number(second)]);
    expect(await cgi(ctx.app, 'POST', '/cgi-bin/menu/delconditional', token, { body: { menuid } })).toEqual({ errcode: 0, errmsg: 'ok' });
    expect(await cgi(ctx.app, 'POST', '/cgi-bin/menu/delconditional', token, { body: { menuid: Number(second) } })).toEqual({ errcode: 0, errmsg: 'ok' });

    // With none left, menu/get is the plain shape again.
    expect(await cgi(ctx.app, 'GET', '/cgi-bin/menu/get', token)).toEqual({ menu: { button: expect.any(Array) } });
    expectErrcode(await cgi(ctx.app, 'POST', '/cgi-bin/menu/delconditional', token, { body: { menuid } }), 65301);
  });

  it("delconditional is 65301 for a menuid that is no conditional menu of the account's: the default menu's, another account's, garbage", async () => {
    const { token } = await menuAccount();
    const other = await menuAccount();
    const othersMenu = await added(other.token, 'X', { sex: '1' });
    const defaultMenuid = String(((await cgi(ctx.app, 'GET', '/cgi-bin/menu/get', other.token)).menu as { menuid: number }).menuid);
    for (const menuid of [othersMenu, defaultMenuid, 'abc', '', -1, null]) {
      const answer = await cgi(ctx.app, 'POST', '/cgi-bin/menu/delconditional', token, { body: { menuid } });
      expectErrcode(answer, 65301);
      expect(answer.errmsg).toMatch(/^this menu is not conditionalmenu/);
    }
    expectErrcode(await cgi(ctx.app, 'POST', '/cgi-bin/menu/delconditional', other.token, { body: { menuid: defaultMenuid } }), 65301);
    // The other account's menu is still there.
    expect(((await cgi(ctx.app, 'GET', '/cgi-bin/menu/get', other.token)).conditionalmenu as unknown[]).length).toBe(1);
    const empty = await ctx.app.inject({ method: 'POST', url: '/cgi-bin/menu/delconditional', query: { access_token: token } });
    expectErrcode(empty.json(), 44002);
  });

  it('needs a default menu first (65303), and menu/delete removes the conditional menus with it', async () => {
    const { token } = await menuAccount({ withMenu: false });
    const refused = await addConditional(token, { button: buttonsOf('A'), matchrule: { sex: '1' } });
    expectErrcode(refused, 65303);
    expect(refused.errmsg).toMatch(/^there is no selfmenu, please create selfmenu first/);

    await cgi(ctx.app, 'POST', '/cgi-bin/menu/create', token, { body: DEFAULT_MENU });
    await added(token, 'A', { sex: '1' });
    // Replacing the default menu keeps them.
    await cgi(ctx.app, 'POST', '/cgi-bin/menu/create', token, { body: { button: [DEFAULT_MENU.button[0]] } });
    expect((await cgi(ctx.app, 'GET', '/cgi-bin/menu/get', token)).conditionalmenu).toHaveLength(1);

    expect(await cgi(ctx.app, 'GET', '/cgi-bin/menu/delete', token)).toEqual({ errcode: 0, errmsg: 'ok' });
    expectErrcode(await cgi(ctx.app, 'GET', '/cgi-bin/menu/get', token), 46003);
    await cgi(ctx.app, 'POST', '/cgi-bin/menu/create', token, { body: DEFAULT_MENU });
    expect(await cgi(ctx.app, 'GET', '/cgi-bin/menu/get', token)).toEqual({ menu: { button: expect.any(Array) } });
  });

  it(`refuses a menu past ${CONDITIONAL_MENU_LIMITS.domains} linked domains over all conditional menus (65316)`, async () => {
    const { token } = await menuAccount();
    const linking = (...hosts: string[]) => ({ button: hosts.map((host, i) => ({ type: 'view', name: `l${i}`, url: `https://${host}/page` })), matchrule: { sex: '2' } });
    expect(await addConditional(token, linking('a.example', 'b.example'))).toEqual({ menuid: expect.any(String) });
    expect(await addConditional(token, linking('c.example', 'A.example'))).toEqual({ menuid: expect.any(String) });
    const refused = await addConditional(token, linking('d.example'));
    expectErrcode(refused, 65316);
    expect(refused.errmsg).toContain('d.example');
    // A host already linked adds nothing; the default menu's links do not count.
    expect(await addConditional(token, linking('b.example', 'c.example'))).toEqual({ menuid: expect.any(String) });
    expect((await cgi(ctx.app, 'GET', '/cgi-bin/menu/get', token)).conditionalmenu).toHaveLength(3);
  });

  it(`refuses more than ${CONDITIONAL_MENU_LIMITS.menus} conditional menus (65305)`, async () => {
    const { account, token } = await menuAccount();
    for (let i = 0; i < CONDITIONAL_MENU_LIMITS.menus; i++) {
      await ctx.deps.services.menus.addConditional(account.id, { button: [{ type: 'click', name: `m${i}`, key: `K${i}` }], matchrule: { sex: '1' } });
    }
    const refused = await addConditional(token, { button: buttonsOf('over'), matchrule: { sex: '1' } });
    expectErrcode(refused, 65305);
    const count = await ctx.deps.database.db.execute(sql`SELECT count(*)::int AS n FROM conditional_menus WHERE account_id = ${account.id}`);
    expect(count.rows[0]).toEqual({ n: CONDITIONAL_MENU_LIMITS.menus });
  });
});

describe('menu/addconditional validation (§10.1.6)', () => {
  const button = buttonsOf('B');
  const cases: Array<[string, unknown, number]> = [
    ['no matchrule', { button }, 65304],
    ['an empty matchrule', { button, matchrule: {} }, 65304],
    ['only empty rule fields', { button, matchrule: { tag_id: '', sex: '', country: '' } }, 65304],
    ['matchrule as a string', { button, matchrule: 'sex=1' }, 65304],
    ['a province without country', { button, matchrule: { province: '广东' } }, 65310],
    ['a city without province', { button, matchrule: { country: '中国', city: '广州' } }, 65311],
    ['a country that is a number', { button, matchrule: { country: 86 } }, 65312],
    ['a province of 65 characters', { button, matchrule: { country: '中国', province: '省'.repeat(65) } }, 65313],
    ['a city that is an array', { button, matchrule: { country: '中国', province: '广东', city: ['广州'] } }, 65314],
    ['sex 3', { button, matchrule: { sex: '3' } }, 40097],
    ['client_platform_type 4', { button, matchrule: { client_platform_type: '4' } }, 40097],
    ['a language that is no code', { button, matchrule: { language: 'Chinese' } }, 40097],
    ['a tag_id that is no number', { button, matchrule: { tag_id: 'vip' } }, 45159],
    ['a tag_id of no tag of the account', { button, matchrule: { tag_id: '100' } }, 45159],
    // tags.id is int4: a larger id must be refused before it reaches the query (it was -1 system error).
    ['a tag_id past int4 (2^31)', { button, matchrule: { tag_id: 2 ** 31 } }, 45159],
    ['a tag_id of 15 digits', { button, matchrule: { tag_id: '999999999999999' } }, 45159],
    ['buttons are checked as menu/create: four of them', { button: [button[0], button[0], button[0], button[0]], matchrule: { sex: '1' } }, 40016],
    ['buttons are checked as menu/create: a sub url that is not http(s)', { button: [{ name: 'p', sub_button: [{ type: 'view', name: 'v', url: 'ftp://x' }] }], matchrule: { sex: '1' } }, 40054],
    ['no button, but a matchrule', { matchrule: { sex: '1' } }, 40016],
  ];

  it.each(cases.map(([what, body, errcode]) => ({ what, body, errcode })))('$what → $errcode', async ({ body, errcode }) => {
    const { token } = await menuAccount();
    expectErrcode(await addConditional(token, body), errcode);
    // Nothing was stored.
    expect(await cgi(ctx.app, 'GET', '/cgi-bin/menu/get', token)).toEqual({ menu: { button: expect.any(Array) } });
  });

  it('an empty body is 44002', async () => {
    const { token } = await menuAccount();
    const empty = await ctx.app.inject({ method: 'POST', url: '/cgi-bin/menu/addconditional', query: { access_token: token } });
    expectErrcode(empty.json(), 44002);
  });
});

describe('who sees which menu', () => {
  it('a follower in the tag sees the conditional menu, another follower the default one; trymatch agrees', async () => {
    const { account, token } = await menuAccount();
    const [tagged, other] = [await fan(account), await fan(account)];
    const tagId = await createTag(token, '会员');
    await tagFollowers(token, tagId, [tagged.openid]);
    const menuid = await added(token, 'MEMBER', { tag_id: tagId });

    expect(await seenBy(account, tagged)).toEqual({ menuId: Number(menuid), label: 'MEMBER' });
    const defaultSeen = await seenBy(account, other);
    expect(defaultSeen.label).toBe('默认');
    expect(defaultSeen.menuId).not.toBe(Number(menuid));
    expect(await tryMatch(token, { user_id: tagged.openid })).toEqual({
      button: [
        { type: 'click', name: 'MEMBER', key: 'MEMBER_KEY', sub_button: [] },
        { name: '更多', sub_button: [{ type: 'view', name: '专享', url: 'https://vip.example.com/MEMBER', sub_button: [] }] },
      ],
    });
    expect(await tryMatchLabel(token, { user_id: other.openid })).toBe('默认');

    // Untagged, the follower is back to the default menu; a user who does not follow sees the default menu too.
    await cgi(ctx.app, 'POST', '/cgi-bin/tags/members/batchuntagging', token, { body: { openid_list: [tagged.openid], tagid: tagId } });
    expect((await seenBy(account, tagged)).label).toBe('默认');
    const stranger = await createWechatUser(ctx.app);
    expect((await seenBy(account, stranger)).label).toBe('默认');
  });

  it('matches sex, language and region, every given field; the newest matching menu wins', async () => {
    const { account, token } = await menuAccount();
    const woman = await fan(account, { gender: 2, language: 'zh_CN' });
    const englishWoman = await fan(account, { gender: 2, language: 'en' });
    const man = await fan(account, { gender: 1, language: 'zh_CN', country: '中国', province: '广东', city: '广州' });
    const unknown = await fan(account, { gender: 0, language: 'zh_TW', country: '', province: '', city: '' });

    await added(token, 'WOMEN', { sex: '2' });
    await added(token, 'ENGLISH', { language: 'en' });
    await added(token, 'GUANGZHOU_MEN', { sex: 1, country: '中国', province: '广东', city: '广州' });
    await added(token, 'SHENZHEN_MEN', { sex: 1, country: '中国', province: '广东', city: '深圳' });

    expect((await seenBy(account, woman)).label).toBe('WOMEN');
    // Both WOMEN and ENGLISH match her: ENGLISH is newer.
    expect((await seenBy(account, englishWoman)).label).toBe('ENGLISH');
    expect((await seenBy(account, man)).label).toBe('GUANGZHOU_MEN');
    expect((await seenBy(account, unknown)).label).toBe('默认');
    for (const [user, label] of [
      [woman, 'WOMEN'],
      [englishWoman, 'ENGLISH'],
      [man, 'GUANGZHOU_MEN'],
      [unknown, '默认'],
    ] as const) {
      expect(await tryMatchLabel(token, { user_id: user.openid })).toBe(label);
    }
  });

  it("matches the platform the client says (ios, android, other; android when it does not), and trymatch's client_platform_type", async () => {
    const { account, token } = await menuAccount();
    const user = await fan(account);
    await added(token, 'IOS', { client_platform_type: '1' });
    await added(token, 'OTHERS', { client_platform_type: '3' });
    expect((await seenBy(account, user, 'ios')).label).toBe('IOS');
    expect((await seenBy(account, user, 'other')).label).toBe('OTHERS');
    expect((await seenBy(account, user, 'android')).label).toBe('默认');
    expect((await seenBy(account, user)).label).toBe('默认');
    expect(await tryMatchLabel(token, { user_id: user.openid })).toBe('默认');
    expect(await tryMatchLabel(token, { user_id: user.openid, client_platform_type: 1 })).toBe('IOS');
    expectErrcode(await tryMatch(token, { user_id: user.openid, client_platform_type: 'windows' }), 40097);
    const bad = await ctx.app.inject({ method: 'GET', url: `/client/v1/accounts/${account.appid}/menu`, headers: user.headers, query: { platform: 'windows' } });
    expectProblem(bad, 400, 'VALIDATION_FAILED');
  });

  it('trymatch: 65302 for a user_id that is no openid of the account, 46003 without a menu', async () => {
    const { account, token } = await menuAccount();
    const other = await menuAccount();
    const user = await fan(account);
    const elsewhere = await fan(other.account);
    for (const userId of ['weixin', elsewhere.openid, '']) expectErrcode(await tryMatch(token, { user_id: userId }), 65302);
    expectErrcode(await tryMatch(token, {}), 65302);
    await cgi(ctx.app, 'GET', '/cgi-bin/menu/delete', token);
    const none = await tryMatch(token, { user_id: user.openid });
    expectErrcode(none, 46003);
    expect(none.errmsg).toMatch(/^menu no exist/);
  });
});

describe('taps on a conditional menu', () => {
  async function tap(user: WechatUserSession, payload: Record<string, unknown>) {
    return ctx.app.inject({ method: 'POST', url: '/client/v1/menu-clicks', headers: user.headers, payload });
  }

  const pushes = async (accountId: number) =>
    (await ctx.deps.database.db.execute<{ kind: string; status: string }>(sql`SELECT kind, status FROM webhook_pushes WHERE account_id = ${accountId} ORDER BY id`)).rows;

  const settled = (accountId: number, count: number) =>
    waitFor(
      async () => {
        const rows = await pushes(accountId);
        return rows.length >= count && rows.every((row) => row.status !== 'pending') ? rows : undefined;
      },
      { what: `${count} pushes of account ${accountId}` },
    );

  it("push CLICK and VIEW against the conditional menu's menuid; the default menu's buttons are not in the menu the follower sees", async () => {
    const { owner, account, token } = await menuAccount();
    const receiver = await serveAccount(ctx.app, owner, account.id, receivers);
    const user = await fan(account, { gender: 2 });
    await settled(account.id, 1);
    const menuid = Number(await added(token, 'WOMEN', { sex: '2' }));

    const click = await tap(user, { appid: account.appid, key: 'WOMEN_KEY' });
    expect(click.statusCode, click.body).toBe(201);
    expect(click.json()).toEqual({ event: 'CLICK', eventKey: 'WOMEN_KEY', menuId: menuid });
    const view = await tap(user, { appid: account.appid, url: 'https://vip.example.com/WOMEN' });
    expect(view.statusCode, view.body).toBe(201);
    expect(view.json()).toEqual({ event: 'VIEW', eventKey: 'https://vip.example.com/WOMEN', menuId: menuid });
    expectProblem(await tap(user, { appid: account.appid, key: 'DEFAULT_KEY' }), 404, 'NOT_FOUND');
    await settled(account.id, 3);

    const [, clickPush, viewPush] = receiver.pushes;
    expect(clickPush!.field('Event')).toBe('CLICK');
    expect(clickPush!.field('EventKey')).toBe('WOMEN_KEY');
    expect(viewPush!.field('Event')).toBe('VIEW');
    expect(viewPush!.field('EventKey')).toBe('https://vip.example.com/WOMEN');
    expect(viewPush!.xml).toContain(`<MenuId>${menuid}</MenuId>`);
    const stored = await ctx.deps.database.db.execute(sql`SELECT DISTINCT menu_id FROM menu_clicks WHERE account_id = ${account.id}`);
    expect(stored.rows).toEqual([{ menu_id: menuid }]);

    // Once the conditional menu is deleted, its buttons are gone and the default menu's push the default menuid.
    await cgi(ctx.app, 'POST', '/cgi-bin/menu/delconditional', token, { body: { menuid: String(menuid) } });
    expectProblem(await tap(user, { appid: account.appid, key: 'WOMEN_KEY' }), 404, 'NOT_FOUND');
    const defaultMenu = await seenBy(account, user);
    expect(defaultMenu.label).toBe('默认');
    const defaultView = await tap(user, { appid: account.appid, url: 'https://example.com/' });
    expect(defaultView.statusCode, defaultView.body).toBe(201);
    expect(defaultView.json().menuId).toBe(defaultMenu.menuId);
    await settled(account.id, 4);
    expect(receiver.pushes[3]!.xml).toContain(`<MenuId>${defaultMenu.menuId}</MenuId>`);
  });

  it('a tap names the platform the follower is on', async () => {
    const { account, token } = await menuAccount();
    const user = await fan(account);
    const menuid = Number(await added(token, 'IOS', { client_platform_type: '1' }));
    expectProblem(await tap(user, { appid: account.appid, key: 'IOS_KEY' }), 404, 'NOT_FOUND');
    const onIos = await tap(user, { appid: account.appid, key: 'IOS_KEY', platform: 'ios' });
    expect(onIos.statusCode, onIos.body).toBe(201);
    expect(onIos.json().menuId).toBe(menuid);
    expect((await tap(user, { appid: account.appid, key: 'DEFAULT_KEY' })).statusCode).toBe(201);
  });
});

describe('capabilities', () => {
  it('an unverified subscription account gets 48001 on addconditional, delconditional and trymatch; a verified one may', async () => {
    const { token } = await menuAccount({ type: 'subscription', verified: false, withMenu: false });
    for (const [path, body] of [
      ['/cgi-bin/menu/addconditional', { button: buttonsOf('A'), matchrule: { sex: '1' } }],
      ['/cgi-bin/menu/delconditional', { menuid: '400000001' }],
      ['/cgi-bin/menu/trymatch', { user_id: 'o' }],
    ] as const) {
      const answer = await cgi(ctx.app, 'POST', path, token, { body });
      expectErrcode(answer, 48001);
      expect(answer.errmsg).toMatch(/^api unauthorized: conditional_menu /);
    }
    const verified = await menuAccount({ type: 'subscription', verified: true });
    await added(verified.token, 'A', { sex: '1' });
  });
});

describe('admin API: /v1/accounts/:id/menu/conditional', () => {
  const conditional = (who: AdminSession, account: CreatedAccount, method: 'GET' | 'POST', payload?: unknown) =>
    ctx.app.inject({ method, url: `/v1/accounts/${account.id}/menu/conditional`, headers: who.headers, ...(payload === undefined ? {} : { payload: payload as object }) });

  it('adds, lists (newest first) and deletes conditional menus with the JSON of menu/addconditional; /cgi-bin sees them', async () => {
    const { owner, account, token } = await menuAccount();
    const first = await conditional(owner, account, 'POST', { button: buttonsOf('A'), matchrule: { sex: '1' } });
    expect(first.statusCode, first.body).toBe(201);
    expect(first.json()).toEqual({ menuId: expect.any(Number), button: buttonsOf('A'), matchrule: { sex: '1' }, createdAt: expect.any(String) });
    const second = await conditional(owner, account, 'POST', { button: buttonsOf('B'), matchrule: { language: 'en', sex: '' } });
    expect(second.json().matchrule).toEqual({ language: 'en' });

    const listed = await conditional(owner, account, 'GET');
    expect(listed.statusCode, listed.body).toBe(200);
    expect(listed.json().items).toEqual([second.json(), first.json()]);
    expect(((await cgi(ctx.app, 'GET', '/cgi-bin/menu/get', token)).conditionalmenu as Array<{ menuid: number }>).map((m) => m.menuid)).toEqual([
      first.json().menuId,
      second.json().menuId,
    ]);

    const url = `/v1/accounts/${account.id}/menu/conditional/${first.json().menuId}`;
    expect((await ctx.app.inject({ method: 'DELETE', url, headers: owner.headers })).statusCode).toBe(204);
    const again = await ctx.app.inject({ method: 'DELETE', url, headers: owner.headers });
    expect(expectProblem(again, 404, 'NOT_FOUND').errcode).toBe(65301);
    expect((await conditional(owner, account, 'GET')).json().items).toEqual([second.json()]);

    // Deleting the default menu deletes them too.
    expect((await ctx.app.inject({ method: 'DELETE', url: `/v1/accounts/${account.id}/menu`, headers: owner.headers })).statusCode).toBe(204);
    expect((await conditional(owner, account, 'GET')).json().items).toEqual([]);
  });

  it('lists every violation with its path and errcode; 409 DEFAULT_MENU_MISSING before the default menu', async () => {
    const { owner, account } = await menuAccount();
    const invalid = await conditional(owner, account, 'POST', { button: [{ type: 'click', name: 'x'.repeat(17), key: 'K' }], matchrule: { city: '广州', sex: '9' } });
    const problem = expectProblem(invalid, 400, 'VALIDATION_FAILED');
    expect(problem.errors.map((e: { path: string; errcode: number }) => [e.path, e.errcode])).toEqual([
      ['/button/0/name', 40018],
      ['/matchrule/sex', 40097],
      ['/matchrule/country', 65310],
      ['/matchrule/province', 65311],
    ]);
    expectProblem(await conditional(owner, account, 'POST', { button: buttonsOf('A'), matchrule: { sex: '1', gender: '1' } }), 400, 'VALIDATION_FAILED');
    const hugeTag = expectProblem(await conditional(owner, account, 'POST', { button: buttonsOf('A'), matchrule: { tag_id: '999999999999999' } }), 400, 'VALIDATION_FAILED');
    expect(hugeTag.errors.map((e: { path: string; errcode: number }) => [e.path, e.errcode])).toEqual([['/matchrule/tag_id', 45159]]);

    const bare = await menuAccount({ withMenu: false });
    const missing = expectProblem(await conditional(bare.owner, bare.account, 'POST', { button: buttonsOf('A'), matchrule: { sex: '1' } }), 409, 'DEFAULT_MENU_MISSING');
    expect(missing.errcode).toBe(65303);
  });

  it('is 403 CAPABILITY_NOT_ALLOWED for an account without conditional menus, and needs menu:write to change them', async () => {
    const { owner, account } = await menuAccount({ type: 'subscription', verified: false, withMenu: false });
    // The default menu is open on the console whatever the type.
    expect((await ctx.app.inject({ method: 'PUT', url: `/v1/accounts/${account.id}/menu`, headers: owner.headers, payload: DEFAULT_MENU })).statusCode).toBe(200);
    const refused = expectProblem(await conditional(owner, account, 'POST', { button: buttonsOf('A'), matchrule: { sex: '1' } }), 403, 'CAPABILITY_NOT_ALLOWED');
    expect(refused.detail).toMatch(/^conditional_menu /);
    expectProblem(await conditional(owner, account, 'GET'), 403, 'CAPABILITY_NOT_ALLOWED');
    expectProblem(await ctx.app.inject({ method: 'DELETE', url: `/v1/accounts/${account.id}/menu/conditional/400000001`, headers: owner.headers }), 403, 'CAPABILITY_NOT_ALLOWED');

    const capable = await menuAccount();
    const analyst = await registerAdmin(ctx.app);
    await addMember(ctx.app, capable.owner, capable.account.id, analyst, 'analyst');
    expectProblem(await conditional(analyst, capable.account, 'POST', { button: buttonsOf('A'), matchrule: { sex: '1' } }), 403, 'FORBIDDEN');
    expect((await conditional(analyst, capable.account, 'GET')).statusCode).toBe(200);
  });
});
