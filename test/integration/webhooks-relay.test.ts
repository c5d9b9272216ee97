import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { trimDeliveryLog } from '../../src/modules/webhooks/pushes.repo.js';
import { createAccount, registerAdmin, type AdminSession, type CreatedAccount } from '../helpers/admin.js';
import { sendBroadcast, waitForFinish } from '../helpers/broadcasts.js';
import { createWechatUser, follow, unfollow, type WechatUserSession } from '../helpers/client.js';
import { useTestContext } from '../helpers/context.js';
import { serveAccount, useWorkerWithReceivers } from '../helpers/wechat-receiver.js';
import { waitFor } from '../helpers/worker.js';

// A short deadline keeps the hanging-server cases quick; WeChat's is 5 s (WEBHOOK_TIMEOUT_MS).
const ctx = useTestContext({ WEBHOOK_TIMEOUT_MS: '800' });
const { receivers } = useWorkerWithReceivers(ctx);



async function accountWithServer(mode: 'plaintext' | 'compatible' | 'safe' = 'plaintext') {
  const owner = await registerAdmin(ctx.app);
  const account = await createAccount(ctx.app, owner);
  const receiver = await serveAccount(ctx.app, owner, account.id, receivers, mode);
  return { owner, account, receiver };
}

async function sendText(user: WechatUserSession, account: CreatedAccount, content: string): Promise<string> {
  const response = await ctx.app.inject({ method: 'POST', url: '/client/v1/messages', headers: user.headers, payload: { appid: account.appid, msgType: 'text', content } });
  expect(response.statusCode, response.body).toBe(201);
  return response.json().msgId;
}

async function pushRows(accountId: number) {
  const result = await ctx.deps.database.db.execute<{ id: number; kind: string; status: string; attempts: number; msgId: string | null; lastError: string | null }>(sql`
    SELECT id, kind, status, attempts, msg_id AS "msgId", last_error AS "lastError" FROM webhook_pushes WHERE account_id = ${accountId} ORDER BY id`);
  return result.rows;
}

const settled = (accountId: number, count: number) =>
  waitFor(
    async () => {
      const rows = await pushRows(accountId);
      return rows.length >= count && rows.every((row) => row.status !== 'pending') ? rows : undefined;
    },
    { timeoutMs: 20_000, what: `${count} pushes of account ${accountId} to settle` },
  );

describe('pushing to the developer server', () => {
  it('pushes a follow and a text message as WeChat does: signed, in order, MsgId exact, with the openid', async () => {
    const { account, receiver } = await accountWithServer('plaintext');
    const user = await createWechatUser(ctx.app);
    const openid = await follow(ctx.app, user, account.appid);
    const msgId = await sendText(user, account, '你好 <b>&</b> ]]> world');
    await settled(account.id, 2);

    expect(receiver.pushes.map((push) => push.field('MsgType'))).toEqual(['event', 'text']);
    const [subscribe, text] = receiver.pushes;
    for (const push of receiver.pushes) {
      expect(push.signatureValid).toBe(true);
      expect(push.query.get('openid')).toBe(openid);
      expect(push.query.has('encrypt_type')).toBe(false);
      expect(push.field('ToUserName')).toBe(account.originalId);
      expect(push.field('FromUserName')).toBe(openid);
      expect(push.field('CreateTime')).toMatch(/^\d{10}$/);
    }
    expect(subscribe!.field('Event')).toBe('subscribe');
    expect(text!.xml).toContain(`<MsgId>${msgId}</MsgId>`);
    expect(BigInt(msgId)).toBeGreaterThan(2n ** 53n);
    // CDATA split around "]]>": a real XML parser reads the text back whole.
    expect(text!.xml).toContain('<Content><![CDATA[你好 <b>&</b> ]]]]><![CDATA[> world]]></Content>');
    expect((await pushRows(account.id)).map((row) => [row.kind, row.status, row.attempts])).toEqual([
      ['subscribe', 'delivered', 1],
      ['message', 'delivered', 1],
    ]);
  });

  it('a follow by QR code carries qrscene_<scene>; a follower scanning again is a SCAN with the bare scene', async () => {
    const { account, receiver } = await accountWithServer('plaintext');
    const user = await createWechatUser(ctx.app);
    const qrFollow = (qrScene: number | string) =>
      ctx.app.inject({ method: 'POST', url: '/client/v1/follows', headers: user.headers, payload: { appid: account.appid, scene: 'ADD_SCENE_QR_CODE', qrScene } });
    expect((await qrFollow(123)).statusCode).toBe(201);
    const again = await qrFollow('summer-sale');
    expect(again.statusCode, again.body).toBe(200);
    expect(again.json().alreadyFollowing).toBe(true);
    await settled(account.id, 2);
    expect(receiver.pushes.map((push) => [push.field('Event'), push.field('EventKey')])).toEqual([
      ['subscribe', 'qrscene_123'],
      ['SCAN', 'summer-sale'],
    ]);
    // A scan is no follow: the follow history has one event.
    const follows = await ctx.deps.database.db.execute(sql`SELECT kind FROM follow_events WHERE account_id = ${account.id}`);
    expect(follows.rows).toEqual([{ kind: 'subscribe' }]);
  });

  it('in safe mode sends only <Encrypt>, with encrypt_type=aes and a msg_signature the receiver can check', async () => {
    const { account, receiver } = await accountWithServer('safe');
    const user = await createWechatUser(ctx.app);
    await follow(ctx.app, user, account.appid);
    const msgId = await sendText(user, account, 'secret');
    await settled(account.id, 2);
    const push = receiver.pushes[1]!;
    expect(push.query.get('encrypt_type')).toBe('aes');
    expect(push.msgSignatureValid).toBe(true);
    expect(push.appid).toBe(account.appid);
    expect(push.body).not.toContain('secret');
    expect(push.body).toMatch(/^<xml><ToUserName><!\[CDATA\[gh_[^\]]+\]\]><\/ToUserName>\n<Encrypt><!\[CDATA\[[A-Za-z0-9+/=]+\]\]><\/Encrypt>\n<\/xml>$/);
    expect(push.field('Content')).toBe('secret');
    expect(push.field('MsgId')).toBe(msgId);
  });

  it('records an answer with a NUL byte in it (U+FFFD in the log), so the push is not retried forever', async () => {
    const { account, receiver } = await accountWithServer('plaintext');
    const user = await createWechatUser(ctx.app);
    await follow(ctx.app, user, account.appid);
    await settled(account.id, 1);
    receiver.answer = (push) => (push.field('Content') === 'ok' ? { body: 'success\u0000' } : { status: 500, body: 'broken\u0000' });
    await sendText(user, account, 'ok');
    await sendText(user, account, 'fails');
    const rows = await settled(account.id, 3);
    expect(rows.slice(1).map((row) => [row.status, row.attempts])).toEqual([
      ['delivered', 1],
      ['failed', 3],
    ]);
    const logged = await ctx.deps.database.db.execute<{ firstBytes: string }>(sql`
      SELECT response_first_bytes AS "firstBytes" FROM webhook_attempts WHERE push_id = ${rows[2]!.id} ORDER BY id LIMIT 1`);
    expect(logged.rows[0]!.firstBytes).toBe('broken\uFFFD');
  });

  it('retries a failing server with the same MsgId and CreateTime, and gives up after 3 attempts', async () => {
    const { account, receiver } = await accountWithServer('compatible');
    const user = await createWechatUser(ctx.app);
    await follow(ctx.app, user, account.appid);
    await settled(account.id, 1);
    // The first message fails twice then succeeds; the second always fails.
    receiver.answer = (push) => {
      const content = push.field('Content');
      const tries = receiver.pushes.filter((p) => p.field('Content') === content).length;
      if (content === 'first') return tries <= 2 ? { status: 500 } : { body: 'success' };
      if (content === 'second') return { hang: true };
      return { reset: true };
    };
    await sendText(user, account, 'first');
    await sendText(user, account, 'second');
    await sendText(user, account, 'third');
    const rows = await settled(account.id, 4);
    expect(rows.map((row) => [row.status, row.attempts])).toEqual([
      ['delivered', 1],
      ['delivered', 3],
      ['failed', 3],
      ['failed', 3],
    ]);
    expect(rows[2]!.lastError).toMatch(/^timeout/);
    expect(rows[3]!.lastError).toMatch(/^connection_reset/);
    const firsts = receiver.pushes.filter((push) => push.field('Content') === 'first');
    expect(new Set(firsts.map((push) => `${push.field('MsgId')}/${push.field('CreateTime')}`)).size).toBe(1);
    expect(firsts).toHaveLength(3);
    // Every attempt is in the log, with what came back.
    const attempts = await ctx.deps.database.db.execute<{ statusCode: number | null; error: string | null; succeeded: boolean }>(sql`
      SELECT status_code AS "statusCode", error, succeeded FROM webhook_attempts WHERE push_id = ${rows[1]!.id} ORDER BY id`);
    expect(attempts.rows).toEqual([
      { statusCode: 500, error: 'HTTP 500', succeeded: false },
      { statusCode: 500, error: 'HTTP 500', succeeded: false },
      { statusCode: 200, error: null, succeeded: true },
    ]);
  });

  it("keeps one follower's messages in order while the server fails some of them", async () => {
    const { account, receiver } = await accountWithServer('plaintext');
    const user = await createWechatUser(ctx.app);
    await follow(ctx.app, user, account.appid);
    await settled(account.id, 1);
    let calls = 0;
    // Every fifth request fails: the message it carried must be retried before any later message goes.
    receiver.answer = () => (++calls % 5 === 0 ? { status: 503 } : { body: 'success' });
    const sent: string[] = [];
    for (let i = 0; i < 50; i++) sent.push(await sendText(user, account, `m${i}`));
    const rows = await settled(account.id, 51);
    expect(rows.every((row) => row.status === 'delivered')).toBe(true);
    // One at a time: a message is retried until it is accepted before the next one is sent, so collapsing each
    // run of retries leaves exactly the messages in the order they were sent.
    const ids = receiver.pushes.filter((push) => push.field('MsgType') === 'text').map((push) => push.field('MsgId'));
    expect(ids.length).toBeGreaterThanOrEqual(60);
    expect(ids.filter((id, i) => i === 0 || id !== ids[i - 1])).toEqual(sent);
  });

  it('announces MASSSENDJOBFINISH with the broadcast MsgID and WeChat counters, from mphelper', async () => {
    const { owner, account, receiver } = await accountWithServer('plaintext');
    const fans = [await createWechatUser(ctx.app), await createWechatUser(ctx.app), await createWechatUser(ctx.app)];
    for (const fan of fans) await follow(ctx.app, fan, account.appid);
    await unfollow(ctx.app, fans[2]!, account.appid);
    const sent = await sendBroadcast(ctx.app, owner, account.id, { target: { all: true }, message: { type: 'text', content: 'hello all' } });
    expect(sent.statusCode, sent.body).toBe(202);
    await waitForFinish(ctx.app, owner, account.id, sent.json().id);
    const finished = await waitFor(async () => receiver.pushes.find((push) => push.field('Event') === 'MASSSENDJOBFINISH'), { what: 'MASSSENDJOBFINISH' });
    expect(finished.field('FromUserName')).toBe('mphelper');
    expect(finished.query.has('openid')).toBe(false);
    expect(finished.xml).toContain(`<MsgID>${sent.json().msgId}</MsgID>`);
    expect(finished.field('Status')).toBe('send success');
    expect([finished.field('TotalCount'), finished.field('FilterCount'), finished.field('SentCount'), finished.field('ErrorCount')]).toEqual(['2', '2', '2', '0']);
  });

  it('a server that hangs does not hold up another account', async () => {
    const slow = await accountWithServer('plaintext');
    slow.receiver.answer = () => ({ hang: true });
    const fast = await accountWithServer('plaintext');
    const slowUsers = await Promise.all(Array.from({ length: 20 }, () => createWechatUser(ctx.app)));
    await Promise.all(slowUsers.map((user) => follow(ctx.app, user, slow.account.appid)));
    const user = await createWechatUser(ctx.app);
    const started = Date.now();
    await follow(ctx.app, user, fast.account.appid);
    await waitFor(async () => fast.receiver.pushes.length >= 1, { timeoutMs: 10_000, what: 'the fast account’s push' });
    expect(Date.now() - started).toBeLessThan(700);
  });

  it('stores a passive text reply for the follower, and logs a refused one without retrying', async () => {
    const { account, receiver } = await accountWithServer('plaintext');
    const user = await createWechatUser(ctx.app);
    const openid = await follow(ctx.app, user, account.appid);
    await settled(account.id, 1);
    receiver.answer = (push) =>
      push.field('Content') === 'hi'
        ? {
            body: `<xml><ToUserName><![CDATA[${openid}]]></ToUserName><FromUserName><![CDATA[${account.originalId}]]></FromUserName><CreateTime>${Math.floor(Date.now() / 1000)}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[hello back]]></Content></xml>`,
          }
        : { body: '<xml><Content>not for you</Content>' };
    const msgId = await sendText(user, account, 'hi');
    await sendText(user, account, 'broken reply please');
    const rows = await settled(account.id, 3);
    expect(rows.map((row) => [row.status, row.attempts])).toEqual([
      ['delivered', 1],
      ['delivered', 1],
      ['delivered', 1],
    ]);
    expect(rows[2]!.lastError).toMatch(/^passive reply refused: /);
    const replies = await ctx.deps.database.db.execute<{ openid: string; inReplyToMsgId: string; message: unknown }>(sql`
      SELECT openid, in_reply_to_msg_id AS "inReplyToMsgId", message FROM webhook_replies WHERE account_id = ${account.id}`);
    expect(replies.rows).toEqual([{ openid, inReplyToMsgId: msgId, message: { type: 'text', content: 'hello back' } }]);
    // The follower reads it in their inbox, as a reply to their message; other users see none of it.
    const inbox = await ctx.app.inject({ method: 'GET', url: `/client/v1/inbox?appid=${account.appid}`, headers: user.headers });
    expect(inbox.statusCode, inbox.body).toBe(200);
    expect(inbox.json()).toEqual({
      items: [{ kind: 'reply', inReplyToMsgId: msgId, deliveredAt: expect.any(String), message: { type: 'text', content: 'hello back' } }],
      nextCursor: null,
    });
    const stranger = await createWechatUser(ctx.app);
    expect((await ctx.app.inject({ method: 'GET', url: `/client/v1/inbox?appid=${account.appid}`, headers: stranger.headers })).json()).toEqual({ items: [], nextCursor: null });
  });

  it('trims finished pushes and attempts older than the retention, in batches, and leaves pending ones', async () => {
    const { account } = await accountWithServer('plaintext');
    const db = ctx.deps.database.db;
    // Finished times come from the service clock (which this suite sets), so "old" is relative to it.
    const eightDaysAgo = new Date(ctx.clock.now().getTime() - 8 * 86_400_000).toISOString();
    await db.execute(sql`
      WITH old AS (
        INSERT INTO webhook_pushes (account_id, lane, kind, source, create_time, content, status, finished_at, created_at)
        SELECT ${account.id}, 'o' || g, 'unsubscribe', 'trim-test:' || ${account.id} || ':' || g, 0, '{}', 'delivered',
               ${eightDaysAgo}, ${eightDaysAgo}
        FROM generate_series(1, 25) g RETURNING id)
      INSERT INTO webhook_attempts (push_id, account_id, attempted_at, latency_ms, succeeded)
      SELECT id, ${account.id}, ${eightDaysAgo}, 5, true FROM old`);
    // A push still pending, with an attempt older than the retention (it goes) and one within it (it stays). The
    // running relay may push it meanwhile (it is pending); its own attempts are told apart by their latency.
    await db.execute(sql`
      WITH pending AS (
        INSERT INTO webhook_pushes (account_id, lane, kind, source, create_time, content, created_at)
        VALUES (${account.id}, 'waiting', 'unsubscribe', ${`trim-test:${account.id}:pending`}, 0, '{}', ${eightDaysAgo}) RETURNING id)
      INSERT INTO webhook_attempts (push_id, account_id, attempted_at, latency_ms, succeeded)
      SELECT id, ${account.id}, at, 4242, false FROM pending, (VALUES (${eightDaysAgo}::timestamptz), (${ctx.clock.now().toISOString()}::timestamptz)) AS a(at)`);
    const removed = await trimDeliveryLog(db, new Date(ctx.clock.now().getTime() - 7 * 86_400_000), 10);
    expect(removed).toBe(25);
    const left = await db.execute<{ source: string }>(sql`SELECT source FROM webhook_pushes WHERE account_id = ${account.id} AND source LIKE 'trim-test:%'`);
    expect(left.rows.map((row) => row.source)).toEqual([`trim-test:${account.id}:pending`]);
    const attemptsLeft = await db.execute<{ attemptedAt: string }>(sql`
      SELECT a.attempted_at AS "attemptedAt" FROM webhook_attempts a JOIN webhook_pushes p ON p.id = a.push_id
      WHERE p.source = ${`trim-test:${account.id}:pending`} AND a.latency_ms = 4242`);
    expect(attemptsLeft.rows.map((row) => new Date(row.attemptedAt).toISOString())).toEqual([ctx.clock.now().toISOString()]);
    await db.execute(sql`DELETE FROM webhook_pushes WHERE source = ${`trim-test:${account.id}:pending`}`);
  });

  it('pushes nothing for an account without a server, and gives up the pushes of one that removed it', async () => {
    const plain: { owner: AdminSession; account: CreatedAccount } = await (async () => {
      const owner = await registerAdmin(ctx.app);
      return { owner, account: await createAccount(ctx.app, owner) };
    })();
    const user = await createWechatUser(ctx.app);
    await follow(ctx.app, user, plain.account.appid);
    await sendText(user, plain.account, 'nobody listens');
    expect(await pushRows(plain.account.id)).toEqual([]);

    const { owner, account, receiver } = await accountWithServer('plaintext');
    receiver.answer = () => ({ hang: true });
    const fan = await createWechatUser(ctx.app);
    await follow(ctx.app, fan, account.appid);
    await sendText(fan, account, 'queued behind a hanging push');
    expect((await ctx.app.inject({ method: 'DELETE', url: `/v1/accounts/${account.id}/webhook`, headers: owner.headers })).statusCode).toBe(204);
    const rows = await settled(account.id, 2);
    expect(rows.map((row) => row.status)).toEqual(['failed', 'failed']);
    expect(rows[1]!.lastError).toBe('the account has no developer server any more');
  });
});
