import { Type } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Deps } from '../../deps.js';
import { WechatError } from '../../errors.js';
import { integerOf, objectOf } from '../../http/json-fields.js';
import { CLIENT_PLATFORMS, CONDITIONAL_MENU_LIMITS, type ClientPlatform } from '../menus/conditional-menu.js';
import { MENU_ERRMSG, MENU_LIMITS, selfmenuButtons, wechatMenuButtons } from '../menus/menu.validation.js';
import { wechatError } from './errcodes.js';
import { OK } from './wechat.plugin.js';

const tags = ['wechat'];
const TokenQuery = Type.Object({ access_token: Type.Optional(Type.String()) });
const Okay = Type.Object({ errcode: Type.Literal(0), errmsg: Type.String() });
// Buttons go out as stored (only the fields of their type), so the response schemas let any field through.
const Button = Type.Object({ name: Type.String() }, { additionalProperties: true });
const MatchRule = Type.Record(Type.String(), Type.String());

/** trymatch's platform: WeChat knows the user's phone; here a caller may say it (1, 2, 3) or get the client default. */
function platformOf(value: unknown): ClientPlatform | undefined {
  const code = integerOf(value);
  return (Object.keys(CLIENT_PLATFORMS) as ClientPlatform[]).find((platform) => CLIENT_PLATFORMS[platform] === String(code));
}

/**
 * The custom menu under /cgi-bin (../shared/wechat-protocol.md §10.1): menu/create, menu/get, menu/delete,
 * get_current_selfmenu_info, and the conditional menus (§10.1.5: menu/addconditional, menu/delconditional,
 * menu/trymatch), over the menus service. Its refusals carry WeChat's errcode (§10.1.6), answered as they are.
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
      await menus.replace(request.wechatAccount.id, request.body);
      return OK;
    },
  });

  app.get('/menu/get', {
    schema: {
      tags,
      summary:
        'The menus set through the API, every leaf with "sub_button": []: the default menu, and once there are conditional menus its menuid and conditionalmenu (oldest first, each with matchrule and menuid); 46003 when there is none',
      querystring: TokenQuery,
      response: {
        200: Type.Object({
          menu: Type.Object({ button: Type.Array(Button), menuid: Type.Optional(Type.Integer()) }),
          conditionalmenu: Type.Optional(Type.Array(Type.Object({ button: Type.Array(Button), matchrule: MatchRule, menuid: Type.Integer() }))),
        }),
      },
    },
    handler: async (request) => {
      const menu = await menus.get(request.wechatAccount.id);
      // wechatpy and WxJava both read 46003 as "no menu" (§10.1.2).
      if (!menu) throw new WechatError(46003, MENU_ERRMSG[46003]);
      const conditional = await menus.listConditional(request.wechatAccount.id);
      if (conditional.length === 0) return { menu: { button: wechatMenuButtons(menu.buttons) } };
      // The shape of WxJava's WxMpMenuTest (§10.1.2): numeric menuids, and the rule fields as they were given.
      return {
        menu: { button: wechatMenuButtons(menu.buttons), menuid: menu.menuId },
        conditionalmenu: conditional.map((item) => ({ button: wechatMenuButtons(item.buttons), matchrule: item.rule, menuid: item.menuId })),
      };
    },
  });

  app.get('/menu/delete', {
    schema: { tags, summary: 'Delete the menu and every conditional menu (ok also when there is none)', querystring: TokenQuery, response: { 200: Okay } },
    handler: async (request) => {
      await menus.remove(request.wechatAccount.id);
      return OK;
    },
  });

  app.post('/menu/addconditional', {
    schema: {
      tags,
      summary: `Add a conditional menu: {button: [...], matchrule: {tag_id, sex, country, province, city, client_platform_type, language}} → {menuid}. Buttons are checked as menu/create; 65304 without a rule, 65310–65314 for a bad region, 65303 before the default menu, 65305 past ${CONDITIONAL_MENU_LIMITS.menus} menus, 65316 past ${CONDITIONAL_MENU_LIMITS.domains} linked domains`,
      querystring: TokenQuery,
      // WeChat's sample answers the menuid as a string, with no errcode (§10.1.5).
      response: { 200: Type.Object({ menuid: Type.String() }) },
    },
    handler: async (request) => {
      if (request.body === undefined) throw wechatError(44002);
      const added = await menus.addConditional(request.wechatAccount.id, request.body);
      return { menuid: String(added.menuId) };
    },
  });

  app.post('/menu/delconditional', {
    schema: { tags, summary: 'Delete a conditional menu: {menuid}; 65301 for a menuid that is none of the account\'s conditional menus', querystring: TokenQuery, response: { 200: Okay } },
    handler: async (request) => {
      if (request.body === undefined) throw wechatError(44002);
      // The doc sends the menuid as a string; SDKs send the number menu/get gave them.
      const menuId = integerOf(objectOf(request.body)?.menuid);
      if (menuId === undefined || menuId === 0) throw new WechatError(65301, `${MENU_ERRMSG[65301]}: menuid must be the menuid of a conditional menu`);
      await menus.removeConditional(request.wechatAccount.id, menuId);
      return OK;
    },
  });

  app.post('/menu/trymatch', {
    schema: {
      tags,
      summary:
        'The menu a user would see: {user_id: an openid of the account} → {button: [...]}; 65302 for an unknown user_id, 46003 without a menu. Matched as on the client\'s default platform (Android) unless client_platform_type (1 iOS, 2 Android, 3 others) says otherwise',
      querystring: TokenQuery,
      response: { 200: Type.Object({ button: Type.Array(Button) }) },
    },
    handler: async (request) => {
      if (request.body === undefined) throw wechatError(44002);
      const body = objectOf(request.body);
      const userId = body?.user_id;
      if (typeof userId !== 'string' || userId === '') throw new WechatError(65302, `${MENU_ERRMSG[65302]}: user_id must be an openid of the account`);
      const platform = platformOf(body?.client_platform_type);
      if (body?.client_platform_type !== undefined && platform === undefined) {
        throw new WechatError(40097, `${MENU_ERRMSG[40097]}: client_platform_type must be 1 (iOS), 2 (Android) or 3 (others)`);
      }
      const seen = await menus.tryMatch(request.wechatAccount.id, userId, platform);
      return { button: wechatMenuButtons(seen.buttons) };
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
