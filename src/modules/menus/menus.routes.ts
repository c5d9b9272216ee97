import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { AccountParams, adminSecurity, Id, problems, Timestamp } from '../../http/schemas.js';
import { AppError } from '../../errors.js';
import { BUTTON_TYPES, MENU_LIMITS } from './menu.validation.js';
import type { StoredMenu } from './menus.repo.js';
import type { MenusService } from './menus.service.js';

const MenuBody = Type.Object(
  {
    button: Type.Array(Type.Object({}, { additionalProperties: true }), {
      description: `WeChat's menu/create body: 1 to ${MENU_LIMITS.buttons} buttons, each a leaf (type: ${BUTTON_TYPES.join(', ')}) or {name, sub_button: [up to ${MENU_LIMITS.subButtons} leaves]}. Checked as WeChat checks it: each violation is listed in \`errors\` with its path and WeChat's errcode.`,
    }),
  },
  { additionalProperties: false },
);

const MenuSchema = Type.Object({
  menuId: Id,
  button: Type.Array(Type.Object({ name: Type.String() }, { additionalProperties: true })),
  updatedAt: Timestamp,
});

/** The account's custom menu on the admin API: the same JSON as WeChat's menu/create, the same checks. */
export const menusRoutes: FastifyPluginAsyncTypebox<{ menus: MenusService }> = async (app, { menus }) => {
  app.addHook('onRequest', app.authenticate);
  const tags = ['menus'];
  const security = adminSecurity;
  const view = (menu: StoredMenu) => ({ menuId: menu.menuId, button: menu.buttons, updatedAt: menu.updatedAt });

  app.put('/v1/accounts/:id/menu', {
    // Publishing what followers see, as a broadcast is: owners and admins.
    preHandler: app.authorizeAccount('menu:write'),
    schema: {
      tags,
      security,
      summary: 'Set (replace) the custom menu; a new menuId each time',
      params: AccountParams,
      body: MenuBody,
      response: { 200: MenuSchema, ...problems(400, 401, 403, 404) },
    },
    handler: async (request) => view(await menus.replace(request.accountAccess.account.id, request.body)),
  });

  app.get('/v1/accounts/:id/menu', {
    preHandler: app.authorizeAccount('account:read'),
    schema: { tags, security, summary: 'The custom menu', params: AccountParams, response: { 200: MenuSchema, ...problems(401, 404) } },
    handler: async (request) => {
      const menu = await menus.get(request.accountAccess.account.id);
      if (!menu) throw new AppError('NOT_FOUND', 'The account has no menu');
      return view(menu);
    },
  });

  app.delete('/v1/accounts/:id/menu', {
    preHandler: app.authorizeAccount('menu:write'),
    schema: { tags, security, summary: 'Delete the custom menu (204 also when there is none)', params: AccountParams, response: { 204: Type.Null(), ...problems(401, 403, 404) } },
    handler: async (request, reply) => {
      await menus.remove(request.accountAccess.account.id);
      return reply.code(204).send(null);
    },
  });
};
