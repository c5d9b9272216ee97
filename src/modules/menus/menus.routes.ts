import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { AccountParams, adminSecurity, Id, problems, Timestamp } from '../../http/schemas.js';
import { AppError } from '../../errors.js';
import type { AccountsService } from '../accounts/accounts.service.js';
import { CONDITIONAL_MENU_LIMITS, MATCH_RULE_FIELDS } from './conditional-menu.js';
import { BUTTON_TYPES, MENU_LIMITS } from './menu.validation.js';
import type { StoredConditionalMenu, StoredMenu } from './menus.repo.js';
import type { MenusService } from './menus.service.js';

const MenuBody = Type.Object(
  {
    button: Type.Array(Type.Object({}, { additionalProperties: true }), {
      description: `WeChat's menu/create body: 1 to ${MENU_LIMITS.buttons} buttons, each a leaf (type: ${BUTTON_TYPES.join(', ')}) or {name, sub_button: [up to ${MENU_LIMITS.subButtons} leaves]}. Checked as WeChat checks it: each violation is listed in \`errors\` with its path and WeChat's errcode.`,
    }),
  },
  { additionalProperties: false },
);

/** WeChat's matchrule (§10.1.5), every field a string as WeChat documents them; its checks are the service's. */
const MatchRule = Type.Object(Object.fromEntries(MATCH_RULE_FIELDS.map((field) => [field, Type.Optional(Type.String({ maxLength: 64 }))])), {
  additionalProperties: false,
  description:
    'At least one non-empty field: tag_id (a tag of the account), sex ("1" male, "2" female), country, province, city (names as in the follower profile; province needs country, city needs province), client_platform_type ("1" iOS, "2" Android, "3" others), language (zh_CN, en, …). A menu shows to the viewers every given field matches.',
});

const ConditionalMenuBody = Type.Object(
  {
    button: MenuBody.properties.button,
    matchrule: MatchRule,
  },
  { additionalProperties: false },
);

const ConditionalMenuSchema = Type.Object({
  menuId: Id,
  button: Type.Array(Type.Object({ name: Type.String() }, { additionalProperties: true })),
  matchrule: Type.Record(Type.String(), Type.String()),
  createdAt: Timestamp,
});

const ConditionalMenuParams = Type.Object({ id: Id, menuId: Id }, { additionalProperties: false });

const MenuSchema = Type.Object({
  menuId: Id,
  button: Type.Array(Type.Object({ name: Type.String() }, { additionalProperties: true })),
  updatedAt: Timestamp,
});

/**
 * The account's custom menu and conditional menus on the admin API: the same JSON as WeChat's menu/create and
 * menu/addconditional, the same checks. Conditional menus are an interface privilege of verified accounts that
 * WeChat's console has no page for, so they are checked here too (403 CAPABILITY_NOT_ALLOWED).
 */
export const menusRoutes: FastifyPluginAsyncTypebox<{ menus: MenusService; accounts: AccountsService }> = async (app, { menus, accounts }) => {
  app.addHook('onRequest', app.authenticate);
  const tags = ['menus'];
  const security = adminSecurity;
  const view = (menu: StoredMenu) => ({ menuId: menu.menuId, button: menu.buttons, updatedAt: menu.updatedAt });
  const conditionalView = (menu: StoredConditionalMenu) => ({ menuId: menu.menuId, button: menu.buttons, matchrule: menu.rule, createdAt: menu.createdAt });

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
    schema: {
      tags,
      security,
      summary: 'Delete the custom menu and every conditional menu (204 also when there is none)',
      params: AccountParams,
      response: { 204: Type.Null(), ...problems(401, 403, 404) },
    },
    handler: async (request, reply) => {
      await menus.remove(request.accountAccess.account.id);
      return reply.code(204).send(null);
    },
  });

  app.get('/v1/accounts/:id/menu/conditional', {
    preHandler: app.authorizeAccount('account:read'),
    schema: {
      tags,
      security,
      summary: 'The conditional menus, newest first: the order they are tried in (the first whose matchrule matches a viewer is shown)',
      params: AccountParams,
      response: { 200: Type.Object({ items: Type.Array(ConditionalMenuSchema) }), ...problems(401, 403, 404) },
    },
    handler: async (request) => {
      await accounts.requireOnConsole(request.accountAccess, 'conditional_menu');
      const items = await menus.listConditional(request.accountAccess.account.id);
      return { items: items.reverse().map(conditionalView) };
    },
  });

  app.post('/v1/accounts/:id/menu/conditional', {
    preHandler: app.authorizeAccount('menu:write'),
    schema: {
      tags,
      security,
      summary: `Add a conditional menu (201): shown instead of the default menu to the viewers its matchrule matches. Needs the default menu (409 DEFAULT_MENU_MISSING), at most ${CONDITIONAL_MENU_LIMITS.menus} per account (409 CONDITIONAL_MENU_LIMIT_REACHED)`,
      description: `Violations are listed in \`errors\` with their path and WeChat's errcode (the menu/create codes, and 65304, 65310–65314, 40097, 45159 for the matchrule; 65316 when the conditional menus would link to more than ${CONDITIONAL_MENU_LIMITS.domains} domains).`,
      params: AccountParams,
      body: ConditionalMenuBody,
      response: { 201: ConditionalMenuSchema, ...problems(400, 401, 403, 404, 409) },
    },
    handler: async (request, reply) => {
      await accounts.requireOnConsole(request.accountAccess, 'conditional_menu');
      const added = await menus.addConditional(request.accountAccess.account.id, request.body);
      return reply.code(201).send(conditionalView(added));
    },
  });

  app.delete('/v1/accounts/:id/menu/conditional/:menuId', {
    preHandler: app.authorizeAccount('menu:write'),
    schema: {
      tags,
      security,
      summary: 'Delete a conditional menu',
      params: ConditionalMenuParams,
      response: { 204: Type.Null(), ...problems(401, 403, 404) },
    },
    handler: async (request, reply) => {
      await accounts.requireOnConsole(request.accountAccess, 'conditional_menu');
      await menus.removeConditional(request.accountAccess.account.id, request.params.menuId);
      return reply.code(204).send(null);
    },
  });
};
