import type { FastifyInstance } from 'fastify';
import type { Deps } from '../../deps.js';
import { customRoutes } from './custom.routes.js';
import { datacubeRoutes } from './datacube.routes.js';
import { massRoutes } from './mass.routes.js';
import { mediaRoutes } from './media.routes.js';
import { menuRoutes } from './menu.routes.js';
import { qrcodeRoutes } from './qrcode.routes.js';
import { templateRoutes } from './template.routes.js';
import { tokenRoutes } from './token.routes.js';
import { userRoutes } from './users.routes.js';
import { speakWechat } from './wechat.plugin.js';

/**
 * The WeChat-compatible API: `/cgi-bin/...` and `/datacube/...` as WeChat serves them, so that a client library
 * written for WeChat works when pointed here. Each prefix is its own scope speaking WeChat's wire format (errors,
 * body parsing, access tokens: see speakWechat); the handlers call the same services as the admin API.
 */
export async function registerWechatApi(app: FastifyInstance, deps: Deps): Promise<void> {
  const { services } = deps;
  const { auth, callLimits } = services.wechat;
  await app.register(
    async (cgi) => {
      speakWechat(cgi, auth, services.accounts.capabilities);
      await cgi.register(tokenRoutes, { auth, callLimits, db: deps.database.db });
      await cgi.register(userRoutes, { deps });
      await cgi.register(mediaRoutes, { deps });
      await cgi.register(massRoutes, { deps });
      await cgi.register(qrcodeRoutes, { deps });
      await cgi.register(menuRoutes, { deps });
      await cgi.register(customRoutes, { deps });
      await cgi.register(templateRoutes, { deps });
    },
    { prefix: '/cgi-bin' },
  );
  await app.register(
    async (cube) => {
      speakWechat(cube, auth, services.accounts.capabilities);
      await cube.register(datacubeRoutes, { datacube: services.datacube });
    },
    { prefix: '/datacube' },
  );
}
