import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INBOX_SCAN_LIMIT } from '../../src/modules/broadcasts/broadcasts.service.js';
import type { Consumers } from '../../src/queues/consumers.js';
import { createAccount, expectProblem, registerAdmin, type AdminSession, type CreatedAccount } from '../helpers/admin.js';
import { newsMessage, sendBroadcast, waitForFinish } from '../helpers/broadcasts.js';
import { createWechatUser, follow, followers, type WechatUserSession } from '../helpers/client.js';
import { useTestContext } from '../helpers/context.js';
import { startWorker } from '../helpers/worker.js';

const ctx = useTestContext({ FANOUT_BATCH_SIZE: '2', SWEEP_INTERVAL_MS: '600000' });
let worker: Consumers;
beforeAll(async () => {
  worker = await startWorker(ctx);
});
afterAll(async () => {
  await worker?.close();
});

const DAY_MS = 86_400_000;
const db = () => ctx.deps.database.db;

type InboxPage = { items: Array<Record<string, unknown> & { msgId: string }>; nextCursor: string | null };

async function inboxPage(user: WechatUserSession, appid: string, query = ''): Promise<InboxPage> {
  const response = await ctx.app.inject({ method: 'GET', url: `/client/v1/inbox?appid=${appid}${query}`, headers: user.headers });
  expect(response.statusCode, response.body).toBe(200);
  return response.json();
}

/** Every page of the inbox, in order, with the items of each. */
async function allPages(user: WechatUserSession, appid: string, limit: number): Promise<InboxPage['items'][]> {
  const pages: InboxPage['items'][] = [];
  let cursor: string | null = null;
  do {
    const page: InboxPage = await inboxPage(user, appid, `&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
    pages.push(page.items);
    cursor = page.nextCursor;
  } while (cursor !== null && pages.length < 1000);
  return pages;
}

const message = (user: WechatUserSession, appid: string, msgId: string) =>
  ctx.app.inject({ method: 'GET', url: `/client/v1/inbox/${msgId}?appid=${appid}`, headers: user.headers });

async function setup() {
  const owner = await registerAdmin(ctx.app);
  const account = await createAccount(ctx.app, owner);
  return { owner, account };
}

/** Sends and waits for SEND_SUCCESS; a subscription account sends once a day, so the clock moves a day first. */
async function sendAndFinish(owner: AdminSession, account: CreatedAccount, payload: Record<string, unknown>) {
  ctx.clock.advance(DAY_MS);
  const response = await sendBroadcast(ctx.app, owner, account.id, payload);
  expect(response.statusCode, response.body).toBe(202);
  const finished = await waitForFinish(ctx.app, owner, account.id, response.json().id);
  expect(finished.status).toBe('SEND_SUCCESS');
  return { id: finished.id as number, msgId: finished.msgId as string };
}

describe('the inbox', () => {
  it('lists what the follower received, newest first, news as summaries without HTML; the message route has the body', async () => {
    ctx.clock.set('2026-07-01T04:00:00Z');
    const { owner, account } = await setup();
    const [fan] = await followers(ctx.app, account.appid, 3);
    const news = await sendAndFinish(owner, account, { target: { all: true }, message: newsMessage(2) });
    const text = await sendAndFinish(owner, account, { target: { all: true }, message: { type: 'text', content: 'second' } });
    const image = await sendAndFinish(owner, account, { target: { all: true }, message: { type: 'image', imageUrl: 'https://example.com/i.png' } });

    const { items, nextCursor } = await inboxPage(fan!, account.appid);
    expect(nextCursor).toBeNull();
    expect(items.map((item) => item.msgId)).toEqual([image.msgId, text.msgId, news.msgId]);
    expect(items[0]).toMatchObject({ type: 'image', imageUrl: 'https://example.com/i.png', preview: false });
    expect(items[1]).toMatchObject({ type: 'text', content: 'second' });
    expect(items[2]!.articles).toEqual([1, 2].map((i) => ({
      index: i,
      title: `Article ${i}`,
      author: 'Editor',
      digest: 'A short digest',
      contentSourceUrl: 'https://example.com/original',
      thumbUrl: 'https://example.com/thumb.jpg',
    })));

    const full = await message(fan!, account.appid, news.msgId);
    expect(full.statusCode, full.body).toBe(200);
    expect(full.json()).toMatchObject({ msgId: news.msgId, type: 'news', preview: false });
    expect(full.json().articles.map((a: { index: number; content: string }) => [a.index, a.content])).toEqual([
      [1, '<p>Body of article 1</p>'],
      [2, '<p>Body of article 2</p>'],
    ]);
    expect((await message(fan!, account.appid, text.msgId)).json()).toMatchObject({ type: 'text', content: 'second' });
  });

  it('leaves out what the follower never received: sent before they followed, or addressed to others', async () => {
    ctx.clock.set('2026-08-01T04:00:00Z');
    const { owner, account } = await setup();
    const early = await followers(ctx.app, account.appid, 2);
    const before = await sendAndFinish(owner, account, { target: { all: true }, message: { type: 'text', content: 'before you came' } });
    const late = await createWechatUser(ctx.app);
    await follow(ctx.app, late, account.appid);
    const after = await sendAndFinish(owner, account, { target: { all: true }, message: { type: 'text', content: 'welcome' } });
    // Addressed to the early followers by a tag (an openid list is a verified service account's, capability policy).
    const tag = await ctx.app.inject({ method: 'POST', url: `/v1/accounts/${account.id}/tags`, headers: owner.headers, payload: { name: 'early' } });
    expect(tag.statusCode, tag.body).toBe(201);
    const tagged = await ctx.app.inject({ method: 'POST', url: `/v1/accounts/${account.id}/tags/${tag.json().id}/members`, headers: owner.headers, payload: { openids: early.map((f) => f.openid) } });
    expect(tagged.statusCode, tagged.body).toBe(200);
    const others = await sendAndFinish(owner, account, { target: { tagId: tag.json().id }, message: { type: 'text', content: 'not for you' } });

    expect((await inboxPage(late, account.appid)).items.map((item) => item.msgId)).toEqual([after.msgId]);
    expect((await inboxPage(early[0]!, account.appid)).items.map((item) => item.msgId)).toEqual([others.msgId, after.msgId, before.msgId]);
    for (const msgId of [before.msgId, others.msgId]) expectProblem(await message(late, account.appid, msgId), 404, 'BROADCAST_NOT_FOUND');
    // A user who never followed the account has an empty inbox, and no message of it.
    const stranger = await createWechatUser(ctx.app);
    expect(await inboxPage(stranger, account.appid)).toEqual({ items: [], nextCursor: null });
    expectProblem(await message(stranger, account.appid, after.msgId), 404, 'BROADCAST_NOT_FOUND');
  });

  it('marks previews', async () => {
    ctx.clock.set('2026-09-01T04:00:00Z');
    const { owner, account } = await setup();
    const [fan, other] = await followers(ctx.app, account.appid, 2);
    const sent = await sendAndFinish(owner, account, { target: { all: true }, message: { type: 'text', content: 'for everyone' } });
    const preview = await ctx.app.inject({
      method: 'POST',
      url: `/v1/accounts/${account.id}/broadcasts/preview`,
      headers: owner.headers,
      payload: { openids: [fan!.openid], message: newsMessage(1) },
    });
    expect(preview.statusCode, preview.body).toBe(201);

    const { items } = await inboxPage(fan!, account.appid);
    expect(items.map((item) => [item.msgId, item.preview])).toEqual([
      [preview.json().msgId, true],
      [sent.msgId, false],
    ]);
    expect((await inboxPage(other!, account.appid)).items.map((item) => item.msgId)).toEqual([sent.msgId]);
  });

  it('leaves out deleted broadcasts and deleted articles, and their message route answers 404', async () => {
    ctx.clock.set('2026-10-01T04:00:00Z');
    const { owner, account } = await setup();
    const [fan] = await followers(ctx.app, account.appid, 1);
    const kept = await sendAndFinish(owner, account, { target: { all: true }, message: newsMessage(3) });
    const removed = await sendAndFinish(owner, account, { target: { all: true }, message: { type: 'text', content: 'oops' } });
    const remove = (id: number, query = '') =>
      ctx.app.inject({ method: 'DELETE', url: `/v1/accounts/${account.id}/broadcasts/${id}${query}`, headers: owner.headers });
    expect((await remove(removed.id)).statusCode).toBe(200);
    expect((await remove(kept.id, '?articleIndex=2')).statusCode).toBe(200);

    const { items } = await inboxPage(fan!, account.appid);
    expect(items.map((item) => item.msgId)).toEqual([kept.msgId]);
    expect((items[0]!.articles as Array<{ index: number }>).map((a) => a.index)).toEqual([1, 3]);
    expect((await message(fan!, account.appid, kept.msgId)).json().articles.map((a: { index: number }) => a.index)).toEqual([1, 3]);
    expectProblem(await message(fan!, account.appid, removed.msgId), 404, 'BROADCAST_NOT_FOUND');

    // Once its last articles go, a news broadcast has nothing left to show.
    for (const index of [1, 3]) expect((await remove(kept.id, `?articleIndex=${index}`)).statusCode).toBe(200);
    expect((await inboxPage(fan!, account.appid)).items).toEqual([]);
    expectProblem(await message(fan!, account.appid, kept.msgId), 404, 'BROADCAST_NOT_FOUND');
  });

  it('pages without repeats or gaps, also across long runs of broadcasts the follower did not receive', async () => {
    ctx.clock.set('2026-11-01T04:00:00Z');
    const { account } = await setup();
    const [fan] = await followers(ctx.app, account.appid, 1);
    const followerId = (await db().execute<{ id: number }>(sql`SELECT id FROM followers WHERE account_id = ${account.id}`)).rows[0]!.id;
    // Many sent broadcasts (more than two inbox windows), of which the follower received the first, the last, every
    // seventh, and one run of four in a row; written directly, as a year of sends would leave them.
    const count = 2 * INBOX_SCAN_LIMIT + 50;
    const received = (n: number) => n === 1 || n === count || n % 7 === 0 || (n > 300 && n <= 304);
    const created = await db().execute<{ id: number; n: number }>(sql`
      INSERT INTO broadcasts (account_id, message_type, target, status, created_at, started_at, finished_at, body)
      SELECT ${account.id}, 'text', 'all', 'SEND_SUCCESS', now(), now(), now(), jsonb_build_object('content', 'n' || g)
      FROM generate_series(1, ${count}::int) AS g ORDER BY g
      RETURNING id, (body->>'content') AS n`);
    const ids = created.rows.map((row) => ({ id: row.id, n: Number(String(row.n).slice(1)) })).filter((row) => received(row.n)).map((row) => row.id);
    await db().execute(sql`
      INSERT INTO deliveries (broadcast_id, follower_id, delivered_at)
      SELECT unnest(${sql.param(ids)}::bigint[]), ${followerId}, now()`);
    const expected = (await db().execute<{ content: string }>(sql`
      SELECT body->>'content' AS content FROM broadcasts WHERE id = ANY(${sql.param(ids)}::bigint[]) ORDER BY id DESC`)).rows.map((row) => row.content);

    for (const limit of [1, 3, 20, 100]) {
      const pages = await allPages(fan!, account.appid, limit);
      for (const page of pages) expect(page.length).toBeLessThanOrEqual(limit);
      expect(pages.flat().map((item) => item.content)).toEqual(expected);
    }
  });

  it("merges the developer server's passive replies in by time, paging through both without repeats or gaps", async () => {
    ctx.clock.set('2026-11-10T04:00:00Z');
    const { account } = await setup();
    const [fan] = await followers(ctx.app, account.appid, 1);
    const { id: followerId, openid } = (await db().execute<{ id: number; openid: string }>(sql`
      SELECT id, openid FROM followers WHERE account_id = ${account.id}`)).rows[0]!;
    // 250 broadcasts over more than one inbox window, a third of them received, delivered a minute apart; 60
    // replies a few minutes apart in between (the relay writes them; here they are written directly).
    const created = await db().execute<{ id: number; n: number }>(sql`
      INSERT INTO broadcasts (account_id, message_type, target, status, created_at, started_at, finished_at, body)
      SELECT ${account.id}, 'text', 'all', 'SEND_SUCCESS', now(), now(), now(), jsonb_build_object('content', 'b' || g)
      FROM generate_series(1, 250) AS g ORDER BY g
      RETURNING id, substr(body->>'content', 2)::int AS n`);
    const received = created.rows.filter((row) => row.n % 3 === 0 || row.n > 240);
    await db().execute(sql`
      INSERT INTO deliveries (broadcast_id, follower_id, delivered_at)
      SELECT id, ${followerId}, timestamptz '2026-11-01T00:00:00Z' + n * interval '1 minute'
      FROM unnest(${sql.param(received.map((row) => row.id))}::bigint[], ${sql.param(received.map((row) => row.n))}::int[]) AS r(id, n)`);
    await db().execute(sql`
      INSERT INTO webhook_replies (account_id, openid, push_id, in_reply_to_msg_id, message, created_at)
      SELECT ${account.id}, ${openid}, 1000000 + g, NULL, jsonb_build_object('type', 'text', 'content', 'r' || g),
             timestamptz '2026-11-01T00:00:00Z' + (g * 4 + 0.5) * interval '1 minute'
      FROM generate_series(1, 60) AS g`);
    const expected = [
      ...received.map((row) => ({ key: `b${row.n}`, minute: row.n })),
      ...Array.from({ length: 60 }, (_, i) => ({ key: `r${i + 1}`, minute: (i + 1) * 4 + 0.5 })),
    ]
      .sort((x, y) => y.minute - x.minute)
      .map((row) => row.key);

    for (const limit of [1, 7, 100]) {
      const pages = await allPages(fan!, account.appid, limit);
      for (const page of pages) expect(page.length).toBeLessThanOrEqual(limit);
      const keys = pages.flat().map((item) => (item.kind === 'reply' ? (item.message as { content: string }).content : item.content));
      expect(keys).toEqual(expected);
    }
    const [newest] = (await inboxPage(fan!, account.appid, '&limit=20')).items.filter((item) => item.kind === 'reply');
    expect(newest).toEqual({ kind: 'reply', inReplyToMsgId: null, deliveredAt: '2026-11-01T04:00:30.000Z', message: { type: 'text', content: 'r60' } });
  });

  it('keeps a 64-bit msg_id exact, as a string, in the inbox and on the message route', async () => {
    ctx.clock.set('2026-12-01T04:00:00Z');
    const { owner, account } = await setup();
    const [fan] = await followers(ctx.app, account.appid, 1);
    const sent = await sendAndFinish(owner, account, { target: { all: true }, message: { type: 'text', content: 'big id' } });
    const bigMsgId = '6054768590064713729'; // above 2^53: a JS number would round it
    await db().execute(sql`UPDATE broadcasts SET msg_id = ${bigMsgId}::bigint WHERE id = ${sent.id}`);

    expect((await inboxPage(fan!, account.appid)).items.map((item) => item.msgId)).toEqual([bigMsgId]);
    const full = await message(fan!, account.appid, bigMsgId);
    expect(full.statusCode, full.body).toBe(200);
    expect(full.body).toContain(`"msgId":"${bigMsgId}"`);
    // The admin's view of the same broadcast carries the same exact string.
    const adminView = await ctx.app.inject({ method: 'GET', url: `/v1/accounts/${account.id}/broadcasts/${sent.id}`, headers: owner.headers });
    expect(adminView.statusCode, adminView.body).toBe(200);
    expect(adminView.body).toContain(`"msgId":"${bigMsgId}"`);
    // Neighbours of the id, and ids beyond int8, are simply not found.
    for (const msgId of ['6054768590064713728', '9223372036854775808', '9999999999999999999']) {
      expectProblem(await message(fan!, account.appid, msgId), 404, 'BROADCAST_NOT_FOUND');
    }
    expect((await message(fan!, account.appid, '12ab')).statusCode).toBe(400);
  });
});

describe('deliveries', () => {
  it('are keyed by (broadcast_id, follower_id), with no follower-first index for fan-outs to scatter over', async () => {
    const indexes = await db().execute<{ name: string; definition: string }>(sql`
      SELECT indexname AS name, indexdef AS definition FROM pg_indexes WHERE schemaname = 'public' AND tablename = 'deliveries'`);
    expect(indexes.rows).toEqual([
      { name: 'deliveries_broadcast_id_follower_id_pk', definition: expect.stringMatching(/USING btree \(broadcast_id, follower_id\)$/) },
    ]);
  });
});

describe('with CLIENT_API_ENABLED=false', () => {
  const disabled = useTestContext({ CLIENT_API_ENABLED: 'false' });

  it('the inbox is gone with the rest of the /client/v1 surface', async () => {
    const token = disabled.app.signClientToken(1);
    for (const url of ['/client/v1/inbox?appid=wx0123456789abcdef', '/client/v1/inbox/1000000001?appid=wx0123456789abcdef']) {
      expectProblem(await disabled.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } }), 404, 'NOT_FOUND');
    }
  });
});
