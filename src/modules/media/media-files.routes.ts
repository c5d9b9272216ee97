import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { AppError } from '../../errors.js';
import { problems } from '../../http/schemas.js';
import type { MediaService } from './media.service.js';

/** Our storage keys: 128 random bits, so a URL cannot be guessed from another. */
const FileParams = Type.Object({ name: Type.String({ pattern: '^[0-9a-f]{32}\\.(png|jpg|gif|bmp)$' }) }, { additionalProperties: false });

/**
 * `GET /media/<key>`: the public URL of an image (what WeChat serves from its image CDN): `/cgi-bin/media/uploadimg`
 * answers it, and news thumbs and image messages point at it. No token: followers' clients load these. Served only
 * while the media lives, or for good once a sent message shows it. Registered at the root of the app (outside the
 * /cgi-bin scope, so errors are problem+json).
 */
export const mediaFilesRoutes: FastifyPluginAsyncTypebox<{ media: MediaService }> = async (app, { media }) => {
  app.get('/media/:name', {
    schema: {
      tags: ['media'],
      summary: 'An uploaded image, by its public name',
      params: FileParams,
      response: { ...problems(400, 404) },
    },
    handler: async (request, reply) => {
      const found = await media.openPublic(request.params.name);
      if (!found) throw new AppError('NOT_FOUND', `No media file ${request.params.name}`);
      return reply
        .type(found.row.contentType ?? 'application/octet-stream')
        .header('content-length', found.file.size)
        // The bytes under a name never change (a new upload gets a new name), so any cache may keep them.
        .header('cache-control', 'public, max-age=31536000, immutable')
        .header('x-content-type-options', 'nosniff')
        .send(found.file.stream);
    },
  });
};
