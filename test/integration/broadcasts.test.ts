import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Consumers } from '../../src/queues/consumers.js';
import { QUEUES } from '../../src/queues/queues.js';
import { addMember, createAccount, expectProblem, registerAdmin, type AdminSession } from '../helpers/admin.js';
import { getBroadcast, newsMessage, outboxEvents, sendBroadcast, waitForFinish } from '../helpers/broadcasts.js';
import { createWechatUser, follow, followers, unfollow } from '../helpers/client.js';
import { useTestContext } from '../helpers/context.js';
import { startWorker, waitFor } from '../helpers/worker.js';
import { capableAccount } from '../helpers/wechat.js';

// Small batches, so a handful of followers already makes a multi-batch fan-out.
const ctx = useTestContext({ FANOUT_BATCH_SIZE: '3', SWEEP_INTERVAL_MS: '600000' });
let worker: Consumers;
beforeAll(async () => {
  worker = await startWorker(ctx);
});
afterAll(async () => {
  await worker?.close();
});

async function setup(type?: 'service') {
  const owner = await registerAdmin(ctx.app);
  const account = await createAccount(ctx.app, owner);
  if (type) await ctx.app.inject({ method: 'PUT', url: `/v1/accounts/${account.id}/type`, headers: owner.headers, payload: { type } });
  return { owner, account };
}

const db = () => ctx.deps.database.db;
const deliveriesOf = async (broadcastId: number) =>
  (await db().execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM deliveries WHERE broadcast_id = ${broadcastId}`)).rows[0]!.n;
const inbox = (user: { headers: { authorization: string } }, appid: string) =>
  ctx.app.inject({ method: 'GET', url: `/client/v1/inbox?appid=${appid}`, headers: user.headers });
const quotaOf = async (owner: AdminSession, accountId: number) =>
  (await ctx.app.inject({ method: 'GET', url: `/v1/accounts/${accountId}/quota`, headers: owner.headers })).json();
const finishEvents = (broadcastId: number) => outboxEvents(db(), `MASSSENDJOBFINISH:${broadcastId}`);

describe('sending to all followers', () => {
  it('queues, fans out in batches, delivers once to each follower, and announces MASSSENDJOBFINISH', async () => {
    ctx.clock.set('2026-06-15T04:00:00Z');
    const { owner, account } = await setup();
    const fans = await followers(ctx.app, account.appid, 10);
    const response = await sendBroadcast(ctx.app, owner, account.id, { target: { all: true }, message: newsMessage(2) });
    expect(response.statusCode, response.body).toBe(202);
    const accepted = response.json();
    expect(accepted).toMatchObject({ status: 'queued', preview: false, msgId: expect.stringMatching(/^[1-9][0-9]*$/), msgDataId: expect.any(Number) });

    const finished = await waitForFinish(ctx.app, owner, account.id, accepted.id);
    expect(finished).toMatchObject({ status: 'SEND_SUCCESS', progress: 100, counts: { total: 10, filtered: 0, sent: 10, errors: 0 } });
    expect(await deliveriesOf(accepted.id)).toBe(10);
    const batches = await db().execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM broadcast_batches WHERE broadcast_id = ${accepted.id}`);
    expect(batches.rows[0]!.n).toBe(4);

    const iso = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$/;
    for (const field of ['createdAt', 'startedAt', 'finishedAt']) expect(finished[field]).toMatch(iso);
    const received = (await inbox(fans[0]!, account.appid)).json();
    expect(received.items[0].deliveredAt).toMatch(iso);
    expect(received.items).toHaveLength(1);
    expect(received.items[0]).toMatchObject({ msgDataId: accepted.msgDataId, preview: false, type: 'news' });
    // The inbox may carry ids as strings (64-bit safe); either way it is the same broadcast.
    expect(received.items[0].msgId).toBe(accepted.msgId);
    expect(received.items[0].articles.map((a: { title: string }) => a.title)).toEqual(['Article 1', 'Article 2']);

    // The announcement is a row written with the final status; it is published (to the webhook outbox, when the
    // account has a server) by the statement that writes it.
    expect(await finishEvents(accepted.id)).toEqual([
      {
        accountId: account.id,
        kind: 'MASSSENDJOBFINISH',
        payload: {
          broadcastId: accepted.id,
          msgId: accepted.msgId,
          status: 'SEND_SUCCESS',
          failReason: null,
          counts: { total: 10, filtered: 0, sent: 10, errors: 0 },
          finishedAt: finished.finishedAt,
        },
        publishedAt: expect.any(String),
      },
    ]);
  });

  it('filters unsubscribed and blacklisted followers, and counts the filtered', async () => {
    ctx.clock.set('2026-06-15T04:00:00Z');
    const { owner, account } = await setup();
    const fans = await followers(ctx.app, account.appid, 6);
    await unfollow(ctx.app, fans[0]!, account.appid);
    await ctx.app.inject({ method: 'POST', url: `/v1/accounts/${account.id}/blacklist`, headers: owner.headers, payload: { openids: [fans[1]!.openid, fans[2]!.openid] } });
    const { id } = (await sendBroadcast(ctx.app, owner, account.id, { target: { all: true }, message: { type: 'text', content: 'hello' } })).json();
    const finished = await waitForFinish(ctx.app, owner, account.id, id);
    // "All" means current followers: the one who left is not in the audience; the blacklisted are filtered.
    expect(finished.counts).toEqual({ total: 5, filtered: 2, sent: 3, errors: 0 });
    expect((await inbox(fans[1]!, account.appid)).json().items).toEqual([]);
    expect((await inbox(fans[3]!, account.appid)).json().items[0]).toMatchObject({ type: 'text', content: 'hello' });
  });
});

describe('targets', () => {
  it('a tag reaches its subscribed, non-blacklisted members only', async () => {
    ctx.clock.set('2026-06-15T04:00:00Z');
    const { owner, account } = await setup();
    const fans = await followers(ctx.app, account.appid, 8);
    const tag = (await ctx.app.inject({ method: 'POST', url: `/v1/accounts/${account.id}/tags`, headers: owner.headers, payload: { name: 'vip' } })).json();
    const tagged = [fans[1]!, fans[3]!, fans[5]!, fans[7]!];
    await ctx.app.inject({ method: 'POST', url: `/v1/accounts/${account.id}/tags/${tag.id}/members`, headers: owner.headers, payload: { openids: tagged.map((f) => f.openid) } });
    await unfollow(ctx.app, fans[3]!, account.appid);
    await ctx.app.inject({ method: 'POST', url: `/v1/accounts/${account.id}/blacklist`, headers: owner.headers, payload: { openids: [fans[5]!.openid] } });

    const { id } = (await sendBroadcast(ctx.app, owner, account.id, { target: { tagId: tag.id }, message: { type: 'text', content: 'vip only' } })).json();
    const finished = await waitForFinish(ctx.app, owner, account.id, id);
    expect(finished.counts).toEqual({ total: 4, filtered: 2, sent: 2, errors: 0 });
    const recipients = await db().execute<{ openid: string }>(sql`
      SELECT f.openid FROM deliveries d JOIN followers f ON f.id = d.follower_id WHERE d.broadcast_id = ${id} ORDER BY f.id`);
    expect(recipients.rows.map((r) => r.openid)).toEqual([fans[1]!.openid, fans[7]!.openid]);
  });

  it('an openid list counts unknown openids as errors instead of failing', async () => {
    ctx.clock.set('2026-06-15T04:00:00Z');
    // Sending to an openid list is a verified service account's (capability policy).
    const { owner, account } = await setup('service');
    await capableAccount(ctx.app, owner, account, { verified: true });
    const fans = await followers(ctx.app, account.appid, 3);
    const openids = [fans[0]!.openid, fans[2]!.openid, 'ounknown-1', 'ounknown-2'];
    const response = await sendBroadcast(ctx.app, owner, account.id, { target: { openids }, message: { type: 'image', imageUrl: 'https://example.com/i.png' } });
    expect(response.statusCode).toBe(202);
    const finished = await waitForFinish(ctx.app, owner, account.id, response.json().id);
    expect(finished).toMatchObject({ status: 'SEND_SUCCESS', counts: { total: 4, filtered: 0, sent: 2, errors: 2 } });
    expect((await inbox(fans[1]!, account.appid)).json().items).toEqual([]);
    expect((await inbox(fans[2]!, account.appid)).json().items[0]).toMatchObject({ type: 'image', imageUrl: 'https://example.com/i.png' });
  });

  it.each([
    [{ openids: ['oonly-one'] }, /openids/],
    [{ tagId: 5, all: true }, /target/],
    [{ all: false }, /target/],
  ])('rejects the target %j', async (target, mentions) => {
    const { owner, account } = await setup();
    const response = await sendBroadcast(ctx.app, owner, account.id, { target, message: { type: 'text', content: 'x' } });
    expect(expectProblem(response, 400, 'VALIDATION_FAILED').detail).toMatch(mentions);
  });

  it('an unknown tag is refused before any quota is used', async () => {
    ctx.clock.set('2026-06-15T04:00:00Z');
    const { owner, account } = await setup();
    expectProblem(await sendBroadcast(ctx.app, owner, account.id, { target: { tagId: 999999 }, message: { type: 'text', content: 'x' } }), 404, 'TAG_NOT_FOUND');
    expect((await quotaOf(owner, account.id)).used).toBe(0);
  });
});

describe('content', () => {
  it.each([
    [{ type: 'news', articles: [] }, /articles/],
    [newsMessage(9), /articles/],
    [{ type: 'news', articles: [{ title: 't', content: '<p>x</p>' }] }, /thumbUrl/],
    [{ type: 'text', content: '' }, /content/],
    [{ type: 'image', imageUrl: 'javascript:alert(1)' }, /imageUrl/],
    [{ type: 'voice', mediaId: 'x' }, /type/],
  ])('rejects the message %j', async (message, mentions) => {
    const { owner, account } = await setup();
    const response = await sendBroadcast(ctx.app, owner, account.id, { target: { all: true }, message });
    expect(expectProblem(response, 400, 'VALIDATION_FAILED').detail).toMatch(mentions);
  });

  it('sanitises article HTML: no scripts, no event handlers, no javascript: links', async () => {
    ctx.clock.set('2026-06-15T04:00:00Z');
    const { owner, account } = await setup();
    await followers(ctx.app, account.appid, 1);
    const message = newsMessage(1);
    message.articles[0]!.content =
      '<p onclick="steal()">Hi <b>there</b><script>alert(1)</script></p><a href="javascript:alert(2)">x</a><img src="https://example.com/a.png" onerror="evil()"><iframe src="https://evil.example"></iframe>';
    const { id } = (await sendBroadcast(ctx.app, owner, account.id, { target: { all: true }, message })).json();
    const content: string = (await getBroadcast(ctx.app, owner, account.id, id)).message.articles[0].content;
    expect(content).toBe('<p>Hi <b>there</b></p><a>x</a><img src="https://example.com/a.png" />');
  });
});

describe('quota', () => {
  it('a subscription account is refused a second send on the same Shanghai day, and may send the next day', async () => {
    const { owner, account } = await setup();
    await followers(ctx.app, account.appid, 2);
    ctx.clock.set('2026-06-15T15:00:00Z'); // 23:00 in Shanghai
    expect((await sendBroadcast(ctx.app, owner, account.id, { target: { all: true }, message: { type: 'text', content: 'one' } })).statusCode).toBe(202);
    const refused = await sendBroadcast(ctx.app, owner, account.id, { target: { all: true }, message: { type: 'text', content: 'two' } });
    expect(expectProblem(refused, 409, 'QUOTA_EXHAUSTED').resetsAt).toBe('2026-06-15T16:00:00.000Z');
    ctx.clock.set('2026-06-15T16:00:01Z');
    expect((await sendBroadcast(ctx.app, owner, account.id, { target: { all: true }, message: { type: 'text', content: 'two' } })).statusCode).toBe(202);
  });

  it('a service account is refused after its monthly unit', async () => {
    const { owner, account } = await setup('service');
    await followers(ctx.app, account.appid, 2);
    ctx.clock.set('2026-07-03T00:00:00Z');
    expect((await sendBroadcast(ctx.app, owner, account.id, { target: { all: true }, message: { type: 'text', content: 'july' } })).statusCode).toBe(202);
    ctx.clock.set('2026-07-25T00:00:00Z');
    expectProblem(await sendBroadcast(ctx.app, owner, account.id, { target: { all: true }, message: { type: 'text', content: 'again' } }), 409, 'QUOTA_EXHAUSTED');
  });

  it('of 20 concurrent sends exactly one is accepted', async () => {
    ctx.clock.set('2026-06-20T04:00:00Z');
    const { owner, account } = await setup();
    await followers(ctx.app, account.appid, 2);
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) => sendBroadcast(ctx.app, owner, account.id, { target: { all: true }, message: { type: 'text', content: `race ${i}` } })),
    );
    expect(responses.filter((r) => r.statusCode === 202)).toHaveLength(1);
    for (const refused of responses.filter((r) => r.statusCode !== 202)) expectProblem(refused, 409, 'QUOTA_EXHAUSTED');
    const count = await db().execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM broadcasts WHERE account_id = ${account.id}`);
    expect(count.rows[0]!.n).toBe(1);
  });

  it('a broadcast that fails before delivering anything returns its unit', async () => {
    ctx.clock.set('2026-06-21T04:00:00Z');
    const { owner, account } = await setup();
    const [fan] = await followers(ctx.app, account.appid, 1);
    await ctx.app.inject({ method: 'POST', url: `/v1/accounts/${account.id}/blacklist`, headers: owner.headers, payload: { openids: [fan!.openid] } });
    const { id } = (await sendBroadcast(ctx.app, owner, account.id, { target: { all: true }, message: { type: 'text', content: 'nobody' } })).json();
    const finished = await waitForFinish(ctx.app, owner, account.id, id);
    expect(finished).toMatchObject({ status: 'SEND_FAIL', failReason: 'NO_ELIGIBLE_RECIPIENTS', counts: { sent: 0, filtered: 1 } });
    expect(await quotaOf(owner, account.id)).toMatchObject({ used: 0, remaining: 1 });
  });

  it('a tag deleted before fan-out fails the broadcast and returns its unit', async () => {
    ctx.clock.set('2026-06-22T04:00:00Z');
    const { owner, account } = await setup();
    const tag = (await ctx.app.inject({ method: 'POST', url: `/v1/accounts/${account.id}/tags`, headers: owner.headers, payload: { name: 'gone' } })).json();
    // Record the broadcast without a worker picking it up: pause the planner first.
    await worker.workers[0]!.pause();
    try {
      const { id } = (await sendBroadcast(ctx.app, owner, account.id, { target: { tagId: tag.id }, message: { type: 'text', content: 'x' } })).json();
      await ctx.app.inject({ method: 'DELETE', url: `/v1/accounts/${account.id}/tags/${tag.id}`, headers: owner.headers });
      worker.workers[0]!.resume();
      const finished = await waitForFinish(ctx.app, owner, account.id, id);
      expect(finished).toMatchObject({ status: 'SEND_FAIL', failReason: 'TAG_DELETED' });
      expect((await quotaOf(owner, account.id)).used).toBe(0);
    } finally {
      worker.workers[0]!.resume();
    }
  });
});

describe('exactly once', () => {
  it('running the same batch again delivers nothing and changes no counter', async () => {
    ctx.clock.set('2026-06-23T04:00:00Z');
    const { owner, account } = await setup();
    await followers(ctx.app, account.appid, 7);
    const { id } = (await sendBroadcast(ctx.app, owner, account.id, { target: { all: true }, message: { type: 'text', content: 'once' } })).json();
    const before = await waitForFinish(ctx.app, owner, account.id, id);
    const ref = { accountId: account.id, broadcastId: id };
    for (const seq of [0, 1, 2]) expect(await ctx.deps.services.fanout.deliverBatch(ref, seq)).toBe('skipped');
    // A duplicate job under another id, as a stalled and retried job would be: the worker runs it and skips.
    const duplicate = await ctx.deps.producers[QUEUES.broadcastBatch].add('deliver', { ...ref, seq: 1, attempt: 0 }, { jobId: `duplicate-${id}` });
    const finishedJob = await waitFor(async () => ((await duplicate.getState()) === 'completed' ? ctx.deps.producers[QUEUES.broadcastBatch].getJob(duplicate.id!) : undefined), {
      what: 'the duplicate job to complete',
    });
    expect(finishedJob!.returnvalue).toBe('skipped');
    await ctx.deps.services.fanout.plan(ref);
    await ctx.deps.services.fanout.sweep();
    expect(await deliveriesOf(id)).toBe(7);
    expect(await getBroadcast(ctx.app, owner, account.id, id)).toMatchObject({ status: 'SEND_SUCCESS', counts: before.counts });
    expect(await finishEvents(id)).toHaveLength(1);
  });

  it('MASSSENDJOBFINISH is one outbox row however often and however concurrently the finishing steps run', async () => {
    ctx.clock.set('2026-06-23T05:00:00Z');
    const { owner, account } = await setup();
    await followers(ctx.app, account.appid, 9); // three batches of three
    await worker.workers[1]!.pause();
    try {
      const { id } = (await sendBroadcast(ctx.app, owner, account.id, { target: { all: true }, message: { type: 'text', content: 'race' } })).json();
      const ref = { accountId: account.id, broadcastId: id };
      await waitFor(async () => (await getBroadcast(ctx.app, owner, account.id, id)).status === 'SENDING', { what: 'the plan' });
      const fanout = ctx.deps.services.fanout;
      expect(await fanout.deliverBatch(ref, 0)).toBe('delivered');
      // The last two batches at once, then the last one twice at once: exactly one run finishes the broadcast.
      const [second, ...last] = await Promise.all([fanout.deliverBatch(ref, 1), fanout.deliverBatch(ref, 2), fanout.deliverBatch(ref, 2)]);
      expect(second).toBe('delivered');
      expect(last.sort()).toEqual(['delivered', 'skipped']);
      // Every finishing path again: planning, delivery, failure bookkeeping of a done batch, the sweep.
      await fanout.plan(ref);
      for (const seq of [0, 1, 2]) expect(await fanout.deliverBatch(ref, seq)).toBe('skipped');
      await fanout.batchFailed(ref, 2, 0, 'a late report');
      await fanout.planFailed(ref, 0, 'a late report');
      await fanout.sweep();
      expect(await getBroadcast(ctx.app, owner, account.id, id)).toMatchObject({ status: 'SEND_SUCCESS', counts: { total: 9, sent: 9, errors: 0 } });
      expect(await finishEvents(id)).toHaveLength(1);
    } finally {
      worker.workers[1]!.resume();
    }
  });
});

describe('clientMsgId', () => {
  it('a repeat within 24 hours returns the first broadcast instead of sending again', async () => {
    ctx.clock.set('2026-06-24T04:00:00Z');
    const { owner, account } = await setup();
    await followers(ctx.app, account.appid, 2);
    const payload = { target: { all: true }, message: { type: 'text', content: 'dedup' }, clientMsgId: 'send_tag_2' };
    const first = await sendBroadcast(ctx.app, owner, account.id, payload);
    expect(first.statusCode).toBe(202);
    const again = await sendBroadcast(ctx.app, owner, account.id, payload);
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ id: first.json().id, msgId: first.json().msgId, duplicate: true });
    expectProblem(await sendBroadcast(ctx.app, owner, account.id, { ...payload, clientMsgId: 'é'.repeat(33) }), 400, 'VALIDATION_FAILED');
  });
});

describe('preview', () => {
  it('reaches the named followers at once, uses no quota, is marked in the inbox, and is limited to 100 a day', async () => {
    ctx.clock.set('2026-06-25T04:00:00Z');
    const { owner, account } = await setup();
    const fans = await followers(ctx.app, account.appid, 2);
    const response = await ctx.app.inject({
      method: 'POST',
      url: `/v1/accounts/${account.id}/broadcasts/preview`,
      headers: owner.headers,
      payload: { openids: [fans[0]!.openid, 'ounknown'], message: newsMessage(1) },
    });
    expect(response.statusCode, response.body).toBe(201);
    expect(response.json()).toMatchObject({ preview: true, status: 'SEND_SUCCESS', counts: { total: 2, sent: 1, errors: 1 } });
    expect((await inbox(fans[0]!, account.appid)).json().items[0]).toMatchObject({ preview: true, type: 'news' });
    expect((await quotaOf(owner, account.id)).used).toBe(0);

    const tooMany = Array.from({ length: 99 }, (_, i) => `o${String(i).padStart(27, '0')}`);
    const refused = await ctx.app.inject({ method: 'POST', url: `/v1/accounts/${account.id}/broadcasts/preview`, headers: owner.headers, payload: { openids: tooMany, message: newsMessage(1) } });
    expectProblem(refused, 409, 'PREVIEW_LIMIT_REACHED');
    const list = (await ctx.app.inject({ method: 'GET', url: `/v1/accounts/${account.id}/broadcasts`, headers: owner.headers })).json();
    expect(list.items).toEqual([]);
  });
});

describe('deleting', () => {
  it('hides deleted content from inboxes and article pages, and keeps what already happened', async () => {
    ctx.clock.set('2026-06-26T04:00:00Z');
    const { owner, account } = await setup();
    const [fan] = await followers(ctx.app, account.appid, 1);
    const sent = (await sendBroadcast(ctx.app, owner, account.id, { target: { all: true }, message: newsMessage(3) })).json();
    await waitForFinish(ctx.app, owner, account.id, sent.id);
    const read = (articleIndex: number) =>
      ctx.app.inject({ method: 'POST', url: '/client/v1/engagements', headers: fan!.headers, payload: { appid: account.appid, msgDataId: sent.msgDataId, articleIndex, action: 'read' } });
    expect((await read(2)).statusCode).toBe(201);

    const one = await ctx.app.inject({ method: 'DELETE', url: `/v1/accounts/${account.id}/broadcasts/${sent.id}?articleIndex=2`, headers: owner.headers });
    expect(one.statusCode).toBe(200);
    expect(one.json().message.articles.map((a: { deleted: boolean }) => a.deleted)).toEqual([false, true, false]);
    expect((await inbox(fan!, account.appid)).json().items[0].articles.map((a: { index: number }) => a.index)).toEqual([1, 3]);
    expectProblem(await read(2), 404, 'ARTICLE_NOT_FOUND');
    expect((await read(3)).statusCode).toBe(201);

    expect((await ctx.app.inject({ method: 'DELETE', url: `/v1/accounts/${account.id}/broadcasts/${sent.id}`, headers: owner.headers })).statusCode).toBe(200);
    expect((await inbox(fan!, account.appid)).json().items).toEqual([]);
    expectProblem(await read(1), 404, 'ARTICLE_NOT_FOUND');
    const kept = await db().execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM article_engagements WHERE msg_data_id = ${sent.msgDataId}`);
    expect(kept.rows[0]!.n).toBe(2);
    expect(await deliveriesOf(sent.id)).toBe(1);
    expectProblem(await ctx.app.inject({ method: 'DELETE', url: `/v1/accounts/${account.id}/broadcasts/${sent.id}?articleIndex=9`, headers: owner.headers }), 400, 'VALIDATION_FAILED');
  });

  it('a broadcast that has not been sent successfully cannot be deleted', async () => {
    ctx.clock.set('2026-06-27T04:00:00Z');
    const { owner, account } = await setup();
    await worker.workers[0]!.pause();
    try {
      const { id } = (await sendBroadcast(ctx.app, owner, account.id, { target: { all: true }, message: { type: 'text', content: 'x' } })).json();
      expectProblem(await ctx.app.inject({ method: 'DELETE', url: `/v1/accounts/${account.id}/broadcasts/${id}`, headers: owner.headers }), 409, 'BROADCAST_NOT_DELETABLE');
    } finally {
      worker.workers[0]!.resume();
    }
  });

  it('engagement with an article that was never sent is refused', async () => {
    const { account } = await setup();
    const user = await createWechatUser(ctx.app);
    await follow(ctx.app, user, account.appid);
    const response = await ctx.app.inject({ method: 'POST', url: '/client/v1/engagements', headers: user.headers, payload: { appid: account.appid, msgDataId: 42, articleIndex: 1, action: 'read' } });
    expectProblem(response, 404, 'ARTICLE_NOT_FOUND');
  });
});

describe('access and listing', () => {
  it('analysts may not send; broadcasts list newest first with pagination', async () => {
    const { owner, account } = await setup();
    const analyst = await registerAdmin(ctx.app);
    await addMember(ctx.app, owner, account.id, analyst, 'analyst');
    expectProblem(await sendBroadcast(ctx.app, analyst, account.id, { target: { all: true }, message: { type: 'text', content: 'x' } }), 403, 'FORBIDDEN');

    await followers(ctx.app, account.appid, 1);
    const ids: number[] = [];
    for (const day of ['2026-07-01', '2026-07-02', '2026-07-03']) {
      ctx.clock.set(`${day}T04:00:00Z`);
      ids.push((await sendBroadcast(ctx.app, owner, account.id, { target: { all: true }, message: { type: 'text', content: day } })).json().id);
    }
    const first = (await ctx.app.inject({ method: 'GET', url: `/v1/accounts/${account.id}/broadcasts?limit=2`, headers: owner.headers })).json();
    expect(first.items.map((b: { id: number }) => b.id)).toEqual([ids[2], ids[1]]);
    const second = (await ctx.app.inject({ method: 'GET', url: `/v1/accounts/${account.id}/broadcasts?limit=2&cursor=${first.nextCursor}`, headers: owner.headers })).json();
    expect(second.items.map((b: { id: number }) => b.id)).toEqual([ids[0]]);
    expect(second.nextCursor).toBeNull();
  });

  it('lists carry article summaries without the HTML body; the broadcast itself has it', async () => {
    ctx.clock.set('2026-07-05T04:00:00Z');
    const { owner, account } = await setup();
    await followers(ctx.app, account.appid, 1);
    const sent = (await sendBroadcast(ctx.app, owner, account.id, { target: { all: true }, message: newsMessage(2) })).json();
    const list = (await ctx.app.inject({ method: 'GET', url: `/v1/accounts/${account.id}/broadcasts`, headers: owner.headers })).json();
    expect(list.items[0].message.articles).toEqual([1, 2].map((index) => ({
      index,
      title: `Article ${index}`,
      author: 'Editor',
      digest: 'A short digest',
      contentSourceUrl: 'https://example.com/original',
      thumbUrl: 'https://example.com/thumb.jpg',
      deleted: false,
    })));
    const one = await getBroadcast(ctx.app, owner, account.id, sent.id);
    expect(one.message.articles[1]).toMatchObject({ index: 2, content: '<p>Body of article 2</p>', showCoverPic: false });
  });

  it('sets and reads the speed level', async () => {
    const { owner, account } = await setup();
    const put = await ctx.app.inject({ method: 'PUT', url: `/v1/accounts/${account.id}/broadcast-speed`, headers: owner.headers, payload: { speed: 3 } });
    expect(put.json()).toEqual({ speed: 3, recipientsPerMinute: 300_000 });
    expectProblem(await ctx.app.inject({ method: 'PUT', url: `/v1/accounts/${account.id}/broadcast-speed`, headers: owner.headers, payload: { speed: 5 } }), 400, 'VALIDATION_FAILED');
    const cleared = await ctx.app.inject({ method: 'PUT', url: `/v1/accounts/${account.id}/broadcast-speed`, headers: owner.headers, payload: { speed: null } });
    expect(cleared.json()).toEqual({ speed: null, recipientsPerMinute: null });
  });
});
