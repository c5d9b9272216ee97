import { sql } from 'drizzle-orm';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { createAccount, registerAdmin, type AdminSession, type CreatedAccount } from '../helpers/admin.js';
import { createWechatUser, follow, type WechatUserSession } from '../helpers/client.js';
import { useTestContext } from '../helpers/context.js';
import { childEnv, freePort, killTree, startEntryPoint, type RunningProcess } from '../helpers/processes.js';
import { serveAccount, type ReceivedPush, type WechatReceiver } from '../helpers/wechat-receiver.js';
import { waitFor } from '../helpers/worker.js';

// The product's crash requirement: SIGKILL the API right after a commit and the worker mid-push, and each event still
// arrives at least once, in order, with the same MsgId. Real processes (src/server.ts, src/worker.ts), real signals.

// A short HTTP deadline gives a short lease (deadline + 10 s margin), so a dead worker's push is taken over in ~11 s.
const WEBHOOK_TIMEOUT_MS = 1_000;
const LEASE_MS = WEBHOOK_TIMEOUT_MS + 10_000;
const ctx = useTestContext();

const running: RunningProcess[] = [];
const receivers: WechatReceiver[] = [];
const clients: pg.Client[] = [];

afterEach(async () => {
  // Whatever the test did or failed to do: no child outlives it (a stopped one dies of SIGKILL too).
  for (const child of running.splice(0)) {
    if (child.child.exitCode === null && child.child.signalCode === null) killTree(child.child.pid);
    await child.exited;
  }
  await Promise.all(clients.splice(0).map((client) => client.end().catch(() => {})));
  await Promise.all(receivers.splice(0).map((receiver) => receiver.close()));
});

/** Starts an entry point on a port of its own; `ready` resolves once its /readyz answers 200. */
async function launch(entry: 'src/server.ts' | 'src/worker.ts', extra: Record<string, string> = {}) {
  const port = await freePort();
  const portVariable = entry === 'src/server.ts' ? 'PORT' : 'WORKER_HEALTH_PORT';
  const service = startEntryPoint(
    entry,
    childEnv(ctx, {
      WEBHOOK_TIMEOUT_MS: String(WEBHOOK_TIMEOUT_MS),
      CLIENT_RATE_LIMIT_PER_MINUTE: '100000',
      CLIENT_IP_RATE_LIMIT_PER_MINUTE: '100000',
      ...extra,
      [portVariable]: String(port),
    }),
  );
  running.push(service);
  const url = `http://127.0.0.1:${port}`;
  const ready = waitFor(
    async () => {
      const { exitCode, signalCode } = service.child;
      if (exitCode !== null || signalCode !== null) throw new Error(`${entry} exited (${exitCode ?? signalCode}):\n${service.output()}`);
      return (await fetch(`${url}/readyz`).catch(() => undefined))?.ok;
    },
    { timeoutMs: 30_000, intervalMs: 50, what: `${entry} to be ready` },
  );
  return { ...service, url, ready };
}

async function startService(entry: 'src/server.ts' | 'src/worker.ts') {
  const service = await launch(entry);
  await service.ready;
  return service;
}

/** How the process ended, or a failure (not a hung test) if it is still running after `timeoutMs`. */
async function exitOf(service: RunningProcess, timeoutMs = 10_000) {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still running after ${timeoutMs} ms:\n${service.output()}`)), timeoutMs);
  });
  try {
    return await Promise.race([service.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function kill(service: RunningProcess) {
  service.child.kill('SIGKILL');
  expect((await exitOf(service)).signal).toBe('SIGKILL');
}

/** An account whose developer server (plaintext) is a spec receiver, and `n` followers who followed before it was set. */
async function accountWithFollowers(n: number) {
  const owner: AdminSession = await registerAdmin(ctx.app);
  const account: CreatedAccount = await createAccount(ctx.app, owner);
  const fans: Array<WechatUserSession & { openid: string }> = [];
  for (let i = 0; i < n; i++) {
    const user = await createWechatUser(ctx.app);
    fans.push({ ...user, openid: await follow(ctx.app, user, account.appid) });
  }
  const receiver = await serveAccount(ctx.app, owner, account.id, receivers);
  return { account, fans, receiver };
}

type CommittedMessage = {
  id: number;
  msgId: string;
  openid: string;
  createTime: string;
  pushes: number;
  pushStatus: string | null;
  pushMsgId: string | null;
};

/** Every message the account has stored, in MsgId order, each with the outbox rows written for it. */
async function committedMessages(accountId: number): Promise<CommittedMessage[]> {
  const result = await ctx.deps.database.db.execute<CommittedMessage>(sql`
    SELECT m.id, m.msg_id::text AS "msgId", f.openid, floor(extract(epoch FROM m.occurred_at))::bigint::text AS "createTime",
           count(p.id)::int AS pushes, min(p.status::text) AS "pushStatus", min(p.msg_id) AS "pushMsgId"
    FROM messages m
    JOIN followers f ON f.id = m.follower_id
    LEFT JOIN webhook_pushes p ON p.source = 'messages:' || m.id
    WHERE m.account_id = ${accountId}
    GROUP BY m.id, f.openid
    ORDER BY m.msg_id`);
  return result.rows;
}

const textPushes = (receiver: WechatReceiver) => receiver.pushes.filter((push) => push.field('MsgType') === 'text');
/** Runs of the same MsgId (a redelivery right after the lost attempt) collapsed to one. */
const collapse = (ids: string[]) => ids.filter((id, i) => i === 0 || id !== ids[i - 1]);

describe('webhook pushes survive crashes', () => {
  it('SIGKILL of the API right after a commit: every committed message is pushed, once per row, in MsgId order per follower', async () => {
    ctx.clock.set(new Date());
    const { account, fans, receiver } = await accountWithFollowers(5);
    const worker = await startService('src/worker.ts');
    const api = await startService('src/server.ts');
    // Connected beforehand, so the lock below is taken within a round trip of the tenth acknowledgement.
    const locker = new pg.Client({ connectionString: ctx.databaseUrl });
    clients.push(locker);
    await locker.connect();

    // Each follower sends in a tight loop (one request at a time, as a phone does), all followers at once, until the
    // API is gone.
    const acknowledged = new Map<string, string>(); // MsgId → openid, for requests answered 201
    let refused = 0;
    const send = async (fan: (typeof fans)[number], i: number) => {
      const response = await fetch(`${api.url}/client/v1/messages`, {
        method: 'POST',
        headers: { ...fan.headers, 'content-type': 'application/json' },
        body: JSON.stringify({ appid: account.appid, msgType: 'text', content: `${fan.openid} #${i}` }),
      });
      expect(response.status, await response.clone().text()).toBe(201);
      acknowledged.set(((await response.json()) as { msgId: string }).msgId, fan.openid);
    };
    const loops = fans.map(async (fan) => {
      for (let i = 0; i < 1_000; i++) {
        try {
          await send(fan, i);
        } catch (error) {
          if ((error as Error).name === 'AssertionError') throw error;
          refused += 1;
          return;
        }
      }
    });

    // "Right after a commit", made certain rather than left to a race: a lock holds the API's next inserts, the API is
    // frozen (SIGSTOP) while they wait, the lock goes, PostgreSQL commits them, and only then is the API killed. Those
    // rows are committed and were never acknowledged: only the outbox can get them pushed.
    await waitFor(async () => acknowledged.size >= 10, { timeoutMs: 15_000, intervalMs: 5, what: 'ten acknowledged messages' });
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE messages IN SHARE MODE');
    const blocked = await waitFor(
      async () => {
        const { rows } = await locker.query<{ pid: number }>(`
          SELECT pid FROM pg_stat_activity
          WHERE datname = current_database() AND application_name = 'oa-platform-api' AND wait_event_type = 'Lock'
            AND query ILIKE '%INSERT INTO messages%'`);
        return rows.length > 0 && rows.map((row) => row.pid);
      },
      { timeoutMs: 10_000, intervalMs: 5, what: "the API's inserts to wait on the lock" },
    );
    api.child.kill('SIGSTOP');
    await locker.query('COMMIT');
    // Committed: the blocked backends have finished their statements (they sit idle, their results unread).
    await waitFor(
      async () => {
        const { rows } = await locker.query<{ busy: number }>(`SELECT count(*)::int AS busy FROM pg_stat_activity WHERE pid = ANY($1) AND state <> 'idle'`, [blocked]);
        return rows[0]!.busy === 0;
      },
      { timeoutMs: 10_000, intervalMs: 5, what: 'the held inserts to commit' },
    );
    await kill(api);
    await Promise.all(loops);
    expect(refused).toBe(fans.length);

    const committed = await committedMessages(account.id);
    const unacknowledged = committed.filter((row) => !acknowledged.has(row.msgId));
    expect(unacknowledged.length, 'rows committed without a 201').toBeGreaterThan(0);
    // A 201 means committed.
    expect([...acknowledged.keys()].filter((msgId) => !committed.some((row) => row.msgId === msgId))).toEqual([]);

    // The worker, which never saw the API, pushes every committed row.
    await waitFor(
      async () => {
        const received = new Set(textPushes(receiver).map((push) => push.field('MsgId')));
        return committed.every((row) => received.has(row.msgId)) && (await committedMessages(account.id)).every((row) => row.pushStatus === 'delivered');
      },
      { timeoutMs: 20_000, what: 'every committed message to be pushed' },
    );
    // Exactly one outbox row per committed message, with its MsgId, delivered.
    expect((await committedMessages(account.id)).map((row) => [row.msgId, row.pushes, row.pushMsgId, row.pushStatus])).toEqual(
      committed.map((row) => [row.msgId, 1, row.msgId, 'delivered']),
    );
    // Per follower: what arrived, runs of redeliveries collapsed, is exactly what was committed, in MsgId order.
    for (const fan of fans) {
      const arrived = textPushes(receiver).filter((push) => push.field('FromUserName') === fan.openid);
      expect(collapse(arrived.map((push) => push.field('MsgId')!)), fan.openid).toEqual(committed.filter((row) => row.openid === fan.openid).map((row) => row.msgId));
      for (const push of arrived) expect(push.signatureValid).toBe(true);
    }
    await kill(worker);
  }, 45_000);

  it('SIGKILL of the worker mid-push: a new worker takes the push over once the lease passes, same MsgId and CreateTime, the lane after it in order', async () => {
    ctx.clock.set(new Date());
    const { account, fans, receiver } = await accountWithFollowers(2);
    const [fan, other] = fans as [(typeof fans)[number], (typeof fans)[number]];
    const send = async (user: WechatUserSession, content: string) => {
      const response = await ctx.app.inject({ method: 'POST', url: '/client/v1/messages', headers: user.headers, payload: { appid: account.appid, msgType: 'text', content } });
      expect(response.statusCode, response.body).toBe(201);
      return response.json().msgId as string;
    };
    const sent: string[] = [];
    for (let i = 0; i < 6; i++) sent.push(await send(fan, `m${i}`));
    const otherSent = [await send(other, 'o0'), await send(other, 'o1')];
    const hungMsgId = sent[2]!;

    // The first delivery of m2 reaches the server, which never answers; the worker holding it is killed right there.
    const arrivals: Array<{ push: ReceivedPush; at: number }> = [];
    let killFirst = () => {};
    receiver.answer = (push) => {
      arrivals.push({ push, at: Date.now() });
      const hang = push.field('MsgId') === hungMsgId && arrivals.filter((arrival) => arrival.push.field('MsgId') === hungMsgId).length === 1;
      if (hang) killFirst();
      return hang ? { hang: true } : { body: 'success' };
    };
    // Not waited on for readiness: the relay may reach m2 before the health server listens.
    const first = await launch('src/worker.ts');
    killFirst = () => first.child.kill('SIGKILL');
    first.ready.catch(() => {});
    await waitFor(async () => arrivals.some(({ push }) => push.field('MsgId') === hungMsgId), { timeoutMs: 20_000, what: 'the first delivery of m2' });
    expect((await exitOf(first)).signal, first.output()).toBe('SIGKILL');
    const hungAt = arrivals.find(({ push }) => push.field('MsgId') === hungMsgId)!.at;

    // Killed mid-push: m2 is still pending under the dead worker's lease, and nothing after it in the lane went out.
    const [hung] = (
      await ctx.deps.database.db.execute<{ status: string; leased: boolean }>(sql`
        SELECT status, claimed_until > now() AS leased FROM webhook_pushes WHERE account_id = ${account.id} AND msg_id = ${hungMsgId}`)
    ).rows;
    expect(hung).toEqual({ status: 'pending', leased: true });
    expect(collapse(textPushes(receiver).filter((push) => push.field('FromUserName') === fan.openid).map((push) => push.field('MsgId')!))).toEqual(sent.slice(0, 3));

    const second = await startService('src/worker.ts');
    await waitFor(
      async () => {
        const rows = await committedMessages(account.id);
        return rows.length === 8 && rows.every((row) => row.pushStatus === 'delivered');
      },
      { timeoutMs: 30_000, what: 'every push to be delivered by the second worker' },
    );

    // m2 twice (the lost attempt, then the takeover), everything else once, in order.
    const lane = textPushes(receiver).filter((push) => push.field('FromUserName') === fan.openid);
    expect(lane.map((push) => push.field('MsgId'))).toEqual([...sent.slice(0, 3), ...sent.slice(2)]);
    // The other lane may have had a push in flight too when the worker died: redelivered, so runs are collapsed.
    expect(collapse(textPushes(receiver).filter((push) => push.field('FromUserName') === other.openid).map((push) => push.field('MsgId')!))).toEqual(otherSent);
    const deliveriesOfHung = lane.filter((push) => push.field('MsgId') === hungMsgId);
    const row = (await committedMessages(account.id)).find((message) => message.msgId === hungMsgId)!;
    expect(deliveriesOfHung.map((push) => [push.field('MsgId'), push.field('CreateTime'), push.field('Content')])).toEqual([
      [hungMsgId, row.createTime, 'm2'],
      [hungMsgId, row.createTime, 'm2'],
    ]);
    // Taken over only once the lease ran out, not as soon as the second worker started.
    const retakenAt = arrivals.filter(({ push }) => push.field('MsgId') === hungMsgId)[1]!.at;
    expect(retakenAt - hungAt).toBeGreaterThanOrEqual(LEASE_MS - 1_000);
    expect((await committedMessages(account.id)).map((message) => [message.msgId, message.pushes, message.pushStatus])).toEqual(
      [...sent, ...otherSent].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1)).map((msgId) => [msgId, 1, 'delivered']),
    );

    // A SIGTERM lets the second worker stop cleanly.
    second.child.kill('SIGTERM');
    expect((await exitOf(second)).code, second.output()).toBe(0);
  }, 60_000);
});
