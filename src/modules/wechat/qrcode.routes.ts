import { Type } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Deps } from '../../deps.js';
import { isAppError, WechatError } from '../../errors.js';
import { renderQrPng } from '../qrcodes/qrcode-image.js';
import { QR_ACTIONS, QRCODE_LIMITS, qrcodeViolation, type QrAction, type QrcodeRequest } from '../qrcodes/qrcodes.rules.js';
import { integerOf, objectOf } from '../../http/json-fields.js';
import { publicOrigin } from '../../http/public-origin.js';
import { wechatError } from './errcodes.js';
import { requireBody } from './users.wechat.js';

const tags = ['wechat'];

/**
 * WeChat's codes for qrcode/create (protocol reference §10.4.1, from WxJava's error enums and the captures cited
 * there): 40052 for the action name, 40053 for action_info and its scene, 45029 when the permanent codes are used up.
 */
const invalidActionName = () => new WechatError(40052, 'invalid action name');
const invalidActionInfo = (detail: string) => new WechatError(40053, `invalid action info, please check document: ${detail}`);
const qrcodeCountOutOfLimit = () => new WechatError(45029, 'qrcode count out of limit');

/** Seconds a browser may keep the image: WeChat sends max-age=604800; never past a temporary code's expiry. */
const IMAGE_MAX_AGE_SECONDS = 604_800;

/** An integer as a JSON number or decimal digits, signed: a negative scene is WeChat's 40053, not an unreadable one. */
const signedIntegerOf = (value: unknown) => integerOf(value, { signed: true });

/** The create request in the service's terms, or WeChat's error for what is wrong with the body. */
function parseCreate(body: unknown): QrcodeRequest {
  const fields = requireBody(body);
  const action = fields.action_name;
  if (typeof action !== 'string' || !(QR_ACTIONS as readonly string[]).includes(action)) throw invalidActionName();
  const info = objectOf(fields.action_info);
  if (!info) throw invalidActionInfo('action_info must be an object');

  let expireSeconds: number | undefined;
  if (fields.expire_seconds !== undefined && fields.expire_seconds !== null && !action.startsWith('QR_LIMIT_')) {
    expireSeconds = signedIntegerOf(fields.expire_seconds);
    // No errcode of WeChat's is documented for a bad expiry (WxJava refuses it before sending): the generic one.
    if (expireSeconds === undefined) throw wechatError(40097, `invalid args: expire_seconds must be an integer from 1 to ${QRCODE_LIMITS.maxExpireSeconds}`);
  }

  // WeChat's quirk: action_info without the scene wrapper still makes a code, with scene 0 (§10.4.1).
  let scene: QrcodeRequest['scene'] = 'none';
  if (info.scene !== undefined) {
    const given = objectOf(info.scene);
    if (!given) throw invalidActionInfo('action_info.scene must be an object');
    if (action.endsWith('_STR_SCENE')) {
      if (typeof given.scene_str !== 'string') throw invalidActionInfo(`${action} needs action_info.scene.scene_str`);
      scene = { str: given.scene_str };
    } else {
      const id = signedIntegerOf(given.scene_id);
      if (id === undefined) throw invalidActionInfo(`${action} needs an integer action_info.scene.scene_id`);
      scene = { id };
    }
  }

  const request: QrcodeRequest = { action: action as QrAction, scene, ...(expireSeconds === undefined ? {} : { expireSeconds }) };
  const violation = qrcodeViolation(request);
  if (violation?.field === 'expireSeconds') throw wechatError(40097, `invalid args: ${violation.message}`);
  if (violation) throw invalidActionInfo(violation.message);
  return request;
}

/** QR codes with parameters under /cgi-bin (qrcode/create, showqrcode), over the qrcodes service. */
export const qrcodeRoutes: FastifyPluginAsyncTypebox<{ deps: Deps }> = async (app, { deps }) => {
  const { qrcodes } = deps.services;

  app.post('/qrcode/create', {
    schema: {
      tags,
      summary:
        'Create a QR code with parameters: {expire_seconds, action_name: QR_SCENE | QR_STR_SCENE | QR_LIMIT_SCENE | QR_LIMIT_STR_SCENE, action_info: {scene: {scene_id | scene_str}}}; the image is at showqrcode?ticket=',
      querystring: Type.Object({ access_token: Type.Optional(Type.String()) }),
      response: {
        200: Type.Object({
          ticket: Type.String(),
          expire_seconds: Type.Optional(Type.Integer({ description: 'temporary codes only' })),
          url: Type.String({ description: 'what the QR image encodes: <this server>/q/<ticket>' }),
        }),
      },
    },
    handler: async (request) => {
      const input = parseCreate(request.body);
      try {
        const { qrcode } = await qrcodes.create(request.wechatAccount.id, input, publicOrigin(request, deps.config.publicUrl));
        // Permanent codes are answered without expire_seconds, as WeChat answers them.
        return { ticket: qrcode.ticket, ...(qrcode.expireSeconds === null ? {} : { expire_seconds: qrcode.expireSeconds }), url: qrcode.url };
      } catch (error) {
        if (isAppError(error) && error.code === 'QRCODE_LIMIT_REACHED') throw qrcodeCountOutOfLimit();
        throw error;
      }
    },
  });

  app.get('/showqrcode', {
    // As on mp.weixin.qq.com: no access_token; the ticket is the credential.
    config: { wechatPublic: true },
    schema: {
      tags,
      summary: 'The QR code image (PNG) of a ticket; HTTP 404 for a ticket that is unknown or expired, as WeChat answers',
      querystring: Type.Object({ ticket: Type.Optional(Type.String()), access_token: Type.Optional(Type.String()) }),
    },
    handler: async (request, reply) => {
      let code;
      try {
        code = await qrcodes.resolve(request.query.ticket ?? '');
      } catch (error) {
        if (isAppError(error) && (error.code === 'QRCODE_NOT_FOUND' || error.code === 'QRCODE_EXPIRED')) {
          return reply.code(404).type('text/plain; charset=utf-8').send('ticket not found');
        }
        throw error;
      }
      const secondsLeft = code.expiresAt === null ? IMAGE_MAX_AGE_SECONDS : Math.floor((code.expiresAt.getTime() - deps.clock.now().getTime()) / 1000);
      return reply
        .code(200)
        .type('image/png')
        .header('cache-control', `max-age=${Math.max(0, Math.min(IMAGE_MAX_AGE_SECONDS, secondsLeft))}`)
        .send(await renderQrPng(code.url));
    },
  });
};
