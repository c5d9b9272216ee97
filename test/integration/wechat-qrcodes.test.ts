import { sql } from 'drizzle-orm';
import jsQRModule from 'jsqr';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { addMember, createAccount, expectProblem, registerAdmin, type AdminSession, type CreatedAccount } from '../helpers/admin.js';
import { createWechatUser, follow, type WechatUserSession } from '../helpers/client.js';
import { useTestContext } from '../helpers/context.js';
import { accessToken, capableAccount, cgi, expectErrcode } from '../helpers/wechat.js';
import { serveAccount, useWorkerWithReceivers } from '../helpers/wechat-receiver.js';
import { waitFor } from '../helpers/worker.js';

// The stats folder runs only when a test asks (catchUp).
const ctx = useTestContext({ STATS_FOLD_INTERVAL_MS: '60000' });
const harness = useWorkerWithReceivers(ctx);
const { receivers } = harness;

const db = () => ctx.deps.database.db;

/** A verified service account (the only kind WeChat lets create parametric QR codes, §10.5) and its token. */
async function setup(): Promise<{ owner: AdminSession; account: CreatedAccount; token: string }> {
  const owner = await registerAdmin(ctx.app);
  const account = await createAccount(ctx.app, owner);
  await capableAccount(ctx.app, owner, account, { type: 'service', verified: true });
  return { owner, account, token: await accessToken(ctx.app, account) };
}

const create = (token: string, body: unknown) => cgi(ctx.app, 'POST', '/cgi-bin/qrcode/create', token, { body });

/** What the PNG served for a ticket encodes, read back by a QR decoder. */
async function decodeShown(ticket: string): Promise<{ text: string; cacheControl: string | undefined }> {
  const response = await ctx.app.inject({ method: 'GET', url: '/cgi-bin/showqrcode', query: { ticket } });
  expect(response.statusCode, response.body).toBe(200);
  expect(response.headers['content-type']).toBe('image/png');
  const png = PNG.sync.read(response.rawPayload);
  const decoded = jsQRModule.default(new Uint8ClampedArray(png.data.buffer, png.data.byteOffset, png.data.length), png.width, png.height);
  expect(decoded, 'the image holds a QR code').not.toBeNull();
  return { text: decoded!.data, cacheControl: response.headers['cache-control'] as string | undefined };
}

const scan = (user: WechatUserSession, ticket: string) => ctx.app.inject({ method: 'POST', url: '/client/v1/scans', headers: user.headers, payload: { ticket } });

async function pushesSettled(accountId: number, count: number) {
  await waitFor(
    async () => {
      const rows = await db().execute<{ status: string }>(sql`SELECT status FROM webhook_pushes WHERE account_id = ${accountId}`);
      return rows.rows.length >= count && rows.rows.every((row) => row.status !== 'pending');
    },
    { what: `${count} pushes to settle` },
  );
}

describe('POST /cgi-bin/qrcode/create and GET /cgi-bin/showqrcode', () => {
  it('creates each kind of code as WeChat answers it, and serves a PNG that decodes back to the url', async () => {
    const { token } = await setup();
    const temporary = await create(token, { expire_seconds: 604800, action_name: 'QR_SCENE', action_info: { scene: { scene_id: 123 } } });
    const temporaryStr = await create(token, { action_name: 'QR_STR_SCENE', action_info: { scene: { scene_str: 'spring sale 春' } } });
    const permanent = await create(token, { action_name: 'QR_LIMIT_SCENE', action_info: { scene: { scene_id: 100000 } } });
    const permanentStr = await create(token, { expire_seconds: 30, action_name: 'QR_LIMIT_STR_SCENE', action_info: { scene: { scene_str: 'x'.repeat(64) } } });

    expect(Object.keys(temporary).sort()).toEqual(['expire_seconds', 'ticket', 'url']);
    expect(temporary.expire_seconds).toBe(604800);
    // Without expire_seconds a temporary code lives 60 s (the current doc).
    expect(temporaryStr.expire_seconds).toBe(60);
    // Permanent codes come without expire_seconds, even when the body gave one.
    expect(Object.keys(permanent).sort()).toEqual(['ticket', 'url']);
    expect(Object.keys(permanentStr).sort()).toEqual(['ticket', 'url']);

    const tickets = new Set<string>();
    for (const answer of [temporary, temporaryStr, permanent, permanentStr]) {
      const ticket = answer.ticket as string;
      expect(ticket).toMatch(/^[A-Za-z0-9_-]{32}$/);
      tickets.add(ticket);
      expect(answer.url).toBe(`http://localhost:80/q/${ticket}`);
      const shown = await decodeShown(ticket);
      expect(shown.text).toBe(answer.url);
      expect(shown.cacheControl).toMatch(/^max-age=\d+$/);
    }
    expect(tickets.size).toBe(4);
    // A temporary image is cached no longer than the code lives; a permanent one as WeChat says (7 days).
    expect((await decodeShown(temporaryStr.ticket as string)).cacheControl).toBe('max-age=60');
    expect((await decodeShown(permanent.ticket as string)).cacheControl).toBe('max-age=604800');
  });

  it('answers the same ticket for a permanent scene created again, and a new one for each temporary code', async () => {
    const { token } = await setup();
    const body = { action_name: 'QR_LIMIT_STR_SCENE', action_info: { scene: { scene_str: 'shop-7' } } };
    const first = await create(token, body);
    expect(await create(token, body)).toEqual(first);
    const temporary = { action_name: 'QR_SCENE', action_info: { scene: { scene_id: 7 } } };
    expect((await create(token, temporary)).ticket).not.toBe((await create(token, temporary)).ticket);
    // scene_id as digits, as some SDKs send it.
    const digits = await create(token, { action_name: 'QR_SCENE', expire_seconds: '120', action_info: { scene: { scene_id: '8' } } });
    expect(digits.expire_seconds).toBe(120);
  });

  it("takes WeChat's body without the scene wrapper, with scene 0", async () => {
    const { account, token } = await setup();
    const made = await create(token, { action_name: 'QR_SCENE', action_info: {} });
    expect(made.ticket).toEqual(expect.any(String));
    const rows = await db().execute(sql`SELECT scene_id AS "sceneId", scene_str AS "sceneStr" FROM qrcodes WHERE account_id = ${account.id}`);
    expect(rows.rows).toEqual([{ sceneId: 0, sceneStr: null }]);
  });

  it("answers each broken body with WeChat's errcode", async () => {
    const { token } = await setup();
    const scene = (fields: Record<string, unknown>) => ({ scene: fields });
    const cases: Array<[number, unknown]> = [
      // §10.4.1 errors table (WxJava enums + captures).
      [40052, { action_info: scene({ scene_id: 1 }) }],
      [40052, { action_name: 'QR_FOREVER', action_info: scene({ scene_id: 1 }) }],
      [40052, { action_name: 'qr_scene', action_info: scene({ scene_id: 1 }) }],
      [40053, { action_name: 'QR_SCENE' }],
      [40053, { action_name: 'QR_SCENE', action_info: 'scene_id=1' }],
      [40053, { action_name: 'QR_SCENE', action_info: { scene: 5 } }],
      [40053, { action_name: 'QR_SCENE', action_info: scene({ scene_id: 0 }) }],
      [40053, { action_name: 'QR_SCENE', action_info: scene({ scene_id: -4 }) }],
      [40053, { action_name: 'QR_SCENE', action_info: scene({ scene_id: 1.5 }) }],
      [40053, { action_name: 'QR_SCENE', action_info: scene({ scene_id: 2_147_483_648 }) }],
      [40053, { action_name: 'QR_SCENE', action_info: scene({ scene_str: 'a' }) }],
      [40053, { action_name: 'QR_LIMIT_SCENE', action_info: scene({ scene_id: 100001 }) }],
      [40053, { action_name: 'QR_LIMIT_SCENE', action_info: scene({ scene_id: 0 }) }],
      // scene_str over 64 characters (thread 000a048ca1002062eefa900ce51800), and scene_id where scene_str belongs.
      [40053, { action_name: 'QR_STR_SCENE', action_info: scene({ scene_str: 'x'.repeat(65) }) }],
      [40053, { action_name: 'QR_STR_SCENE', action_info: scene({ scene_str: '' }) }],
      [40053, { action_name: 'QR_LIMIT_STR_SCENE', action_info: scene({ scene_id: 5 }) }],
      // expire_seconds: over 30 days, zero, not a number (no WeChat code is documented: 40097 invalid args).
      [40097, { expire_seconds: 2_592_001, action_name: 'QR_SCENE', action_info: scene({ scene_id: 1 }) }],
      [40097, { expire_seconds: 0, action_name: 'QR_SCENE', action_info: scene({ scene_id: 1 }) }],
      [40097, { expire_seconds: 'soon', action_name: 'QR_STR_SCENE', action_info: scene({ scene_str: 'a' }) }],
    ];
    for (const [errcode, body] of cases) {
      const answer = await create(token, body);
      expectErrcode(answer, errcode);
      expect(answer.errcode, JSON.stringify(body)).toBe(errcode);
    }
    expect((await create(token, { expire_seconds: 2_592_000, action_name: 'QR_SCENE', action_info: scene({ scene_id: 2_147_483_647 }) })).expire_seconds).toBe(2_592_000);
    // No body: 44002; no token: 41001.
    const empty = await ctx.app.inject({ method: 'POST', url: '/cgi-bin/qrcode/create', query: { access_token: token } });
    expectErrcode(empty.json(), 44002);
    expectErrcode(await cgi(ctx.app, 'POST', '/cgi-bin/qrcode/create', undefined, { body: { action_name: 'QR_SCENE', action_info: scene({ scene_id: 1 }) } }), 41001);
  });

  it('caps permanent codes at 100,000 per account (45029), while temporary ones and existing scenes still work', async () => {
    const { owner, account, token } = await setup();
    await db().execute(sql`
      INSERT INTO qrcodes (account_id, ticket, kind, scene_str, url, created_at)
      SELECT ${account.id}, 'bulk' || g || ${String(account.id)}, 'permanent', 'bulk-' || g, 'http://localhost/q/x', now()
      FROM generate_series(1, 99999) AS g`);
    const last = await create(token, { action_name: 'QR_LIMIT_SCENE', action_info: { scene: { scene_id: 1 } } });
    expect(last.ticket).toEqual(expect.any(String));
    const over = await create(token, { action_name: 'QR_LIMIT_SCENE', action_info: { scene: { scene_id: 2 } } });
    expectErrcode(over, 45029);
    expect(over.errmsg).toMatch(/^qrcode count out of limit rid: /);
    expectErrcode(await create(token, { action_name: 'QR_LIMIT_STR_SCENE', action_info: { scene: { scene_str: 'more' } } }), 45029);
    expect(await create(token, { action_name: 'QR_LIMIT_SCENE', action_info: { scene: { scene_id: 1 } } })).toEqual(last);
    expect((await create(token, { action_name: 'QR_SCENE', action_info: { scene: { scene_id: 2 } } })).expire_seconds).toBe(60);
    const refused = await ctx.app.inject({
      method: 'POST',
      url: `/v1/accounts/${account.id}/qrcodes`,
      headers: owner.headers,
      payload: { actionName: 'QR_LIMIT_SCENE', actionInfo: { scene: { sceneId: 3 } } },
    });
    expect(expectProblem(refused, 409, 'QRCODE_LIMIT_REACHED').limit).toBe(100_000);
  });

  it('serves no image (HTTP 404) for an unknown or expired ticket, and needs no access token', async () => {
    const { token } = await setup();
    const code = await create(token, { expire_seconds: 60, action_name: 'QR_SCENE', action_info: { scene: { scene_id: 9 } } });
    await decodeShown(code.ticket as string);
    for (const ticket of ['', 'nope', 'A'.repeat(32), `${code.ticket}x`]) {
      const response = await ctx.app.inject({ method: 'GET', url: '/cgi-bin/showqrcode', query: { ticket } });
      expect(response.statusCode, ticket).toBe(404);
    }
    expect((await ctx.app.inject({ method: 'GET', url: '/cgi-bin/showqrcode' })).statusCode).toBe(404);
    ctx.clock.advance(59_000);
    await decodeShown(code.ticket as string);
    ctx.clock.advance(1_000);
    expect((await ctx.app.inject({ method: 'GET', url: '/cgi-bin/showqrcode', query: { ticket: code.ticket as string } })).statusCode).toBe(404);
  });
});

describe('POST /client/v1/scans', () => {
  it('follows with ADD_SCENE_QR_CODE and pushes subscribe with qrscene_<scene> and the Ticket; a follower scanning gets SCAN', async () => {
    const { owner, account, token } = await setup();
    const receiver = await serveAccount(ctx.app, owner, account.id, receivers);
    const byId = await create(token, { action_name: 'QR_SCENE', action_info: { scene: { scene_id: 123 } } });
    const byStr = await create(token, { action_name: 'QR_LIMIT_STR_SCENE', action_info: { scene: { scene_str: 'summer-sale' } } });
    const user = await createWechatUser(ctx.app);

    const followed = await scan(user, byId.ticket as string);
    expect(followed.statusCode, followed.body).toBe(201);
    expect(followed.json()).toMatchObject({ appid: account.appid, event: 'subscribe', openid: expect.any(String) });
    const openid = followed.json().openid as string;
    const again = await scan(user, byStr.ticket as string);
    expect(again.statusCode, again.body).toBe(200);
    expect(again.json()).toEqual({ appid: account.appid, openid, event: 'SCAN' });

    await pushesSettled(account.id, 2);
    expect(receiver.pushes.map((push) => [push.field('FromUserName'), push.field('Event'), push.field('EventKey'), push.field('Ticket')])).toEqual([
      [openid, 'subscribe', 'qrscene_123', byId.ticket],
      [openid, 'SCAN', 'summer-sale', byStr.ticket],
    ]);
    expect(receiver.pushes[0]!.xml).toContain(`<Ticket><![CDATA[${byId.ticket}]]></Ticket>`);

    // user/info reports the source as WeChat does, and the follow history holds one follow with the ticket.
    const info = await cgi(ctx.app, 'GET', '/cgi-bin/user/info', token, { query: { openid } });
    expect(info).toMatchObject({ subscribe: 1, subscribe_scene: 'ADD_SCENE_QR_CODE', qr_scene: 123, qr_scene_str: '' });
    const events = await db().execute(sql`SELECT kind, scene, qr_scene AS "qrScene", qr_ticket AS "ticket" FROM follow_events WHERE account_id = ${account.id}`);
    expect(events.rows).toEqual([{ kind: 'subscribe', scene: 'ADD_SCENE_QR_CODE', qrScene: 123, ticket: byId.ticket }]);
  });

  it('lets a blacklisted follower scan like anyone (the blacklist stops messages, not follows)', async () => {
    const { account, token } = await setup();
    const code = await create(token, { action_name: 'QR_LIMIT_SCENE', action_info: { scene: { scene_id: 5 } } });
    const user = await createWechatUser(ctx.app);
    const openid = await follow(ctx.app, user, account.appid);
    expect((await cgi(ctx.app, 'POST', '/cgi-bin/tags/members/batchblacklist', token, { body: { openid_list: [openid] } })).errcode).toBe(0);
    const scanned = await scan(user, code.ticket as string);
    expect(scanned.statusCode, scanned.body).toBe(200);
    expect(scanned.json().event).toBe('SCAN');
  });

  it('refuses an unknown ticket (404 QRCODE_NOT_FOUND), an expired one (410 QRCODE_EXPIRED) and an anonymous scan', async () => {
    const { account, token } = await setup();
    const code = await create(token, { expire_seconds: 30, action_name: 'QR_STR_SCENE', action_info: { scene: { scene_str: 'flash' } } });
    const user = await createWechatUser(ctx.app);
    expectProblem(await scan(user, 'B'.repeat(32)), 404, 'QRCODE_NOT_FOUND');
    expectProblem(await scan(user, 'not a ticket'), 404, 'QRCODE_NOT_FOUND');
    expectProblem(await ctx.app.inject({ method: 'POST', url: '/client/v1/scans', headers: user.headers, payload: {} }), 400, 'VALIDATION_FAILED');
    expectProblem(await ctx.app.inject({ method: 'POST', url: '/client/v1/scans', payload: { ticket: code.ticket } }), 401, 'UNAUTHORIZED');

    // The url the image encodes resolves to the account while the code lives.
    const url = new URL(code.url as string);
    const resolved = await ctx.app.inject({ method: 'GET', url: url.pathname });
    expect(resolved.statusCode, resolved.body).toBe(200);
    expect(resolved.json()).toMatchObject({ ticket: code.ticket, appid: account.appid, expiresAt: expect.any(String) });

    ctx.clock.advance(30_000);
    const expired = expectProblem(await scan(user, code.ticket as string), 410, 'QRCODE_EXPIRED');
    expect(expired.expiresAt).toEqual(expect.any(String));
    expectProblem(await ctx.app.inject({ method: 'GET', url: url.pathname }), 410, 'QRCODE_EXPIRED');
    const follows = await db().execute(sql`SELECT 1 FROM followers WHERE account_id = ${account.id}`);
    expect(follows.rows).toEqual([]);
  });

  it('shows QR follows under ADD_SCENE_QR_CODE in the follower statistics', async () => {
    ctx.clock.set('2026-12-02T04:00:00Z');
    const { owner, account, token } = await setup();
    const code = await create(token, { action_name: 'QR_LIMIT_SCENE', action_info: { scene: { scene_id: 42 } } });
    for (let i = 0; i < 3; i++) expect((await scan(await createWechatUser(ctx.app), code.ticket as string)).statusCode).toBe(201);
    await follow(ctx.app, await createWechatUser(ctx.app), account.appid, 'ADD_SCENE_SEARCH');
    await harness.worker.statsFolder.catchUp();
    const response = await ctx.app.inject({ method: 'GET', url: `/v1/accounts/${account.id}/stats/followers?from=2026-12-02&to=2026-12-02`, headers: owner.headers });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json().items).toEqual([
      {
        refDate: '2026-12-02',
        newUser: 4,
        cancelUser: 0,
        netUser: 4,
        cumulateUser: 4,
        userSource: [
          { scene: 'ADD_SCENE_QR_CODE', newUser: 3, cancelUser: 0 },
          { scene: 'ADD_SCENE_SEARCH', newUser: 1, cancelUser: 0 },
        ],
      },
    ]);
    // And in WeChat's getusersummary (which ends yesterday at the latest), as user_source 30.
    ctx.clock.set('2026-12-03T04:00:00Z');
    const summary = await cgi(ctx.app, 'POST', '/datacube/getusersummary', await accessToken(ctx.app, account), { body: { begin_date: '2026-12-02', end_date: '2026-12-02' } });
    expect(summary.list).toContainEqual({ ref_date: '2026-12-02', user_source: 30, new_user: 3, cancel_user: 0 });
  });
});

describe('/v1/accounts/:id/qrcodes', () => {
  it('creates codes (201, or 200 for a permanent scene that exists) and lists them newest first by keyset', async () => {
    const { owner, account } = await setup();
    const post = (payload: object, headers = owner.headers) => ctx.app.inject({ method: 'POST', url: `/v1/accounts/${account.id}/qrcodes`, headers, payload });
    const temporary = await post({ actionName: 'QR_SCENE', expireSeconds: 3600, actionInfo: { scene: { sceneId: 77 } } });
    expect(temporary.statusCode, temporary.body).toBe(201);
    const view = temporary.json();
    expect(view).toMatchObject({
      actionName: 'QR_SCENE',
      kind: 'temporary',
      sceneId: 77,
      sceneStr: null,
      expireSeconds: 3600,
      url: `http://localhost:80/q/${view.ticket}`,
      imageUrl: `http://localhost:80/cgi-bin/showqrcode?ticket=${view.ticket}`,
    });
    expect(new Date(view.expiresAt).getTime() - new Date(view.createdAt).getTime()).toBe(3_600_000);
    expect((await decodeShown(view.ticket)).text).toBe(view.url);

    const permanent = await post({ actionName: 'QR_LIMIT_STR_SCENE', actionInfo: { scene: { sceneStr: 'door' } } });
    expect(permanent.statusCode, permanent.body).toBe(201);
    expect(permanent.json()).toMatchObject({ kind: 'permanent', sceneStr: 'door', expireSeconds: null, expiresAt: null });
    const same = await post({ actionName: 'QR_LIMIT_STR_SCENE', actionInfo: { scene: { sceneStr: 'door' } } });
    expect(same.statusCode).toBe(200);
    expect(same.json().ticket).toBe(permanent.json().ticket);
    const third = await post({ actionName: 'QR_STR_SCENE', actionInfo: { scene: { sceneStr: 'window' } } });
    expect(third.json().expireSeconds).toBe(60);

    const page1 = await ctx.app.inject({ method: 'GET', url: `/v1/accounts/${account.id}/qrcodes?limit=2`, headers: owner.headers });
    expect(page1.statusCode, page1.body).toBe(200);
    expect(page1.json().items.map((item: { sceneStr: string | null; sceneId: number | null }) => item.sceneStr ?? item.sceneId)).toEqual(['window', 'door']);
    const page2 = await ctx.app.inject({ method: 'GET', url: `/v1/accounts/${account.id}/qrcodes?limit=2&cursor=${page1.json().nextCursor}`, headers: owner.headers });
    expect(page2.json()).toMatchObject({ items: [{ sceneId: 77 }], nextCursor: null });
  });

  it('refuses bad bodies (400), analysts and strangers (403, 404), and anonymous callers (401)', async () => {
    const { owner, account } = await setup();
    const post = (payload: object, headers: Record<string, string> = owner.headers) => ctx.app.inject({ method: 'POST', url: `/v1/accounts/${account.id}/qrcodes`, headers, payload });
    for (const [payload, field] of [
      [{ actionName: 'QR_LIMIT_SCENE', actionInfo: { scene: { sceneId: 100001 } } }, 'sceneId'],
      [{ actionName: 'QR_STR_SCENE', actionInfo: { scene: { sceneId: 1 } } }, 'sceneStr'],
      [{ actionName: 'QR_SCENE', actionInfo: { scene: { sceneId: 1, sceneStr: 'a' } } }, 'scene'],
      [{ actionName: 'QR_SCENE', actionInfo: { scene: {} } }, 'scene'],
      [{ actionName: 'QR_SCENE', expireSeconds: 2_592_001, actionInfo: { scene: { sceneId: 1 } } }, 'expireSeconds'],
      [{ actionName: 'QR_SCENE', actionInfo: { scene: { sceneId: 0 } } }, 'sceneId'],
      [{ actionName: 'QR_STR_SCENE', actionInfo: { scene: { sceneStr: 'x'.repeat(65) } } }, 'sceneStr'],
      [{ actionName: 'QR_FOREVER', actionInfo: { scene: { sceneId: 1 } } }, 'actionName'],
      [{ actionName: 'QR_SCENE', actionInfo: { scene: { scene_id: 1 } } }, 'scene'],
    ] as const) {
      const body = expectProblem(await post(payload), 400, 'VALIDATION_FAILED');
      expect(body.detail, JSON.stringify(payload)).toContain(field);
    }
    const analyst = await registerAdmin(ctx.app);
    await addMember(ctx.app, owner, account.id, analyst, 'analyst');
    const good = { actionName: 'QR_SCENE', actionInfo: { scene: { sceneId: 1 } } };
    expectProblem(await post(good, analyst.headers), 403, 'FORBIDDEN');
    expectProblem(await ctx.app.inject({ method: 'GET', url: `/v1/accounts/${account.id}/qrcodes`, headers: analyst.headers }), 403, 'FORBIDDEN');
    const admin = await registerAdmin(ctx.app);
    await addMember(ctx.app, owner, account.id, admin, 'admin');
    expect((await post(good, admin.headers)).statusCode).toBe(201);
    const stranger = await registerAdmin(ctx.app);
    expect([403, 404]).toContain((await post(good, stranger.headers)).statusCode);
    expectProblem(await ctx.app.inject({ method: 'POST', url: `/v1/accounts/${account.id}/qrcodes`, payload: good }), 401, 'UNAUTHORIZED');
    expectProblem(await ctx.app.inject({ method: 'GET', url: `/v1/accounts/${account.id}/qrcodes?cursor=zzz`, headers: owner.headers }), 400, 'VALIDATION_FAILED');
  });
});
