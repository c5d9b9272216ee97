import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Deps } from '../../deps.js';

/** The follower side of QR codes with parameters: scanning a ticket (issue 11). */
export const scanRoutes: FastifyPluginAsyncTypebox<{ deps: Deps }> = async () => {};
