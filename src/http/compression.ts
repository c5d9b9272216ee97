import type { FastifyCompressOptions } from '@fastify/compress';
import type { FastifyReply, FastifyRequest } from 'fastify';
import Negotiator from 'negotiator';
import { brotliCompressSync, constants, deflateSync, gzipSync } from 'node:zlib';

/**
 * Answers are compressed when the client accepts it (Accept-Encoding; browsers, fetch and the WeChat SDKs' HTTP
 * clients all send it), at each codec's fastest level: JSON of figures still shrinks about tenfold (a year of daily
 * article figures, 726 KB, to 76 KB with Brotli in ~1.2 ms), and the API shares two cores with PostgreSQL, where
 * the next levels cost two to four times the CPU for a third fewer bytes.
 */
const BROTLI_QUALITY = 1;
const GZIP_LEVEL = 1;

/** Smaller answers go as they are (the plugin's default): a few hundred bytes gain nothing worth a codec's work. */
const THRESHOLD_BYTES = 1024;

/**
 * @fastify/compress for every route. Request bodies are not decompressed: WeChat's clients never compress what they
 * send, and a compressed body would be one more way to send more than the body limit lets through.
 */
export const compressionOptions: FastifyCompressOptions = {
  global: true,
  globalDecompression: false,
  threshold: THRESHOLD_BYTES,
  // Buffered answers up to 1 MB are compressed at once rather than streamed through zlib's thread pool (the plugin's
  // default on two cores is above 8 KB): at these levels that takes 1–2 ms for the largest, less than the stream's
  // hops between threads added to a 178 KB answer (2.5 → 4.5 ms p50).
  syncThreshold: 1024 * 1024,
  brotliOptions: { params: { [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT, [constants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY } },
  zlibOptions: { level: GZIP_LEVEL },
};

/** The encodings a kept body may be stored in, in the server's order of preference (the plugin's). */
export type StoredEncoding = 'br' | 'gzip' | 'deflate';
const STORED_ENCODINGS: readonly string[] = ['br', 'gzip', 'deflate'] satisfies StoredEncoding[];
const ANSWERABLE_ENCODINGS = [...STORED_ENCODINGS, 'identity'];

/**
 * The encoding to send `body` in when it is kept compressed (see encodeBody), or undefined to send it as it is: when
 * the client accepts no compression or prefers none, below the plugin's threshold, and with `x-no-compression`. The
 * client's preferences are read by `negotiator` (q-values, `*`, an encoding refused with q=0); among equal ones, the
 * server's order (br, gzip, deflate) decides, as in the plugin. x-gzip is gzip.
 */
export function storedEncodingFor(request: FastifyRequest, body: Buffer): StoredEncoding | undefined {
  const accepted = request.headers['accept-encoding'];
  if (accepted === undefined || body.length < THRESHOLD_BYTES || request.headers['x-no-compression'] !== undefined) return undefined;
  const preferred = new Negotiator({ headers: { 'accept-encoding': accepted.toLowerCase().replaceAll('x-gzip', 'gzip') } }) as NegotiatorWithPreference;
  const encoding = preferred.encoding(ANSWERABLE_ENCODINGS, { preferred: ANSWERABLE_ENCODINGS });
  return encoding !== undefined && STORED_ENCODINGS.includes(encoding) ? (encoding as StoredEncoding) : undefined;
}

/** negotiator 1.x breaks ties by the `preferred` order; its published types (for 0.6) do not have the option yet. */
type NegotiatorWithPreference = Negotiator & { encoding(available: readonly string[], options: { preferred: readonly string[] }): string | undefined };

/** `body` compressed as the plugin would, synchronously: for answers kept and sent again (stats.cache.ts). */
export function encodeBody(body: Buffer, encoding: StoredEncoding): Buffer {
  if (encoding === 'br') return brotliCompressSync(body, { params: { ...compressionOptions.brotliOptions!.params, [constants.BROTLI_PARAM_SIZE_HINT]: body.length } });
  return encoding === 'gzip' ? gzipSync(body, compressionOptions.zlibOptions) : deflateSync(body, compressionOptions.zlibOptions);
}

/**
 * Sends `body`, already compressed with `encoding`, with the headers the plugin gives what it compresses (seeing
 * Content-Encoding set, it leaves the body alone).
 */
export function sendEncoded(reply: FastifyReply, body: Buffer, encoding: StoredEncoding) {
  return varyOnEncoding(reply).header('content-encoding', encoding).send(body);
}

/** Adds Accept-Encoding to the reply's Vary, once: what a cache must key the answer on besides its URL. */
export function varyOnEncoding(reply: FastifyReply): FastifyReply {
  const vary = reply.getHeader('vary');
  const varies = vary === undefined ? [] : Array.isArray(vary) ? vary : [String(vary)];
  if (!varies.some((value) => value.toLowerCase().includes('accept-encoding'))) reply.header('vary', [...varies, 'accept-encoding'].join(', '));
  return reply;
}
