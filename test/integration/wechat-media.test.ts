import { access } from 'node:fs/promises';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { media } from '../../src/db/schema/media.js';
import { createAccount, registerAdmin } from '../helpers/admin.js';
import { useTestContext } from '../helpers/context.js';
import { files, multipart, sized, uploadMedia } from '../helpers/media.js';
import { accessToken, capableAccount, cgi, expectErrcode } from '../helpers/wechat.js';

const ctx = useTestContext();
const KB = 1024;
const MB = 1024 * KB;

async function setup() {
  const owner = await registerAdmin(ctx.app);
  const account = await createAccount(ctx.app, owner);
  // Media upload and download are a verified account's interfaces (capability policy).
  await capableAccount(ctx.app, owner, account, { verified: true });
  return { account, token: await accessToken(ctx.app, account) };
}

const upload = (token: string, type: string | undefined, bytes: Buffer, options: { field?: string; filename?: string; contentType?: string } = {}) =>
  uploadMedia(ctx.app, token, '/cgi-bin/media/upload', bytes, { ...options, ...(type === undefined ? {} : { type }) });
const getMedia = (token: string, mediaId: string) => ctx.app.inject({ method: 'GET', url: '/cgi-bin/media/get', query: { access_token: token, media_id: mediaId } });
const rowOf = async (mediaId: string) => (await ctx.deps.database.db.select().from(media).where(eq(media.mediaId, mediaId)))[0];
const fileExists = (key: string) =>
  access(path.join(ctx.config.media.dir, key)).then(
    () => true,
    () => false,
  );


describe('temporary media upload and download', () => {
  it.each([
    ['image', 'png', files.png, 'image/png', 'png'],
    ['image', 'jpeg', files.jpeg, 'image/jpeg', 'jpg'],
    ['image', 'gif', files.gif, 'image/gif', 'gif'],
    ['voice', 'mp3 with an ID3 tag', files.mp3, 'audio/mpeg', 'mp3'],
    ['voice', 'bare mp3 frames', files.mp3Bare, 'audio/mpeg', 'mp3'],
    ['voice', 'amr', files.amr, 'audio/amr', 'amr'],
    ['video', 'mp4', files.mp4, 'video/mp4', 'mp4'],
  ] as const)('stores a %s (%s) and gives back the identical bytes with its type and a filename', async (type, _label, bytes, contentType, ext) => {
    ctx.clock.set('2026-06-15T04:00:00Z');
    const { token } = await setup();
    // The client's name and MIME type are ignored: the content says what the file is.
    const answer = await upload(token, type, bytes, { filename: 'whatever.txt', contentType: 'text/plain' });
    expect(answer).toEqual({ type, media_id: expect.stringMatching(/^[A-Za-z0-9_-]{64}$/), created_at: Date.parse('2026-06-15T04:00:00Z') / 1000 });

    const response = await getMedia(token, answer.media_id as string);
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe(contentType);
    expect(response.headers['content-disposition']).toBe(`attachment; filename="${answer.media_id}.${ext}"`);
    expect(response.rawPayload.equals(bytes)).toBe(true);
  });

  it('answers a thumb with thumb_media_id', async () => {
    const { token } = await setup();
    const answer = await upload(token, 'thumb', files.jpeg);
    expect(answer).toEqual({ type: 'thumb', thumb_media_id: expect.stringMatching(/^[A-Za-z0-9_-]{64}$/), created_at: expect.any(Number) });
    expect((await getMedia(token, answer.thumb_media_id as string)).rawPayload.equals(files.jpeg)).toBe(true);
  });

  it('refuses an unknown or missing type with 40004', async () => {
    const { token } = await setup();
    expectErrcode(await upload(token, 'file', files.png), 40004);
    expectErrcode(await upload(token, 'news', files.png), 40004);
    expectErrcode(await upload(token, undefined, files.png), 40004);
  });

  it('refuses content the type does not take with 40005, whatever the filename and MIME type claim', async () => {
    const { token } = await setup();
    expectErrcode(await upload(token, 'voice', files.png, { filename: 'song.mp3', contentType: 'audio/mpeg' }), 40005);
    expectErrcode(await upload(token, 'thumb', files.png, { filename: 'thumb.jpg', contentType: 'image/jpeg' }), 40005);
    expectErrcode(await upload(token, 'video', files.mp3, { filename: 'clip.mp4', contentType: 'video/mp4' }), 40005);
    expectErrcode(await upload(token, 'image', Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'), { filename: 'a.png', contentType: 'image/png' }), 40005);
  });

  it.each([
    ['image', 10 * MB, files.png, 40009],
    ['voice', 2 * MB, files.mp3, 40010],
    ['video', 10 * MB, files.mp4, 40011],
    ['thumb', 64 * KB, files.jpeg, 40012],
  ] as const)('takes a %s of exactly %i bytes and refuses one byte more with its size code', async (type, limit, header, errcode) => {
    const { token } = await setup();
    const atLimit = await upload(token, type, sized(header, limit));
    expect(atLimit.errcode, JSON.stringify(atLimit)).toBeUndefined();
    expectErrcode(await upload(token, type, sized(header, limit + 1)), errcode);
  });

  it('answers 41005 when no file part is named media or the body is not multipart, 44001 for an empty file', async () => {
    const { token } = await setup();
    expectErrcode(await upload(token, 'image', files.png, { field: 'file' }), 41005);
    expectErrcode(await cgi(ctx.app, 'POST', '/cgi-bin/media/upload', token, { query: { type: 'image' }, body: { media: 'x' } }), 41005);
    expectErrcode(await upload(token, 'image', Buffer.alloc(0)), 44001);
  });

  it('keeps other fields of the form within small limits', async () => {
    const { token } = await setup();
    const { payload, headers } = multipart([
      { field: 'media', bytes: files.png },
      { field: 'media', bytes: files.png },
    ]);
    // A second file goes beyond the one-file limit; the first is still the upload.
    const response = await ctx.app.inject({ method: 'POST', url: '/cgi-bin/media/upload', query: { access_token: token, type: 'image' }, payload, headers });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ type: 'image', media_id: expect.any(String) });
  });

  it('expires a temporary media 3 days after upload: get answers 40007 and the file is deleted', async () => {
    ctx.clock.set('2026-06-15T04:00:00Z');
    const { account } = await setup();
    const token = await accessToken(ctx.app, account);
    const { media_id: mediaId } = (await upload(token, 'voice', files.amr)) as { media_id: string };
    const row = await rowOf(mediaId);
    expect(row!.expiresAt!.toISOString()).toBe('2026-06-18T04:00:00.000Z');
    expect(await fileExists(row!.storageKey!)).toBe(true);

    ctx.clock.set('2026-06-18T03:59:59Z');
    const before = await getMedia(await accessToken(ctx.app, account), mediaId);
    expect(before.rawPayload.equals(files.amr)).toBe(true);

    ctx.clock.set('2026-06-18T04:00:01Z');
    const after = await getMedia(await accessToken(ctx.app, account), mediaId);
    expectErrcode(after.json(), 40007);
    expect(await rowOf(mediaId)).toBeUndefined();
    expect(await fileExists(row!.storageKey!)).toBe(false);
  });

  it("sweeps the account's expired media when it uploads again", async () => {
    ctx.clock.set('2026-06-15T04:00:00Z');
    const { account, token } = await setup();
    const { media_id: old } = (await upload(token, 'image', files.png)) as { media_id: string };
    const key = (await rowOf(old))!.storageKey!;
    ctx.clock.set('2026-06-19T04:00:00Z');
    await upload(await accessToken(ctx.app, account), 'image', files.gif);
    expect(await rowOf(old)).toBeUndefined();
    expect(await fileExists(key)).toBe(false);
  });

  it("answers 40007 for an unknown media_id or another account's, and 41006 without one", async () => {
    const first = await setup();
    const second = await setup();
    const { media_id: mediaId } = (await upload(first.token, 'image', files.png)) as { media_id: string };
    expectErrcode((await getMedia(second.token, mediaId)).json(), 40007);
    expectErrcode((await getMedia(first.token, 'no-such-media')).json(), 40007);
    expectErrcode(await cgi(ctx.app, 'GET', '/cgi-bin/media/get', first.token), 41006);
  });
});

describe('images for article content (uploadimg)', () => {
  it('answers a URL where the image is served with its Content-Type and long caching, to anyone', async () => {
    const { token } = await setup();
    const { url } = (await uploadMedia(ctx.app, token, '/cgi-bin/media/uploadimg', files.png, { filename: 'x.gif', contentType: 'image/gif' })) as { url: string };
    expect(url).toMatch(/^http:\/\/[^/]+\/media\/[0-9a-f]{32}\.png$/);
    const response = await ctx.app.inject({ method: 'GET', url: new URL(url).pathname });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('image/png');
    expect(response.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.rawPayload.equals(files.png)).toBe(true);
    // Article images never expire.
    ctx.clock.advance(30 * 24 * 3600_000);
    expect((await ctx.app.inject({ method: 'GET', url: new URL(url).pathname })).statusCode).toBe(200);
  });

  it('refuses to build a URL from a Host header that is not a host name', async () => {
    const { token } = await setup();
    const { payload, headers } = multipart([{ field: 'media', bytes: files.png }]);
    for (const host of ['evil.example"><img src=x onerror=alert(1)>', 'a b', 'example.com/path']) {
      const response = await ctx.app.inject({ method: 'POST', url: '/cgi-bin/media/uploadimg', query: { access_token: token }, payload, headers: { ...headers, host } });
      expectErrcode(response.json(), 40097);
    }
    const { payload: again, headers: same } = multipart([{ field: 'media', bytes: files.png }]);
    const fine = await ctx.app.inject({ method: 'POST', url: '/cgi-bin/media/uploadimg', query: { access_token: token }, payload: again, headers: { ...same, host: '[::1]:3000' } });
    expect(fine.json()).toEqual({ url: expect.stringMatching(/^http:\/\/\[::1\]:3000\/media\/[0-9a-f]{32}\.png$/) });
  });

  it('takes jpg and png under 1 MB only', async () => {
    const { token } = await setup();
    const uploadimg = (bytes: Buffer) => uploadMedia(ctx.app, token, '/cgi-bin/media/uploadimg', bytes);
    expect(await uploadimg(files.jpeg)).toEqual({ url: expect.stringMatching(/\.jpg$/) });
    expectErrcode(await uploadimg(files.gif), 40005);
    expect(await uploadimg(sized(files.png, MB))).toEqual({ url: expect.any(String) });
    expectErrcode(await uploadimg(sized(files.png, MB + 1)), 40009);
  });

  it('serves no file under an unknown name, and no voice at all', async () => {
    const { token } = await setup();
    expect((await ctx.app.inject({ method: 'GET', url: `/media/${'0'.repeat(32)}.png` })).statusCode).toBe(404);
    const { media_id: mediaId } = (await upload(token, 'voice', files.mp3)) as { media_id: string };
    const key = (await rowOf(mediaId))!.storageKey!;
    expect((await ctx.app.inject({ method: 'GET', url: `/media/${key}` })).statusCode).toBe(400);
    expect((await ctx.app.inject({ method: 'GET', url: '/media/..%2F..%2Fetc%2Fpasswd' })).statusCode).toBe(400);
  });

  it('stops serving a temporary image once it expires', async () => {
    ctx.clock.set('2026-06-15T04:00:00Z');
    const { token } = await setup();
    const { media_id: mediaId } = (await upload(token, 'image', files.png)) as { media_id: string };
    const key = (await rowOf(mediaId))!.storageKey!;
    expect((await ctx.app.inject({ method: 'GET', url: `/media/${key}` })).statusCode).toBe(200);
    ctx.clock.set('2026-06-18T04:00:01Z');
    expect((await ctx.app.inject({ method: 'GET', url: `/media/${key}` })).statusCode).toBe(404);
  });
});
