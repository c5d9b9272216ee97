import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { expect } from 'vitest';

/** Tiny but well-formed files: each starts with its format's real header. */
export const files = {
  // A 1×1 PNG.
  png: Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64'),
  // SOI, a JFIF APP0 segment, EOI.
  jpeg: Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, ...Buffer.from('JFIF\0'), 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0xff, 0xd9]),
  gif: Buffer.concat([Buffer.from('GIF89a'), Buffer.from([0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x3b])]),
  // An ID3v2.3 tag header, then one MPEG-1 Layer III frame header (128 kbit/s, 44.1 kHz).
  mp3: Buffer.concat([Buffer.from('ID3'), Buffer.from([0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00]), Buffer.from([0xff, 0xfb, 0x90, 0x64]), Buffer.alloc(32)]),
  // An MPEG frame with no ID3 tag.
  mp3Bare: Buffer.concat([Buffer.from([0xff, 0xfb, 0x90, 0x64]), Buffer.alloc(32)]),
  amr: Buffer.concat([Buffer.from('#!AMR\n'), Buffer.from([0x3c, 0x48, 0xf5, 0x1f]), Buffer.alloc(28)]),
  // An ftyp box: size 24, "ftyp", brand isom, version 0x200, compatible brands isom iso2.
  mp4: Buffer.concat([Buffer.from([0x00, 0x00, 0x00, 0x18]), Buffer.from('ftypisom'), Buffer.from([0x00, 0x00, 0x02, 0x00]), Buffer.from('isomiso2')]),
};

/** A file of `size` bytes that starts with a real header (the rest is padding). */
export function sized(header: Buffer, size: number): Buffer {
  const bytes = Buffer.alloc(size);
  header.copy(bytes, 0, 0, Math.min(header.length, size));
  return bytes;
}

export function multipart(parts: Array<{ field: string; bytes: Buffer; filename?: string; contentType?: string }>) {
  const boundary = `----oa${randomBytes(8).toString('hex')}`;
  const chunks = parts.flatMap((part) => [
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="${part.field}"; filename="${part.filename ?? 'upload.bin'}"\r\n` +
        `Content-Type: ${part.contentType ?? 'application/octet-stream'}\r\n\r\n`,
    ),
    part.bytes,
    Buffer.from('\r\n'),
  ]);
  return { payload: Buffer.concat([...chunks, Buffer.from(`--${boundary}--\r\n`)]), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

/** POSTs one file as WeChat SDKs do (multipart field `media`) and returns the JSON answer. */
export async function uploadMedia(
  app: FastifyInstance,
  token: string,
  path: string,
  bytes: Buffer,
  options: { type?: string; field?: string; filename?: string; contentType?: string } = {},
): Promise<Record<string, unknown>> {
  const { payload, headers } = multipart([{ field: options.field ?? 'media', bytes, filename: options.filename, contentType: options.contentType }]);
  const response = await app.inject({
    method: 'POST',
    url: path,
    query: { access_token: token, ...(options.type === undefined ? {} : { type: options.type }) },
    payload,
    headers,
  });
  expect(response.statusCode, response.body).toBe(200);
  return response.json();
}
