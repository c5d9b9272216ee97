import compress from '@fastify/compress';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Deps } from './deps.js';
import { AppError } from './errors.js';
import { compressionOptions } from './http/compression.js';
import { ProblemSchema } from './http/schemas.js';
import { adminAuthPlugin } from './plugins/admin-auth.js';
import { clientAuthPlugin } from './plugins/client-auth.js';
import { clientRateLimitPlugin } from './plugins/client-rate-limit.js';
import { problemPlugin, sendProblem } from './plugins/problem.js';
import { webConsolePlugin } from './plugins/web-console.js';
import { installValidation } from './plugins/validation.js';
import { accountsRoutes } from './modules/accounts/accounts.routes.js';
import { authRoutes } from './modules/auth/auth.routes.js';
import { broadcastsRoutes } from './modules/broadcasts/broadcasts.routes.js';
import { statsRoutes } from './modules/stats/stats.routes.js';
import { webhooksRoutes } from './modules/webhooks/webhooks.routes.js';
import { inboxRoutes } from './modules/broadcasts/inbox.routes.js';
import { clientRoutes } from './modules/client/client.routes.js';
import { chatsRoutes } from './modules/client/chats.routes.js';
import { menuClientRoutes } from './modules/client/menus.routes.js';
import { scanRoutes } from './modules/client/scans.routes.js';
import { followersRoutes } from './modules/followers/followers.routes.js';
import { mediaFilesRoutes } from './modules/media/media-files.routes.js';
import { menusRoutes } from './modules/menus/menus.routes.js';
import { customMessagesRoutes } from './modules/messages/messages.routes.js';
import { qrcodesRoutes } from './modules/qrcodes/qrcodes.routes.js';
import { templatesRoutes } from './modules/templates/templates.routes.js';
import { registerWechatApi } from './modules/wechat/wechat.api.js';
import { healthRoutes } from './modules/health/health.routes.js';
import { createReadinessCheck } from './modules/health/health.service.js';
import { redisKey } from './redis.js';

/**
 * Builds the HTTP application over ready dependencies. It never listens and never starts queue consumers:
 * src/server.ts listens, tests call app.inject.
 */
export async function buildApp(deps: Deps): Promise<FastifyInstance> {
  const { config, services } = deps;
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    bodyLimit: config.bodyLimitBytes,
    // Only the proxies named by TRUST_PROXY may set the client address (request.ip, which rate limits key on).
    trustProxy: config.trustProxy,
    requestIdHeader: 'x-request-id',
    // A request must arrive whole within 2 minutes (a 10 MB upload on a slow link fits): a body that never ends
    // would otherwise hold its connection forever.
    requestTimeout: 120_000,
    routerOptions: { ignoreTrailingSlash: true },
    // The router's own refusals (a path parameter that is not valid percent-encoded UTF-8, or longer than 100
    // characters) are answered as every other bad request is, not in Fastify's own JSON.
    frameworkErrors: (error, request, reply) => {
      const detail = error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'A path segment is longer than 100 characters' : 'The path is not valid percent-encoded UTF-8';
      sendProblem(reply, request, new AppError('VALIDATION_FAILED', detail));
    },
  });

  installValidation(app);

  // Graceful shutdown: once close() begins, answer in-flight requests with "Connection: close", so keep-alive
  // clients let go of their sockets and the server can finish draining instead of waiting for idle timeouts.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', async (_request, reply) => {
    if (closing) reply.header('connection', 'close');
  });
  app.addSchema(ProblemSchema);

  // Infrastructure first: compression, error shape, docs, rate limiting, authentication.
  if (config.httpCompression) await app.register(compress, compressionOptions);
  await app.register(problemPlugin);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'oa-platform',
        version: '0.1.0',
        description: 'Admin API for WeChat-style official accounts. Errors are application/problem+json with a stable `code`.',
      },
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'admin token from /v1/auth/login' },
          clientBearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'WeChat user token from /client/v1/users' },
        },
      },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  await app.register(rateLimit, {
    global: false,
    redis: deps.redis,
    nameSpace: redisKey(config.redisPrefix, 'rate-limit', ''),
    skipOnError: false,
    errorResponseBuilder: (_request, context) =>
      new AppError('RATE_LIMITED', `Rate limit of ${context.max} requests per ${context.after} exceeded`, {
        retryAfterSeconds: Math.ceil(context.ttl / 1000),
      }),
  });
  await app.register(adminAuthPlugin, {
    secret: config.jwtSecret,
    expiresIn: config.jwtExpiresIn,
    accounts: services.accounts,
    adminUserExists: services.principals.adminUserExists,
  });
  await app.register(clientAuthPlugin, {
    jwtSecret: config.jwtSecret,
    expiresIn: config.clientTokenExpiresIn,
    wechatUserExists: services.principals.wechatUserExists,
  });

  // Then the modules.
  await app.register(healthRoutes, { readiness: createReadinessCheck({ db: deps.database.db, redis: deps.redis, logger: deps.logger }) });
  await app.register(authRoutes, { auth: services.auth, rateLimitPerMinute: config.login.rateLimitPerMinute });
  await app.register(accountsRoutes, { accounts: services.accounts, quota: services.quota });
  await app.register(followersRoutes, { followers: services.followers });
  // The simulated WeChat app, in a scope of its own so that its rate limits apply to its routes only. Where a real
  // follower side exists, CLIENT_API_ENABLED=false leaves the whole surface unregistered (404).
  if (config.client.apiEnabled) {
    await app.register(async (clientApi) => {
      await clientApi.register(clientRateLimitPlugin, {
        perUserPerMinute: config.client.rateLimitPerMinute,
        perIpPerMinute: config.client.ipRateLimitPerMinute,
        signupPerIpPerMinute: config.client.signupRateLimitPerMinute,
      });
      await clientApi.register(clientRoutes, { client: services.client });
      await clientApi.register(inboxRoutes, { broadcasts: services.broadcasts });
      await clientApi.register(scanRoutes, { deps });
      await clientApi.register(menuClientRoutes, { deps });
      await clientApi.register(chatsRoutes, { chats: services.chats });
    });
  }
  await app.register(broadcastsRoutes, { broadcasts: services.broadcasts, accounts: services.accounts });
  await app.register(webhooksRoutes, { webhooks: services.webhooks });
  await app.register(statsRoutes, { stats: services.stats, compression: config.httpCompression });
  await app.register(menusRoutes, { menus: services.menus, accounts: services.accounts });
  await app.register(customMessagesRoutes, { custom: services.customMessages });
  await app.register(mediaFilesRoutes, { media: services.media });
  await app.register(qrcodesRoutes, { qrcodes: services.qrcodes, accounts: services.accounts, publicUrl: config.publicUrl });
  await app.register(templatesRoutes, { templates: services.templates, accounts: services.accounts });
  await registerWechatApi(app, deps);
  // Last: the console's fallback to index.html answers only what no route above claims.
  await app.register(webConsolePlugin, {});

  return app;
}
