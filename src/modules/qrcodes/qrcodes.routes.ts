import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AppError } from '../../errors.js';
import { AccountParams, adminSecurity, PageOf, problems } from '../../http/schemas.js';
import { CreateQrcodeBody, QrcodeListQuery, QrcodeSchema, type CreateQrcodeInput } from './qrcodes.schemas.js';
import type { QrcodeRequest } from './qrcodes.rules.js';
import { publicOrigin } from '../../http/public-origin.js';
import type { AccountsService } from '../accounts/accounts.service.js';
import type { QrcodeView, QrcodesService } from './qrcodes.service.js';

/** The body in the service's terms; which scene suits the action, and its range, are the service's rules. */
function toRequest(body: CreateQrcodeInput): QrcodeRequest {
  const { sceneId, sceneStr } = body.actionInfo.scene;
  if ((sceneId === undefined) === (sceneStr === undefined)) {
    throw new AppError('VALIDATION_FAILED', 'body/actionInfo/scene must have sceneId or sceneStr, one of them', { field: 'actionInfo.scene' });
  }
  const scene = sceneStr !== undefined ? { str: sceneStr } : { id: sceneId! };
  return { action: body.actionName, scene, ...(body.expireSeconds === undefined ? {} : { expireSeconds: body.expireSeconds }) };
}

/** Parametric QR codes on the admin API: create and list (owners and admins), as /cgi-bin/qrcode/create does. */
export const qrcodesRoutes: FastifyPluginAsyncTypebox<{ qrcodes: QrcodesService; accounts: AccountsService; publicUrl: string | undefined }> = async (
  app,
  { qrcodes, accounts, publicUrl },
) => {
  app.addHook('onRequest', app.authenticate);
  const tags = ['qrcodes'];
  const security = adminSecurity;
  const manage = { preHandler: app.authorizeAccount('qrcodes:manage') };
  const withImage = (origin: string, view: QrcodeView) => ({ ...view, imageUrl: `${origin}/cgi-bin/showqrcode?ticket=${view.ticket}` });

  app.post('/v1/accounts/:id/qrcodes', {
    ...manage,
    schema: {
      tags,
      security,
      summary:
        'Create a QR code with parameters (201); a permanent code whose scene exists already is answered as it is (200). At most 100,000 permanent codes per account',
      params: AccountParams,
      body: CreateQrcodeBody,
      response: { 200: QrcodeSchema, 201: QrcodeSchema, ...problems(400, 401, 403, 404, 409) },
    },
    handler: async (request, reply) => {
      // Parametric QR codes are for verified service accounts, on WeChat's console as on its API.
      await accounts.requireOnConsole(request.accountAccess, 'qrcode');
      const origin = publicOrigin(request, publicUrl);
      const { created, qrcode } = await qrcodes.create(request.accountAccess.account.id, toRequest(request.body), origin);
      return reply.code(created ? 201 : 200).send(withImage(origin, qrcode));
    },
  });

  app.get('/v1/accounts/:id/qrcodes', {
    ...manage,
    schema: {
      tags,
      security,
      summary: "The account's QR codes, newest first (expired temporary ones included: see expiresAt)",
      params: AccountParams,
      querystring: QrcodeListQuery,
      response: { 200: PageOf(QrcodeSchema), ...problems(400, 401, 403, 404) },
    },
    handler: async (request) => {
      const origin = publicOrigin(request, publicUrl);
      const { items, nextCursor } = await qrcodes.list(request.accountAccess.account.id, request.query);
      return { items: items.map((view) => withImage(origin, view)), nextCursor };
    },
  });
};
