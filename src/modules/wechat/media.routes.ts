import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Deps } from '../../deps.js';

/** Media under /cgi-bin/media (upload, uploadimg, get). */
export const mediaRoutes: FastifyPluginAsyncTypebox<{ deps: Deps }> = async () => {};
