import { Type } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Deps } from '../../deps.js';
import { WechatError } from '../../errors.js';
import { MENU_ERRMSG, MENU_LIMITS, selfmenuButtons, wechatMenuButtons } from '../menus/menu.validation.js';
import { menuViolationOf } from '../menus/menus.service.js';
import { wechatError } from './errcodes.js';
import { OK } from './wechat.plugin.js';

const tags = ['wechat'];
const TokenQuery = Type.Object({ access_token: Type.Optional(Type.String()) });
const Okay = Type.Object({ errcode: Type.Literal(0), errmsg: Type.String() });
// Buttons go out as stored (only the fields of their type), so the response schemas let any field through.
const Button = Type.Object({ name: Type.String() }, { additionalProperties: true });

/**
 * The custom menu under /cgi-bin (../shared/wechat-protocol.md §10.1): menu/create, menu/get, menu/delete and
 * get_current_selfmenu_info, over the menus service. Conditional menus (§10.1.5) are not served.
 */
export const menuRoutes: FastifyPluginAsyncTypebox<{ deps: Deps }> = async (app, { deps }) => {
  const menus = deps.services.menus;

  app.post('/menu/create', {
    schema: {
      tags,
      summary: `Create (replace) the menu: {button: [...]}, 1 to ${MENU_LIMITS.buttons} buttons of up to ${MENU_LIMITS.subButtons} sub-buttons; WeChat's 400xx codes for what is wrong`,
      querystring: TokenQuery,
      response: { 200: Okay },
    },
    handler: async (request) => {
      // No body at all is 44002 (as everywhere here); a body without `button` is 40016 (§10.1.6).
      if (request.body === undefined) throw wechatError(44002);
      try {
        await menus.replace(request.wechatAccount.id, request.body);
      } catch (error) {
        const violation = menuViolationOf(error);
        if (violation) throw new WechatError(violation.errcode, violation.errmsg);
        throw error;
      }
      return OK;
    },
  });

  app.get('/menu/get', {
    schema: {
      tags,
      summary: 'The menu set through the API, every leaf with "sub_button": []; 46003 when there is none',
      querystring: TokenQuery,
      response: { 200: Type.Object({ menu: Type.Object({ button: Type.Array(Button) }) }) },
    },
    handler: async (request) => {
      const menu = await menus.get(request.wechatAccount.id);
      // wechatpy and WxJava both read 46003 as "no menu" (§10.1.2).
      if (!menu) throw new WechatError(46003, MENU_ERRMSG[46003]);
      return { menu: { button: wechatMenuButtons(menu.buttons) } };
    },
  });

  app.get('/menu/delete', {
    schema: { tags, summary: 'Delete the menu (ok also when there is none)', querystring: TokenQuery, response: { 200: Okay } },
    handler: async (request) => {
      await menus.remove(request.wechatAccount.id);
      return OK;
    },
  });

  app.get('/get_current_selfmenu_info', {
    schema: {
      tags,
      summary: 'The live menu in its own shape: is_menu_open, and sub_button as {list: [...]}',
      querystring: TokenQuery,
      response: {
        200: Type.Object({
          is_menu_open: Type.Integer(),
          selfmenu_info: Type.Object({ button: Type.Array(Button) }),
        }),
      },
    },
    handler: async (request) => {
      const menu = await menus.get(request.wechatAccount.id);
      return { is_menu_open: menu ? 1 : 0, selfmenu_info: { button: menu ? selfmenuButtons(menu.buttons) : [] } };
    },
  });
};
