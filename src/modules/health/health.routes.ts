import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { ReadinessCheck } from './health.service.js';

/**
 * Liveness says the process runs; readiness says it can serve: PostgreSQL and Redis answer (and, in the worker,
 * its consumers run). The API and the worker's health server register the same routes over their own check.
 */
export const healthRoutes: FastifyPluginAsyncTypebox<{ readiness: ReadinessCheck }> = async (app, { readiness }) => {
  const Check = Type.Object({
    status: Type.Enum(['ok', 'fail']),
    error: Type.Optional(Type.Enum(['unreachable', 'timeout', 'stopped'], { description: 'why the check failed; details are in the log' })),
  });
  const Checks = Type.Object({ postgres: Check, redis: Check, consumers: Type.Optional(Check) });

  app.get('/healthz', {
    schema: { tags: ['health'], summary: 'Liveness', response: { 200: Type.Object({ status: Type.Literal('ok') }) } },
    handler: async () => ({ status: 'ok' as const }),
  });

  app.get('/readyz', {
    schema: {
      tags: ['health'],
      summary: 'Readiness: PostgreSQL and Redis reachable (and, in the worker, its consumers running)',
      response: {
        200: Type.Object({ status: Type.Literal('ok'), checks: Checks }),
        503: Type.Object({ status: Type.Literal('fail'), checks: Checks }),
      },
    },
    handler: async (_request, reply) => {
      const { status, checks } = await readiness();
      return status === 'ok' ? reply.send({ status, checks }) : reply.code(503).send({ status, checks });
    },
  });
};
