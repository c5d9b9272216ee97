import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Deps } from '../../deps.js';

/** qrcode interfaces under /cgi-bin (issue 11). */
export const qrcodeRoutes: FastifyPluginAsyncTypebox<{ deps: Deps }> = async () => {};
