import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Deps } from '../../deps.js';

/** Mass messages under /cgi-bin (media/uploadnews, message/mass/*), over the broadcasts service. */
export const massRoutes: FastifyPluginAsyncTypebox<{ deps: Deps }> = async () => {};
