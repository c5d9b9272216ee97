import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Deps } from '../../deps.js';

/** Followers, tags and the blacklist under /cgi-bin (user/*, tags/*), over the followers service. */
export const userRoutes: FastifyPluginAsyncTypebox<{ deps: Deps }> = async () => {};
