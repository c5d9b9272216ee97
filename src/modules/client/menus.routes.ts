import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Deps } from '../../deps.js';
import { Id, problems } from '../../http/schemas.js';
import { CLIENT_PLATFORMS, DEFAULT_CLIENT_PLATFORM } from '../menus/conditional-menu.js';
import { MENU_LIMITS } from '../menus/menu.validation.js';
import { MENU_EVENTS } from '../webhooks/push-render.js';
import { Appid } from './client.schemas.js';

const Platform = Type.Enum(Object.keys(CLIENT_PLATFORMS) as Array<keyof typeof CLIENT_PLATFORMS>, {
  description: `The phone the user is on, for conditional menus with a client_platform_type rule; ${DEFAULT_CLIENT_PLATFORM} when not given`,
});

const MenuTapBody = Type.Object(
  {
    appid: Appid,
    platform: Type.Optional(Platform),
    key: Type.Optional(Type.String({ minLength: 1, maxLength: MENU_LIMITS.keyBytes, description: 'the key of a click, scancode_*, pic_* or location_select button' })),
    url: Type.Optional(Type.String({ minLength: 1, maxLength: MENU_LIMITS.urlBytes, description: 'the URL of a view button' })),
    scan: Type.Optional(
      Type.Object(
        { type: Type.Optional(Type.Enum(['qrcode', 'barcode'])), result: Type.String({ minLength: 1, maxLength: 4096 }) },
        { additionalProperties: false, description: 'scancode_* buttons: what the scanner read' },
      ),
    ),
    pics: Type.Optional(Type.Array(Type.String({ pattern: '^[0-9a-f]{32}$' }), { minItems: 1, maxItems: 9, description: 'pic_* buttons: the MD5 sums of the pictures sent' })),
    location: Type.Optional(
      Type.Object(
        {
          latitude: Type.Number({ minimum: -90, maximum: 90 }),
          longitude: Type.Number({ minimum: -180, maximum: 180 }),
          scale: Type.Integer({ minimum: 1, maximum: 30 }),
          label: Type.String({ maxLength: 256 }),
          poiname: Type.Optional(Type.String({ maxLength: 256 })),
        },
        { additionalProperties: false, description: 'location_select buttons: the place picked' },
      ),
    ),
  },
  { additionalProperties: false },
);

/** The follower side of custom menus: seeing an account's menu and tapping it (issue 11). */
export const menuClientRoutes: FastifyPluginAsyncTypebox<{ deps: Deps }> = async (app, { deps }) => {
  const menus = deps.services.menus;
  const tags = ['client'];
  const security = [{ clientBearer: [] }];

  app.get('/client/v1/accounts/:appid/menu', {
    onRequest: app.authenticateClient,
    schema: {
      tags,
      security,
      summary: "An account's custom menu as its chat shows this user: the newest conditional menu that matches them, else the default menu (no menu: no buttons)",
      params: Type.Object({ appid: Appid }, { additionalProperties: false }),
      querystring: Type.Object({ platform: Type.Optional(Platform) }, { additionalProperties: false }),
      response: {
        200: Type.Object({
          appid: Type.String(),
          menuId: Type.Union([Id, Type.Null()], { description: "the default menu's menuid, or the conditional menu's that matched" }),
          buttons: Type.Array(Type.Object({ name: Type.String() }, { additionalProperties: true }), { description: 'as menu/create took them' }),
        }),
        ...problems(400, 401, 404),
      },
    },
    handler: async (request) => menus.forFollower(request.params.appid, request.wechatUserId, request.query.platform),
  });

  app.post('/client/v1/menu-clicks', {
    onRequest: app.authenticateClient,
    schema: {
      tags,
      security,
      summary: "Tap a button of the menu an account shows you (as a follower): its event is pushed to the account's server",
      description:
        'Name a view button by `url`, any other event button by `key`; scancode_* buttons need `scan`, pic_* `pics`, location_select `location`. The button must be in the menu GET /client/v1/accounts/{appid}/menu shows you on the same `platform` (a conditional menu, or the default one); any other is 404. The push and the answer carry that menu\'s menuId.',
      body: MenuTapBody,
      response: {
        201: Type.Object({ event: Type.Enum([...MENU_EVENTS]), eventKey: Type.String(), menuId: Id }),
        ...problems(400, 401, 403, 404, 409),
      },
    },
    handler: async (request, reply) => reply.code(201).send(await menus.tap(request.wechatUserId, request.body)),
  });
};
