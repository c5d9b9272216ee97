import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { sql } from 'drizzle-orm';
import { createSigner } from 'fast-jwt';
import { CLIENT_AUDIENCE, clientSigningKey } from '../src/plugins/client-auth.js';
import { createBenchEnvironment, log, numberArg, printResult } from './lib.js';

/**
 * bench:client: requests per second through the real HTTP stack (separate server process, loopback) for
 * follow/unfollow pairs and for upstream messages, against a bare Fastify hello-world route measured in the same
 * run on the same machine. value = the slower of the two client workloads; ratio = value / baseline (target ≥ 0.25).
 */
const seconds = numberArg('seconds', 10);
const connections = numberArg('connections', 20);
const userCount = 5_000;

const env = await createBenchEnvironment('client');
const serverScript = fileURLToPath(new URL('./http-server.ts', import.meta.url));

async function startServer(mode: 'hello' | 'app'): Promise<{ child: ChildProcess; url: string }> {
  const child = fork(serverScript, [mode], {
    execArgv: process.execArgv,
    env: { ...process.env, ...(mode === 'app' ? envForApp() : {}) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const [message] = (await once(child, 'message')) as [{ port: number }];
  return { child, url: `http://127.0.0.1:${message.port}` };
}

function envForApp(): Record<string, string> {
  const c = env.config;
  return {
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    DATABASE_URL: c.databaseUrl,
    DATABASE_POOL_MAX: '20',
    REDIS_URL: c.redisUrl,
    REDIS_PREFIX: c.redisPrefix,
    JWT_SECRET: c.jwtSecret,
  };
}

async function stop(child: ChildProcess) {
  child.kill('SIGTERM');
  await once(child, 'exit');
}

function run(options: autocannon.Options): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    autocannon({ duration: seconds, connections, ...options }, (error, result) => (error ? reject(error) : resolve(result)));
  });
}

function summary(name: string, result: autocannon.Result) {
  const ok = result['2xx'];
  const bad = result.non2xx + result.errors + result.timeouts;
  log(`${name}: ${Math.round(result.requests.average)} req/s average, p99 ${result.latency.p99} ms, ${ok} ok, ${bad} not ok`);
  if (bad > ok * 0.001) throw new Error(`${name}: ${bad} requests failed; the benchmark is not measuring the happy path`);
  return result.requests.average;
}

try {
  // Set-up: an account, 5,000 WeChat users with tokens, and 5,000 users who already follow (for messages).
  const db = env.deps.database.db;
  const owner = await env.deps.services.auth.register({ email: 'bench-client@example.com', password: 'benchmark password' });
  const account = await env.deps.services.accounts.create(owner.id, { name: 'client bench' });
  const sign = createSigner({ key: clientSigningKey(env.config.jwtSecret), aud: CLIENT_AUDIENCE, expiresIn: '1d', algorithm: 'HS256' });
  const users = await db.execute<{ id: number }>(sql`INSERT INTO wechat_users (nickname) SELECT 'u' || g FROM generate_series(1, ${userCount * 2}::int) g RETURNING id`);
  const tokens = users.rows.map((row) => `Bearer ${sign({ sub: String(row.id) })}`);
  const followerTokens = tokens.slice(userCount);
  await db.execute(sql`
    INSERT INTO followers (account_id, wechat_user_id, openid, subscribed, subscribed_at, first_subscribed_at, subscribe_scene)
    SELECT ${account.id}::bigint, id, 'o' || md5(id::text), true, now(), now(), 'ADD_SCENE_SEARCH'
    FROM wechat_users WHERE id = ANY(${sql.param(users.rows.slice(userCount).map((r) => r.id))}::bigint[])`);

  const hello = await startServer('hello');
  const baseline = summary('bare fastify GET /hello', await run({ url: `${hello.url}/hello` }));
  await stop(hello.child);

  const app = await startServer('app');
  let next = 0;
  const followBody = JSON.stringify({ appid: account.appid, scene: 'ADD_SCENE_SEARCH' });
  const followRate = summary(
    'follow + unfollow',
    await run({
      url: app.url,
      requests: [
        {
          method: 'POST',
          path: '/client/v1/follows',
          setupRequest: (request, context) => {
            (context as { token?: string }).token = tokens[next++ % userCount]!;
            return { ...request, headers: { 'content-type': 'application/json', authorization: (context as { token?: string }).token as string }, body: followBody };
          },
        },
        {
          method: 'DELETE',
          path: `/client/v1/follows/${account.appid}`,
          setupRequest: (request, context) => ({ ...request, headers: { authorization: (context as { token?: string }).token as string } }),
        },
      ],
    }),
  );
  const messageBody = JSON.stringify({ appid: account.appid, msgType: 'text', content: '你好，公众号' });
  const messageRate = summary(
    'messages',
    await run({
      url: app.url,
      requests: [
        {
          method: 'POST',
          path: '/client/v1/messages',
          setupRequest: (request) => ({
            ...request,
            headers: { 'content-type': 'application/json', authorization: followerTokens[next++ % userCount]! },
            body: messageBody,
          }),
        },
      ],
    }),
  );
  await stop(app.child);

  const value = Math.min(followRate, messageRate);
  printResult({
    bench: 'client',
    value,
    baseline,
    ratio: value / baseline,
    unit: 'req/s',
    followUnfollowRps: Math.round(followRate),
    messageRps: Math.round(messageRate),
    connections,
    seconds,
  });
} finally {
  await env.cleanup();
}
