import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Deps } from '../../deps.js';

/** menu interfaces under /cgi-bin (issue 11). */
export const menuRoutes: FastifyPluginAsyncTypebox<{ deps: Deps }> = async () => {};
