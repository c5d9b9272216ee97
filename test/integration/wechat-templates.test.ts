import { Agent } from 'node:http';
import WechatAPI from 'co-wechat-api';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { addMember, createAccount, expectProblem, registerAdmin, type AdminSession, type CreatedAccount } from '../helpers/admin.js';
import { createWechatUser, follow, unfollow, type WechatUserSession } from '../helpers/client.js';
import { useTestContext } from '../helpers/context.js';
import { accessToken, capableAccount, cgi, expectErrcode } from '../helpers/wechat.js';
import { serveAccount, useWorkerWithReceivers } from '../helpers/wechat-receiver.js';
import { waitFor } from '../helpers/worker.js';

const ctx = useTestContext();
// The webhook relay, for TEMPLATESENDJOBFINISH.
const { receivers } = useWorkerWithReceivers(ctx);


const MINUTE = 60_000;
const SECOND = 1_000;

/** A verified service account (the only kind with template_message, §10.5) whose industries are 1 (IT科技/互联网|电子商务) and 13 (运输与仓储/快递). */
async function templateAccount(options: { industries?: boolean } = {}) {
  const owner = await registerAdmin(ctx.app);
  const account = await createAccount(ctx.app, owner);
  await capableAccount(ctx.app, owner, account, { type: 'service', verified: true });
  if (options.industries !== false) expect(await call(account, 'POST', '/cgi-bin/template/api_set_industry', { industry_id1: '1', industry_id2: '13' })).toEqual({ errcode: 0, errmsg: 'ok' });
  return { owner, account };
}

/** A WeChat call with a fresh token (tests move the clock past a token's 2 hours). */
async function call(account: CreatedAccount, method: 'GET' | 'POST', path: string, body?: unknown) {
  return cgi(ctx.app, method, path, await accessToken(ctx.app, account), body === undefined ? {} : { body });
}

async function addTemplate(account: CreatedAccount, templateIdShort: string, keywordNames?: string[]): Promise<string> {
  const answer = await call(account, 'POST', '/cgi-bin/template/api_add_template', { template_id_short: templateIdShort, ...(keywordNames ? { keyword_name_list: keywordNames } : {}) });
  expect(answer, JSON.stringify(answer)).toMatchObject({ errcode: 0, errmsg: 'ok', template_id: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) });
  return answer.template_id as string;
}

async function fan(account: CreatedAccount) {
  const user = await createWechatUser(ctx.app);
  return { user, openid: await follow(ctx.app, user, account.appid) };
}

/** message/template/send, with the msgid read from the raw body: a JS number would round a 64-bit id. */
async function send(account: CreatedAccount, body: unknown): Promise<{ answer: Record<string, unknown>; msgid: string | undefined }> {
  const response = await ctx.app.inject({
    method: 'POST',
    url: '/cgi-bin/message/template/send',
    query: { access_token: await accessToken(ctx.app, account) },
    payload: JSON.stringify(body),
    headers: { 'content-type': 'application/json' },
  });
  expect(response.statusCode, response.body).toBe(200);
  return { answer: response.json(), msgid: /"msgid":(\d+)[,}]/.exec(response.body)?.[1] };
}

const paid = (touser: string, templateId: string, extra: Record<string, unknown> = {}) => ({
  touser,
  template_id: templateId,
  url: 'https://shop.example.com/orders/42',
  data: { first: { value: '我们已收到您的货款', color: '#173177' }, orderMoneySum: { value: '30.00元' }, orderProductName: { value: '巧克力' }, Remark: { value: '谢谢惠顾' } },
  ...extra,
});

async function inbox(user: WechatUserSession, account: CreatedAccount) {
  const response = await ctx.app.inject({ method: 'GET', url: `/client/v1/inbox?appid=${account.appid}`, headers: user.headers });
  expect(response.statusCode, response.body).toBe(200);
  return response.json().items as Array<Record<string, unknown>>;
}

async function sentRows(accountId: number) {
  const result = await ctx.deps.database.db.execute<{ msgId: string; openid: string; status: string; replyId: number | null; clientMsgId: string | null }>(sql`
    SELECT msg_id::text AS "msgId", openid, status, reply_id AS "replyId", client_msg_id AS "clientMsgId" FROM template_messages WHERE account_id = ${accountId} ORDER BY id`);
  return result.rows;
}

describe('industries (api_set_industry, get_industry)', () => {
  it('are empty until set, then WeChat’s first and second class for each code; ids may be strings or numbers', async () => {
    const { account } = await templateAccount({ industries: false });
    const empty = { first_class: '', second_class: '' };
    expect(await call(account, 'GET', '/cgi-bin/template/get_industry')).toEqual({ primary_industry: empty, secondary_industry: empty });
    expect(await call(account, 'POST', '/cgi-bin/template/api_set_industry', { industry_id1: '1', industry_id2: 4 })).toEqual({ errcode: 0, errmsg: 'ok' });
    expect(await call(account, 'GET', '/cgi-bin/template/get_industry')).toEqual({
      primary_industry: { first_class: 'IT科技', second_class: '互联网|电子商务' },
      secondary_industry: { first_class: 'IT科技', second_class: '电子技术' },
    });
  });

  it('refuses codes outside 1–41, a missing or unreadable one and the same one twice with 40097, changing nothing', async () => {
    const { account } = await templateAccount();
    for (const body of [{ industry_id1: '0', industry_id2: '1' }, { industry_id1: '1', industry_id2: '42' }, { industry_id1: '1' }, { industry_id1: 'IT', industry_id2: '2' }, { industry_id1: '2', industry_id2: 2 }]) {
      expectErrcode(await call(account, 'POST', '/cgi-bin/template/api_set_industry', body), 40097);
    }
    expectErrcode(await call(account, 'POST', '/cgi-bin/template/api_set_industry'), 44002);
    expect(await call(account, 'GET', '/cgi-bin/template/get_industry')).toMatchObject({ primary_industry: { second_class: '互联网|电子商务' }, secondary_industry: { second_class: '快递' } });
  });

  it('deletes industry templates of industries no longer chosen, keeping category templates', async () => {
    const { account } = await templateAccount();
    await addTemplate(account, 'TM00015'); // industry 1
    const express = await addTemplate(account, 'OPENTM207498902'); // industry 13
    const category = await addTemplate(account, '47123', ['时间', '金额']);
    expect(await call(account, 'POST', '/cgi-bin/template/api_set_industry', { industry_id1: '13', industry_id2: '16' })).toEqual({ errcode: 0, errmsg: 'ok' });
    const { template_list } = (await call(account, 'GET', '/cgi-bin/template/get_all_private_template')) as { template_list: Array<{ template_id: string }> };
    expect(template_list.map((template) => template.template_id)).toEqual([express, category]);
  });
});

describe('private templates (api_add_template, get_all_private_template, del_private_template)', () => {
  it('adds from the library, lists them as WeChat does, and deletes them', async () => {
    const { account } = await templateAccount();
    const paidId = await addTemplate(account, 'TM00015');
    const categoryId = await addTemplate(account, '47123', ['时间', '地点', '金额']);
    expect(await call(account, 'GET', '/cgi-bin/template/get_all_private_template')).toEqual({
      template_list: [
        {
          template_id: paidId,
          title: '订单支付成功',
          primary_industry: 'IT科技',
          deputy_industry: '互联网|电子商务',
          content: '{{first.DATA}}\n\n支付金额：{{orderMoneySum.DATA}}\n商品信息：{{orderProductName.DATA}}\n{{Remark.DATA}}',
          example: expect.stringContaining('支付金额：30.00元'),
        },
        {
          template_id: categoryId,
          title: '消费成功通知',
          primary_industry: '生活服务',
          deputy_industry: '综合生活服务',
          content: '时间:{{time1.DATA}}\n地点:{{thing2.DATA}}\n金额:{{amount3.DATA}}',
          example: '时间:2024年5月1日 12:30\n地点:深圳湾万象城店\n金额:39.80元',
        },
      ],
    });
    // The same entry (and keywords) again is the template the account has; other keywords make another one.
    expect(await addTemplate(account, 'TM00015')).toBe(paidId);
    expect(await addTemplate(account, '47123', ['时间', '地点', '金额'])).toBe(categoryId);
    expect(await addTemplate(account, '47123', ['地点', '时间'])).not.toBe(categoryId);

    expect(await call(account, 'POST', '/cgi-bin/template/del_private_template', { template_id: paidId })).toEqual({ errcode: 0, errmsg: 'ok' });
    expectErrcode(await call(account, 'POST', '/cgi-bin/template/del_private_template', { template_id: paidId }), 40037);
    expectErrcode(await call(account, 'POST', '/cgi-bin/template/del_private_template', { template_id: 'short' }), 40036);
    const { template_list } = (await call(account, 'GET', '/cgi-bin/template/get_all_private_template')) as { template_list: unknown[] };
    expect(template_list).toHaveLength(2);
    // Another account's template is not this account's to delete.
    const other = await templateAccount();
    expectErrcode(await call(other.account, 'POST', '/cgi-bin/template/del_private_template', { template_id: categoryId }), 40037);
  });

  it('refuses an unknown id (40037), bad keyword lists (40246) and an industry template outside the account’s industries (45027)', async () => {
    const { account } = await templateAccount();
    const add = (body: unknown) => call(account, 'POST', '/cgi-bin/template/api_add_template', body);
    expectErrcode(await add({ template_id_short: 'TM99999' }), 40037);
    expectErrcode(await add({}), 40037);
    expectErrcode(await add({ template_id_short: '47123' }), 40246);
    expectErrcode(await add({ template_id_short: '47123', keyword_name_list: [] }), 40246);
    expectErrcode(await add({ template_id_short: '47123', keyword_name_list: ['时间', '温度'] }), 40246);
    expectErrcode(await add({ template_id_short: '47123', keyword_name_list: ['时间', '时间'] }), 40246);
    expectErrcode(await add({ template_id_short: '47123', keyword_name_list: '时间' }), 40246);
    // OPENTM401202033 is of industry 16 (教育/培训); the account chose 1 and 13.
    const conflict = await add({ template_id_short: 'OPENTM401202033' });
    expectErrcode(conflict, 45027);
    expect(conflict.errmsg).toMatch(/^template conflict with industry rid: /);
    // A category number sent as a JSON number is the same id.
    expect(await add({ template_id_short: 43216, keyword_name_list: ['预约时间'] })).toMatchObject({ errcode: 0 });
    const { template_list } = (await call(account, 'GET', '/cgi-bin/template/get_all_private_template')) as { template_list: unknown[] };
    expect(template_list).toHaveLength(1);
  });

  it('holds 25 templates at most (45026), also against adds racing for the last place; a deletion frees one', async () => {
    const { account } = await templateAccount();
    const names = ['时间', '地点', '金额', '商品名称', '订单号', '联系电话', '车牌号'];
    // 24 different keyword lists: pairs of distinct keywords, in order.
    const pairs = names.flatMap((a) => names.filter((b) => b !== a).map((b) => [a, b]));
    const ids: string[] = [];
    for (const pair of pairs.slice(0, 24)) ids.push(await addTemplate(account, '47123', pair));

    const token = await accessToken(ctx.app, account);
    const racing = await Promise.all(
      pairs.slice(24, 28).map((pair) => cgi(ctx.app, 'POST', '/cgi-bin/template/api_add_template', token, { body: { template_id_short: '47123', keyword_name_list: pair } })),
    );
    expect(racing.filter((answer) => answer.errcode === 0)).toHaveLength(1);
    for (const answer of racing.filter((answer) => answer.errcode !== 0)) expectErrcode(answer, 45026);
    const full = await call(account, 'POST', '/cgi-bin/template/api_add_template', { template_id_short: 'TM00015' });
    expectErrcode(full, 45026);
    expect(full.errmsg).toMatch(/^template num exceeds limit rid: /);
    const { template_list } = (await call(account, 'GET', '/cgi-bin/template/get_all_private_template')) as { template_list: unknown[] };
    expect(template_list).toHaveLength(25);

    expect(await call(account, 'POST', '/cgi-bin/template/del_private_template', { template_id: ids[0] })).toEqual({ errcode: 0, errmsg: 'ok' });
    await addTemplate(account, 'TM00015');
    expectErrcode(await call(account, 'POST', '/cgi-bin/template/api_add_template', { template_id_short: 'OPENTM200654400' }), 45026);
  });
});

describe('message/template/send', () => {
  it("fills the placeholders and lands the message in the follower's inbox as kind 'template', with a 64-bit msgid", async () => {
    ctx.clock.set('2026-08-01T00:00:00Z');
    const { account } = await templateAccount();
    const templateId = await addTemplate(account, 'TM00015');
    const a = await fan(account);
    const b = await fan(account);

    const { answer, msgid } = await send(account, paid(a.openid, templateId));
    expect(answer).toMatchObject({ errcode: 0, errmsg: 'ok' });
    expect(BigInt(msgid!)).toBeGreaterThan(2n ** 53n);
    expect(await sentRows(account.id)).toEqual([{ msgId: msgid, openid: a.openid, status: 'success', replyId: expect.any(Number), clientMsgId: null }]);

    expect(await inbox(a.user, account)).toEqual([
      {
        kind: 'template',
        msgId: msgid,
        deliveredAt: '2026-08-01T00:00:00.000Z',
        templateId,
        title: '订单支付成功',
        content: '我们已收到您的货款\n\n支付金额：30.00元\n商品信息：巧克力\n谢谢惠顾',
        url: 'https://shop.example.com/orders/42',
        miniprogram: null,
        data: { first: { value: '我们已收到您的货款', color: '#173177' }, orderMoneySum: { value: '30.00元' }, orderProductName: { value: '巧克力' }, Remark: { value: '谢谢惠顾' } },
      },
    ]);
    expect(await inbox(b.user, account)).toEqual([]);

    // first and Remark may be left out (WeChat no longer shows them); values may be numbers; a mini program page.
    ctx.clock.advance(SECOND);
    const second = await send(account, {
      touser: a.openid,
      template_id: templateId,
      miniprogram: { appid: 'wx1234567890abcdef', pagepath: 'pages/order?id=42' },
      data: { orderMoneySum: { value: 30 }, orderProductName: { value: '巧克力' } },
    });
    expect(second.answer).toMatchObject({ errcode: 0 });
    expect(BigInt(second.msgid!)).toBeGreaterThan(BigInt(msgid!));
    const [latest] = await inbox(a.user, account);
    expect(latest).toMatchObject({ msgId: second.msgid, content: '支付金额：30\n商品信息：巧克力', url: null, miniprogram: { appid: 'wx1234567890abcdef', pagepath: 'pages/order?id=42' } });
  });

  it('refuses data that does not match the template with 47003 naming the field, and other bad fields with their codes; nothing is stored', async () => {
    const { account } = await templateAccount();
    const templateId = await addTemplate(account, 'TM00015');
    const categoryId = await addTemplate(account, '47123', ['地点', '车牌号']);
    const { user, openid } = await fan(account);
    const refused = async (body: unknown, errcode: number, errmsg?: RegExp) => {
      const { answer } = await send(account, body);
      expectErrcode(answer, errcode);
      if (errmsg) expect(answer.errmsg).toMatch(errmsg);
    };
    const base = paid(openid, templateId);

    await refused({ ...base, data: { ...base.data, orderMoneySum: undefined } }, 47003, /^argument invalid! data\.orderMoneySum\.value is empty rid: /);
    await refused({ ...base, data: { ...base.data, orderMoneySum: { value: '' } } }, 47003, /data\.orderMoneySum\.value is empty/);
    await refused({ ...base, data: { ...base.data, keyword1: { value: 'x' } } }, 47003, /^argument invalid! data\.keyword1 is not a keyword of the template/);
    await refused({ ...base, data: { ...base.data, orderProductName: { value: '巧'.repeat(201) } } }, 47003, /data\.orderProductName\.value invalid: longer than 200 characters/);
    await refused({ ...base, data: { ...base.data, orderProductName: { value: 'x', color: 'blue' } } }, 47003, /data\.orderProductName\.color invalid/);
    await refused({ ...base, data: { ...base.data, orderProductName: '巧克力' } }, 47003, /data\.orderProductName must be \{value, color\}/);
    await refused({ ...base, data: { ...base.data, orderProductName: { value: { text: 'x' } } } }, 47003);
    await refused({ ...base, data: 'x' }, 47003);
    await refused({ ...base, data: undefined }, 47003, /data\.orderMoneySum\.value is empty/);
    // Category keywords have their types' limits: thing 20, car_number 8.
    const category = { touser: openid, template_id: categoryId, data: { thing1: { value: 'x' } } };
    await refused(category, 47003, /data\.thing1 is not a keyword/);
    await refused({ ...category, data: { thing2: { value: '地'.repeat(21) }, car_number7: { value: '粤B12345' } } }, 47003, /data\.thing2\.value invalid: longer than 20/);
    await refused({ ...category, data: { thing2: { value: '地'.repeat(20) }, car_number7: { value: '粤B1234567' } } }, 47003, /data\.car_number7\.value invalid: longer than 8/);
    await refused({ ...base, url: 'javascript:alert(1)' }, 40066);
    await refused({ ...base, url: 42 }, 40066);
    await refused({ ...base, miniprogram: { pagepath: 'index' } }, 47003, /miniprogram\.appid invalid/);
    await refused({ ...base, miniprogram: 'wx1' }, 47003);
    // A miniprogram field that is no text is refused, not sent as empty (pagepath: true went out as '').
    await refused({ ...base, miniprogram: { appid: 'wx1', pagepath: true } }, 47003, /miniprogram\.pagepath invalid/);
    await refused({ ...base, miniprogram: { appid: 'wx1', path: { page: 'index' } } }, 47003, /miniprogram\.pagepath invalid/);
    await refused({ ...base, miniprogram: { appid: ['wx1'], pagepath: 'index' } }, 47003, /miniprogram\.appid invalid/);
    await refused({ ...base, template_id: 'x'.repeat(43) }, 40037, /^invalid template_id rid: /);
    await refused({ ...base, template_id: 'short' }, 40036, /^invalid template_id size rid: /);
    await refused({ ...base, template_id: undefined }, 40036);
    await refused({ ...base, touser: undefined }, 40003);
    await refused({ ...base, client_msg_id: 'x'.repeat(65) }, 40097);
    const other = await templateAccount();
    const foreignTemplate = await addTemplate(other.account, 'TM00015');
    await refused({ ...base, template_id: foreignTemplate }, 40037);
    const stranger = await fan(other.account);
    await refused({ ...base, touser: stranger.openid }, 40003, /^invalid openid rid: /);
    await refused({ ...base, touser: 'o-no-such-openid' }, 40003);
    const { answer: empty } = await send(account, undefined);
    expectErrcode(empty, 44002);

    expect(await sentRows(account.id)).toEqual([]);
    expect(await inbox(user, account)).toEqual([]);
    // The same message with its data right goes.
    expect((await send(account, base)).answer).toMatchObject({ errcode: 0 });
    expect((await send(account, { ...category, data: { thing2: { value: '地'.repeat(20) }, car_number7: { value: '粤B12345' } } })).answer).toMatchObject({ errcode: 0 });
  });

  it('needs the recipient to follow (43004) and not be blacklisted (43019)', async () => {
    const { account } = await templateAccount();
    const templateId = await addTemplate(account, 'TM00015');
    const gone = await fan(account);
    await unfollow(ctx.app, gone.user, account.appid);
    const { answer } = await send(account, paid(gone.openid, templateId));
    expectErrcode(answer, 43004);
    expect(answer.errmsg).toMatch(/^require subscribe rid: /);

    const blocked = await fan(account);
    expect(await call(account, 'POST', '/cgi-bin/tags/members/batchblacklist', { openid_list: [blocked.openid] })).toMatchObject({ errcode: 0 });
    expectErrcode((await send(account, paid(blocked.openid, templateId))).answer, 43019);

    // Following again makes them a recipient again.
    await follow(ctx.app, gone.user, account.appid);
    expect((await send(account, paid(gone.openid, templateId))).answer).toMatchObject({ errcode: 0 });
    expect(await sentRows(account.id)).toHaveLength(1);
  });

  it('sends one message per openid and client_msg_id within 10 minutes: a repeat answers the first msgid', async () => {
    ctx.clock.set('2026-08-02T00:00:00Z');
    const { account } = await templateAccount();
    const templateId = await addTemplate(account, 'TM00015');
    const a = await fan(account);
    const b = await fan(account);

    const first = await send(account, paid(a.openid, templateId, { client_msg_id: 'MSG_000001' }));
    ctx.clock.advance(10 * MINUTE - SECOND);
    // Even with other data: the id says it is the same message.
    const repeat = await send(account, paid(a.openid, templateId, { client_msg_id: 'MSG_000001', data: { orderMoneySum: { value: '1' }, orderProductName: { value: 'x' } } }));
    expect(repeat).toEqual(first);
    const otherFollower = await send(account, paid(b.openid, templateId, { client_msg_id: 'MSG_000001' }));
    expect(otherFollower.msgid).not.toBe(first.msgid);
    const withoutId = await send(account, paid(a.openid, templateId));
    expect(withoutId.msgid).not.toBe(first.msgid);

    // Racing repeats also make one message.
    const token = await accessToken(ctx.app, account);
    const racing = await Promise.all(
      Array.from({ length: 5 }, () =>
        ctx.app.inject({ method: 'POST', url: `/cgi-bin/message/template/send?access_token=${token}`, payload: paid(a.openid, templateId, { client_msg_id: 'MSG_RACE' }) }),
      ),
    );
    expect(new Set(racing.map((response) => /"msgid":(\d+)/.exec(response.body)?.[1])).size).toBe(1);

    ctx.clock.advance(SECOND);
    const later = await send(account, paid(a.openid, templateId, { client_msg_id: 'MSG_000001' }));
    expect(later.answer).toMatchObject({ errcode: 0 });
    expect(later.msgid).not.toBe(first.msgid);
    expect((await sentRows(account.id)).map((row) => [row.openid === a.openid ? 'a' : 'b', row.clientMsgId])).toEqual([
      ['a', 'MSG_000001'],
      ['b', 'MSG_000001'],
      ['a', null],
      ['a', 'MSG_RACE'],
      ['a', 'MSG_000001'],
    ]);
    expect((await inbox(a.user, account)).filter((item) => item.kind === 'template')).toHaveLength(4);
  });

  it('counts against a daily limit of 100,000 sends (quota/get)', async () => {
    const { account } = await templateAccount();
    const templateId = await addTemplate(account, 'TM00015');
    const { openid } = await fan(account);
    expect((await send(account, paid(openid, templateId))).answer).toMatchObject({ errcode: 0 });
    expect(await call(account, 'POST', '/cgi-bin/openapi/quota/get', { cgi_path: '/cgi-bin/message/template/send' })).toEqual({
      errcode: 0,
      errmsg: 'ok',
      quota: { daily_limit: 100_000, used: 1, remain: 99_999 },
    });
  });

  it('is for verified service accounts only: others get 48001 on every template interface', async () => {
    for (const kind of [{ type: 'subscription', verified: true }, { type: 'service', verified: false }] as const) {
      const owner = await registerAdmin(ctx.app);
      const account = await createAccount(ctx.app, owner);
      await capableAccount(ctx.app, owner, account, kind);
      const { openid } = await fan(account);
      expectErrcode(await call(account, 'POST', '/cgi-bin/template/api_set_industry', { industry_id1: '1', industry_id2: '2' }), 48001);
      expectErrcode(await call(account, 'GET', '/cgi-bin/template/get_industry'), 48001);
      expectErrcode(await call(account, 'POST', '/cgi-bin/template/api_add_template', { template_id_short: 'TM00015' }), 48001);
      expectErrcode(await call(account, 'GET', '/cgi-bin/template/get_all_private_template'), 48001);
      expectErrcode(await call(account, 'POST', '/cgi-bin/template/del_private_template', { template_id: 'x'.repeat(43) }), 48001);
      const { answer } = await send(account, paid(openid, 'x'.repeat(43)));
      expectErrcode(answer, 48001);
      expect(answer.errmsg).toMatch(/template_message/);
    }
  });
});

describe('TEMPLATESENDJOBFINISH (§10.3.3)', () => {
  it("reaches the developer's server after a send: signed, from the follower, MsgID exact, Status success", async () => {
    const { owner, account } = await templateAccount();
    const receiver = await serveAccount(ctx.app, owner, account.id, receivers);
    const templateId = await addTemplate(account, 'TM00015');
    const { user, openid } = await fan(account);
    // The server answers every push with a text reply: a reply to a job-finish notice reaches no one.
    receiver.answer = () => ({
      body: `<xml><ToUserName><![CDATA[${openid}]]></ToUserName><FromUserName><![CDATA[${account.originalId}]]></FromUserName><CreateTime>1</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[got it]]></Content></xml>`,
    });
    const { msgid } = await send(account, paid(openid, templateId));

    const finished = await waitFor(async () => receiver.pushes.find((push) => push.field('Event') === 'TEMPLATESENDJOBFINISH'), { what: 'TEMPLATESENDJOBFINISH' });
    expect(finished.signatureValid).toBe(true);
    expect(finished.query.get('openid')).toBe(openid);
    expect(finished.field('ToUserName')).toBe(account.originalId);
    expect(finished.field('FromUserName')).toBe(openid);
    expect(finished.field('CreateTime')).toBe(String(Math.floor(ctx.clock.now().getTime() / 1000)));
    expect(finished.field('MsgType')).toBe('event');
    expect(finished.xml).toContain(`<MsgID>${msgid}</MsgID>`);
    expect(finished.xml).toContain('<Status><![CDATA[success]]></Status>');

    const pushes = await waitFor(
      async () => {
        const rows = await ctx.deps.database.db.execute<{ kind: string; status: string }>(sql`
          SELECT kind, status FROM webhook_pushes WHERE account_id = ${account.id} ORDER BY id`);
        return rows.rows.every((row) => row.status === 'delivered') ? rows.rows : undefined;
      },
      { what: 'the pushes to be recorded delivered' },
    );
    expect(pushes.map((row) => row.kind)).toEqual(['subscribe', 'TEMPLATESENDJOBFINISH']);
    // Only the follow's reply reached the follower; the template message is there, the reply to the notice is not.
    const items = await inbox(user, account);
    expect(items.map((item) => item.kind).sort()).toEqual(['reply', 'template']);
  });

  it("says 'failed:user block' when the follower unfollowed between the checks and the delivery, and delivers nothing", async () => {
    const { owner, account } = await templateAccount();
    const receiver = await serveAccount(ctx.app, owner, account.id, receivers);
    const templateId = await addTemplate(account, 'TM00015');
    const a = await fan(account);
    const b = await fan(account);
    const templates = ctx.deps.services.templates;
    const input = { templateId, data: { orderMoneySum: { value: '30.00元' }, orderProductName: { value: '巧克力' } } };

    const checkedA = await templates.prepare(account.id, { ...input, openid: a.openid });
    const checkedB = await templates.prepare(account.id, { ...input, openid: b.openid });
    await unfollow(ctx.app, a.user, account.appid);
    expect(await call(account, 'POST', '/cgi-bin/tags/members/batchblacklist', { openid_list: [b.openid] })).toMatchObject({ errcode: 0 });
    const sentA = await templates.deliver(checkedA);
    const sentB = await templates.deliver(checkedB);
    expect([sentA.status, sentB.status]).toEqual(['failed:user block', 'failed:user block']);
    expect(sentA.msgId).toMatch(/^\d{19}$/);

    const finished = await waitFor(
      async () => {
        const found = receiver.pushes.filter((push) => push.field('Event') === 'TEMPLATESENDJOBFINISH');
        return found.length === 2 ? found : undefined;
      },
      { what: 'two TEMPLATESENDJOBFINISH' },
    );
    expect(finished.map((push) => [push.field('FromUserName'), push.field('MsgID'), push.field('Status')]).sort()).toEqual(
      [
        [a.openid, sentA.msgId, 'failed:user block'],
        [b.openid, sentB.msgId, 'failed:user block'],
      ].sort(),
    );
    // In the follower's lane, after the unsubscribe it raced.
    const laneOfA = receiver.pushes.filter((push) => push.field('FromUserName') === a.openid).map((push) => push.field('Event'));
    expect(laneOfA).toEqual(['subscribe', 'unsubscribe', 'TEMPLATESENDJOBFINISH']);
    expect((await inbox(a.user, account)).filter((item) => item.kind === 'template')).toEqual([]);
    expect((await inbox(b.user, account)).filter((item) => item.kind === 'template')).toEqual([]);
    expect((await sentRows(account.id)).map((row) => [row.status, row.replyId])).toEqual([
      ['failed:user block', null],
      ['failed:user block', null],
    ]);
  });
});

describe('/v1/accounts/:id/templates', () => {
  const v1 = (session: AdminSession, method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown) =>
    ctx.app.inject({ method, url, headers: session.headers, ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }) });

  it('sets industries, adds, lists, sends and deletes, with the same rules and problem codes carrying the errcode', async () => {
    ctx.clock.set('2026-08-03T00:00:00Z');
    const { owner, account } = await templateAccount({ industries: false });
    const base = `/v1/accounts/${account.id}`;
    expect((await v1(owner, 'GET', `${base}/template-industry`)).json()).toEqual({ primaryIndustry: null, secondaryIndustry: null });
    const set = await v1(owner, 'PUT', `${base}/template-industry`, { primaryIndustryId: 1, secondaryIndustryId: 13 });
    expect(set.statusCode, set.body).toBe(200);
    expect(set.json()).toEqual({
      primaryIndustry: { id: 1, firstClass: 'IT科技', secondClass: '互联网|电子商务' },
      secondaryIndustry: { id: 13, firstClass: '运输与仓储', secondClass: '快递' },
      removedTemplates: 0,
    });
    expectProblem(await v1(owner, 'PUT', `${base}/template-industry`, { primaryIndustryId: 42, secondaryIndustryId: 1 }), 400, 'VALIDATION_FAILED');
    expect((await v1(owner, 'PUT', `${base}/template-industry`, { primaryIndustryId: 2, secondaryIndustryId: 2 })).json()).toMatchObject({ code: 'VALIDATION_FAILED', errcode: 40097 });

    const added = await v1(owner, 'POST', `${base}/templates`, { templateIdShort: 'TM00015' });
    expect(added.statusCode, added.body).toBe(201);
    const template = added.json();
    expect(template).toEqual({
      templateId: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      templateIdShort: 'TM00015',
      title: '订单支付成功',
      primaryIndustry: 'IT科技',
      deputyIndustry: '互联网|电子商务',
      content: expect.stringContaining('{{orderMoneySum.DATA}}'),
      example: expect.any(String),
      keys: ['first', 'orderMoneySum', 'orderProductName', 'Remark'],
      createdAt: '2026-08-03T00:00:00.000Z',
    });
    const again = await v1(owner, 'POST', `${base}/templates`, { templateIdShort: 'TM00015' });
    expect(again.statusCode).toBe(200);
    expect(again.json().templateId).toBe(template.templateId);
    expect((await v1(owner, 'POST', `${base}/templates`, { templateIdShort: '47123', keywordNames: ['温度'] })).json()).toMatchObject({ code: 'VALIDATION_FAILED', errcode: 40246 });
    expect((await v1(owner, 'POST', `${base}/templates`, { templateIdShort: 'TM00000' })).json()).toMatchObject({ code: 'VALIDATION_FAILED', errcode: 40037 });
    const conflict = await v1(owner, 'POST', `${base}/templates`, { templateIdShort: 'OPENTM401202033' });
    expectProblem(conflict, 409, 'TEMPLATE_INDUSTRY_CONFLICT');
    expect(conflict.json()).toMatchObject({ errcode: 45027 });
    expect((await v1(owner, 'GET', `${base}/templates`)).json()).toEqual({ items: [template] });

    const { user, openid } = await fan(account);
    const message = { openid, data: { orderMoneySum: { value: '30.00元' }, orderProductName: { value: '巧克力' } }, url: 'https://shop.example.com/o/1', clientMsgId: 'c-1' };
    const sent = await v1(owner, 'POST', `${base}/templates/${template.templateId}/send`, message);
    expect(sent.statusCode, sent.body).toBe(201);
    expect(sent.json()).toEqual({ msgId: expect.stringMatching(/^\d{19}$/), openid, templateId: template.templateId, status: 'success', sentAt: '2026-08-03T00:00:00.000Z' });
    const replay = await v1(owner, 'POST', `${base}/templates/${template.templateId}/send`, message);
    expect(replay.statusCode).toBe(200);
    expect(replay.json()).toEqual(sent.json());
    expect(await inbox(user, account)).toEqual([expect.objectContaining({ kind: 'template', msgId: sent.json().msgId, content: '支付金额：30.00元\n商品信息：巧克力' })]);

    const missing = await v1(owner, 'POST', `${base}/templates/${template.templateId}/send`, { openid, data: { orderMoneySum: { value: '1' } } });
    expectProblem(missing, 400, 'VALIDATION_FAILED');
    expect(missing.json()).toMatchObject({ errcode: 47003, errmsg: 'argument invalid! data.orderProductName.value is empty', field: 'data.orderProductName' });
    expectProblem(await v1(owner, 'POST', `${base}/templates/${template.templateId}/send`, { openid: 'o-nobody', data: message.data }), 404, 'FOLLOWER_NOT_FOUND');
    const unknown = await v1(owner, 'POST', `${base}/templates/nope/send`, { openid, data: message.data });
    expectProblem(unknown, 404, 'TEMPLATE_NOT_FOUND');
    expect(unknown.json()).toMatchObject({ errcode: 40037 });
    await unfollow(ctx.app, user, account.appid);
    const notFollowing = await v1(owner, 'POST', `${base}/templates/${template.templateId}/send`, { openid, data: message.data });
    expectProblem(notFollowing, 409, 'NOT_FOLLOWING');
    expect(notFollowing.json()).toMatchObject({ errcode: 43004 });

    const deleted = await v1(owner, 'DELETE', `${base}/templates/${template.templateId}`);
    expect(deleted.statusCode, deleted.body).toBe(204);
    expectProblem(await v1(owner, 'DELETE', `${base}/templates/${template.templateId}`), 404, 'TEMPLATE_NOT_FOUND');
    expect((await v1(owner, 'GET', `${base}/templates`)).json()).toEqual({ items: [] });
  });

  it('is for owners and admins (analysts 403, non-members 404) of verified service accounts (others 403 CAPABILITY_NOT_ALLOWED)', async () => {
    const { owner, account } = await templateAccount();
    const admin = await registerAdmin(ctx.app);
    const analyst = await registerAdmin(ctx.app);
    const outsider = await registerAdmin(ctx.app);
    await addMember(ctx.app, owner, account.id, admin, 'admin');
    await addMember(ctx.app, owner, account.id, analyst, 'analyst');
    const base = `/v1/accounts/${account.id}`;
    const added = await v1(admin, 'POST', `${base}/templates`, { templateIdShort: 'TM00015' });
    expect(added.statusCode, added.body).toBe(201);
    const { openid } = await fan(account);
    const sendUrl = `${base}/templates/${added.json().templateId}/send`;
    const data = { orderMoneySum: { value: '1' }, orderProductName: { value: 'x' } };
    expect((await v1(admin, 'POST', sendUrl, { openid, data })).statusCode).toBe(201);
    for (const [method, url, payload] of [
      ['GET', `${base}/templates`, undefined],
      ['POST', `${base}/templates`, { templateIdShort: 'TM00015' }],
      ['POST', sendUrl, { openid, data }],
      ['DELETE', `${base}/templates/${added.json().templateId}`, undefined],
      ['GET', `${base}/template-industry`, undefined],
      ['PUT', `${base}/template-industry`, { primaryIndustryId: 1, secondaryIndustryId: 2 }],
    ] as const) {
      expectProblem(await v1(analyst, method, url, payload), 403, 'FORBIDDEN');
      expectProblem(await v1(outsider, method, url, payload), 404, 'ACCOUNT_NOT_FOUND');
    }
    expect(await sentRows(account.id)).toHaveLength(1);

    for (const kind of [{ type: 'subscription', verified: true }, { type: 'service', verified: false }] as const) {
      const other = await registerAdmin(ctx.app);
      const plain = await createAccount(ctx.app, other);
      await capableAccount(ctx.app, other, plain, kind);
      const refused = await v1(other, 'POST', `/v1/accounts/${plain.id}/templates`, { templateIdShort: '47123', keywordNames: ['时间'] });
      expectProblem(refused, 403, 'CAPABILITY_NOT_ALLOWED');
      expect(refused.json().detail).toMatch(/template/);
      expectProblem(await v1(other, 'GET', `/v1/accounts/${plain.id}/templates`), 403, 'CAPABILITY_NOT_ALLOWED');
    }
  });

  it('lists the library: the catalogue entries and the 41 industries', async () => {
    const owner = await registerAdmin(ctx.app);
    const response = await v1(owner, 'GET', '/v1/template-library');
    expect(response.statusCode, response.body).toBe(200);
    const library = response.json();
    expect(library.industries).toHaveLength(41);
    expect(library.templates.map((entry: { templateIdShort: string }) => entry.templateIdShort)).toEqual(
      expect.arrayContaining(['TM00015', 'OPENTM200654400', 'OPENTM207498902', 'OPENTM401202033', '47123', '43216']),
    );
    expect(library.templates.find((entry: { templateIdShort: string }) => entry.templateIdShort === '47123')).toMatchObject({
      kind: 'category',
      industryId: null,
      content: null,
      keywords: expect.arrayContaining([{ name: '时间', key: 'time1', example: expect.any(String) }]),
    });
    expect((await ctx.app.inject({ method: 'GET', url: '/v1/template-library' })).statusCode).toBe(401);
  });
});

describe('a published WeChat SDK (co-wechat-api) against the server', () => {
  it('sets the industries, adds, lists, sends (the 64-bit msgid exact) and deletes with its own template methods', async () => {
    const baseUrl = await ctx.app.listen({ port: 0, host: '127.0.0.1' });
    const agent = new Agent({ keepAlive: false });
    try {
      const { account } = await templateAccount({ industries: false });
      const api = new WechatAPI(account.appid, account.appsecret);
      api.prefix = `${baseUrl}/cgi-bin/`;
      api.setOpts({ agent, timeout: 15_000 });

      expect(await api.setIndustry({ industry_id1: '1', industry_id2: '4' })).toEqual({ errcode: 0, errmsg: 'ok' });
      expect(await api.getIndustry()).toMatchObject({ primary_industry: { first_class: 'IT科技', second_class: '互联网|电子商务' } });
      const { template_id: templateId } = await api.addTemplate('OPENTM200654400');
      expect(templateId).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect((await api.getAllPrivateTemplate()).template_list).toEqual([expect.objectContaining({ template_id: templateId, title: '购买成功通知' })]);

      const { user, openid } = await fan(account);
      const data = { first: { value: '您好，您已购买成功。' }, keyword1: { value: '巧克力' }, keyword2: { value: '39.8元', color: '#173177' }, keyword3: { value: '2014年9月22日' } };
      // The library sends url undefined (left out of the JSON) and its topColor as a top-level color, which is not used.
      const sent = await api.sendTemplate(openid, templateId, undefined, '#FF0000', data);
      expect(sent).toMatchObject({ errcode: 0, errmsg: 'ok' });
      // json-bigint hands a 64-bit msgid over as a BigNumber: its digits are the inbox's msgId.
      const [item] = await inbox(user, account);
      expect(String(sent.msgid)).toBe(item!.msgId);
      expect(item).toMatchObject({ kind: 'template', content: '您好，您已购买成功。\n商品名称：巧克力\n商品价格：39.8元\n购买时间：2014年9月22日', url: null });

      expect(await api.delPrivateTemplate(templateId)).toEqual({ errcode: 0, errmsg: 'ok' });
      expect(await api.getAllPrivateTemplate()).toEqual({ template_list: [] });
      // A refusal comes back as the library's error, with WeChat's code.
      await expect(api.sendTemplate(openid, templateId, undefined, undefined, data)).rejects.toMatchObject({ code: 40037 });
    } finally {
      agent.destroy();
    }
  });
});
