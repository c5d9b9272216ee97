import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Deps } from '../../deps.js';
import { problems, Timestamp } from '../../http/schemas.js';
import { Appid } from './client.schemas.js';

const Ticket = Type.String({ minLength: 1, maxLength: 128, description: 'the ticket of qrcode/create; the last segment of the url its image encodes' });

/**
 * The follower side of QR codes with parameters: scanning a ticket (issue 11). A QR image encodes
 * `<server>/q/<ticket>`: a client that decoded one can GET that URL to see whose code it is, and POST the ticket to
 * /client/v1/scans to scan it.
 */
export const scanRoutes: FastifyPluginAsyncTypebox<{ deps: Deps }> = async (app, { deps }) => {
  const { qrcodes } = deps.services;
  const tags = ['client'];

  app.post('/client/v1/scans', {
    onRequest: app.authenticateClient,
    schema: {
      tags,
      security: [{ clientBearer: [] }],
      summary:
        "Scan a QR code with parameters: follows its account with scene ADD_SCENE_QR_CODE (201, a subscribe event with EventKey qrscene_<scene>), or, for a follower, a SCAN event (200); both push the Ticket",
      body: Type.Object({ ticket: Ticket }, { additionalProperties: false }),
      response: {
        200: Type.Object({ appid: Type.String(), openid: Type.String(), event: Type.Literal('SCAN') }),
        201: Type.Object({ appid: Type.String(), openid: Type.String(), event: Type.Literal('subscribe') }),
        ...problems(400, 401, 404, 410),
      },
    },
    handler: async (request, reply) => {
      const scanned = await qrcodes.scan(request.wechatUserId, request.body.ticket);
      return reply.code(scanned.event === 'subscribe' ? 201 : 200).send(scanned);
    },
  });

  app.get('/q/:ticket', {
    schema: {
      tags,
      summary: 'What a QR code with parameters encodes: whose code it is and until when (404 unknown, 410 expired); scan it with POST /client/v1/scans',
      params: Type.Object({ ticket: Ticket }, { additionalProperties: false }),
      response: {
        200: Type.Object({ ticket: Type.String(), appid: Appid, expiresAt: Type.Union([Timestamp, Type.Null()]) }),
        ...problems(400, 404, 410),
      },
    },
    handler: async (request) => {
      const code = await qrcodes.resolve(request.params.ticket);
      return { ticket: code.ticket, appid: code.appid, expiresAt: code.expiresAt };
    },
  });
};
