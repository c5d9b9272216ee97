import { Type } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { DATACUBE_SPANS, type Datacube } from '../stats/datacube.js';

/** WeChat's statistics views, one POST route each under /datacube, answered by the statistics module. */
export const datacubeRoutes: FastifyPluginAsyncTypebox<{ datacube: Datacube }> = async (app, { datacube }) => {
  for (const view of datacube.views) {
    app.post(`/${view}`, {
      schema: {
        tags: ['wechat'],
        summary: `WeChat's ${view}: {begin_date, end_date} (YYYY-MM-DD, at most ${DATACUBE_SPANS[view]} day${DATACUBE_SPANS[view] > 1 ? 's' : ''}, up to yesterday) → {list}`,
        querystring: Type.Object({ access_token: Type.Optional(Type.String()) }),
        response: { 200: Type.Object({ list: Type.Array(Type.Unknown()) }) },
      },
      handler: async (request) => datacube.answer(view, request.wechatAccount.id, request.body),
    });
  }
};
