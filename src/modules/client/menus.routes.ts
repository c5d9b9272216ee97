import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Deps } from '../../deps.js';

/** The follower side of custom menus: seeing an account's menu and clicking it (issue 11). */
export const menuClientRoutes: FastifyPluginAsyncTypebox<{ deps: Deps }> = async () => {};
