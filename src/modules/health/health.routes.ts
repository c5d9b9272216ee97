import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { sql } from 'drizzle-orm';
import type { Redis } from 'ioredis';
import { Type } from 'typebox';
import type { Database } from '../../db/client.js';

const CHECK_TIMEOUT_MS = 2_000;

function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what} did not answer in ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS).unref()),
  ]);
}

/** Liveness says the process runs; readiness says it can serve, i.e. PostgreSQL and Redis answer. */
export const healthRoutes: FastifyPluginAsyncTypebox<{ db: Database; redis: Redis }> = async (app, { db, redis }) => {
  const Check = Type.Object({ status: Type.Enum(['ok', 'fail']), error: Type.Optional(Type.String()) });

  app.get('/healthz', {
    schema: { tags: ['health'], summary: 'Liveness', response: { 200: Type.Object({ status: Type.Literal('ok') }) } },
    handler: async () => ({ status: 'ok' as const }),
  });

  app.get('/readyz', {
    schema: {
      tags: ['health'],
      summary: 'Readiness: PostgreSQL and Redis reachable',
      response: {
        200: Type.Object({ status: Type.Literal('ok'), checks: Type.Object({ postgres: Check, redis: Check }) }),
        503: Type.Object({ status: Type.Literal('fail'), checks: Type.Object({ postgres: Check, redis: Check }) }),
      },
    },
    handler: async (_request, reply) => {
      const [postgres, redisCheck] = await Promise.all([
        withTimeout(db.execute(sql`SELECT 1`), 'PostgreSQL').then(ok, fail),
        withTimeout(redis.ping(), 'Redis').then(ok, fail),
      ]);
      const ready = postgres.status === 'ok' && redisCheck.status === 'ok';
      const checks = { postgres, redis: redisCheck };
      return ready ? reply.send({ status: 'ok' as const, checks }) : reply.code(503).send({ status: 'fail' as const, checks });
    },
  });
};

function ok() {
  return { status: 'ok' as const };
}

function fail(error: unknown) {
  return { status: 'fail' as const, error: error instanceof Error ? error.message : String(error) };
}
