import multipart from '@fastify/multipart';
import { Type } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import type { Deps } from '../../deps.js';
import { WechatError } from '../../errors.js';
import { detectFormat, type MediaFormat } from '../media/media.formats.js';
import { mediaUrl } from '../media/media.service.js';
import { wechatError } from './errcodes.js';

const tags = ['wechat'];
const MB = 1024 * 1024;

interface UploadRule {
  maxBytes: number;
  formats: readonly MediaFormat[];
  /** WeChat's code for a file over the size limit. */
  tooLarge: () => WechatError;
}

/**
 * WeChat's limits on temporary media, from 新增临时素材 (developers.weixin.qq.com/doc/offiaccount/Asset_Management/
 * New_temporary_materials.html; ../shared/wechat-protocol.md has none): image 10 MB bmp/png/jpeg/jpg/gif, voice 2 MB
 * (at most 60 s, not checked here) amr/mp3, video 10 MB mp4, thumb 64 KB jpg. Copies of the page from 2016 said image
 * 2 MB and voice 5 MB. Over the limit answers WeChat's per-kind code from its global return-code page (40009 image,
 * 40010 voice, 40011 video, 40012 thumb); a format not allowed answers 40005.
 */
const UPLOAD_RULES = {
  image: { maxBytes: 10 * MB, formats: ['bmp', 'png', 'jpeg', 'gif'], tooLarge: () => wechatError(40009) },
  voice: { maxBytes: 2 * MB, formats: ['amr', 'mp3'], tooLarge: () => wechatError(40010) },
  video: { maxBytes: 10 * MB, formats: ['mp4'], tooLarge: () => wechatError(40011) },
  thumb: { maxBytes: 64 * 1024, formats: ['jpeg'], tooLarge: () => new WechatError(40012, 'invalid thumb size') },
} as const satisfies Record<string, UploadRule>;
type UploadType = keyof typeof UPLOAD_RULES;

/** uploadimg: "图片仅支持jpg/png格式，大小必须在1MB以下" (群发接口 doc, Batch_Sends_and_Originality_Checks.html). */
const ARTICLE_IMAGE_RULE: UploadRule = { maxBytes: MB, formats: ['jpeg', 'png'], tooLarge: () => wechatError(40009) };

const isUploadType = (type: unknown): type is UploadType => typeof type === 'string' && Object.hasOwn(UPLOAD_RULES, type);

/**
 * The one file part named `media` of a multipart body, read within the rule's size limit, with its format as its
 * first bytes say (the client's filename and Content-Type are ignored). No file: 41005; an empty one: 44001.
 */
async function readUpload(request: FastifyRequest, rule: UploadRule): Promise<{ bytes: Buffer; format: MediaFormat }> {
  if (!request.isMultipart()) throw wechatError(41005, 'media data missing: send the file as multipart/form-data, field "media"');
  const limits = { fileSize: rule.maxBytes, files: 1, fields: 10, fieldSize: 1024, parts: 20, headerPairs: 100 };
  let bytes: Buffer;
  try {
    const part = await request.file({ limits });
    if (!part || part.fieldname !== 'media') {
      part?.file.resume();
      throw wechatError(41005, 'media data missing: no file field named "media"');
    }
    bytes = await part.toBuffer();
  } catch (error) {
    if (error instanceof WechatError) throw error;
    if ((error as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE') throw rule.tooLarge();
    throw wechatError(41005, `media data missing: ${(error as Error).message}`);
  }
  if (bytes.length === 0) throw wechatError(44001);
  const format = detectFormat(bytes);
  if (format === undefined || !rule.formats.includes(format)) throw wechatError(40005);
  return { bytes, format };
}

const unixSeconds = (date: Date) => Math.floor(date.getTime() / 1000);

/** Media under /cgi-bin/media (upload, uploadimg, get). */
export const mediaRoutes: FastifyPluginAsyncTypebox<{ deps: Deps }> = async (app, { deps }) => {
  const media = deps.services.media;
  // Only in this scope: multipart/form-data gets its own parser (other bodies stay JSON, see speakWechat). Limits are
  // set per call, from the rule of the upload's type.
  await app.register(multipart, { limits: { files: 1, fields: 10, fieldSize: 1024, parts: 20, headerPairs: 100, fileSize: 10 * MB } });

  app.post('/media/upload', {
    schema: {
      tags,
      summary: 'Upload a temporary media file (image, voice, video or thumb; multipart field "media"); it expires after 3 days',
      querystring: Type.Object({ access_token: Type.Optional(Type.String()), type: Type.Optional(Type.String()) }),
    },
    handler: async (request) => {
      const { type } = request.query;
      if (!isUploadType(type)) throw wechatError(40004);
      const row = await media.save(request.wechatAccount.id, type, await readUpload(request, UPLOAD_RULES[type]));
      const created_at = unixSeconds(row.createdAt);
      return type === 'thumb' ? { type, thumb_media_id: row.mediaId, created_at } : { type, media_id: row.mediaId, created_at };
    },
  });

  app.post('/media/uploadimg', {
    schema: {
      tags,
      summary: 'Upload an image for use inside article content (jpg/png under 1 MB); answers its permanent URL',
      querystring: Type.Object({ access_token: Type.Optional(Type.String()) }),
      response: { 200: Type.Object({ url: Type.String() }) },
    },
    handler: async (request) => {
      const row = await media.save(request.wechatAccount.id, 'article_image', await readUpload(request, ARTICLE_IMAGE_RULE));
      return { url: mediaUrl(request, deps.config.publicUrl, row.storageKey!) };
    },
  });

  app.get('/media/get', {
    schema: {
      tags,
      summary: 'Download a temporary media file by media_id (40007 once it has expired)',
      querystring: Type.Object({ access_token: Type.Optional(Type.String()), media_id: Type.String() }),
    },
    handler: async (request, reply) => {
      const { media_id: mediaId } = request.query;
      const row = await media.findLive(request.wechatAccount.id, mediaId, ['image', 'voice', 'video', 'thumb']);
      const file = row && (await media.open(row));
      if (!row || !file) throw wechatError(40007);
      const ext = row.storageKey!.split('.').pop();
      return reply
        .type(row.contentType!)
        .header('content-length', file.size)
        .header('content-disposition', `attachment; filename="${mediaId}.${ext}"`)
        .header('cache-control', 'no-cache, must-revalidate')
        .send(file.stream);
    },
  });
};
