import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { describeError, WechatError } from '../../errors.js';
import { toAppError } from '../../plugins/problem.js';
import type { ApiCaller } from '../accounts/accounts.repo.js';
import { CAPABILITY_OF_INTERFACE } from '../accounts/capabilities.js';
import { holderOf, type CapabilityPolicy } from '../accounts/capabilities.service.js';
import { ERRMSG, errcodeOf, wechatError, type Errcode } from './errcodes.js';
import type { WechatAuth } from './wechat-auth.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The account whose access_token the request carries (WeChat-compatible routes). */
    wechatAccount: ApiCaller;
  }
  interface FastifyContextConfig {
    /** A WeChat-compatible route that takes no access_token (`/cgi-bin/token`, `/cgi-bin/stable_token`). */
    wechatPublic?: boolean;
  }
}

/** Body fields whose absence WeChat reports with a code of its own rather than 40097 "invalid args". */
const MISSING_FIELD_ERRCODES: Record<string, Errcode> = {
  openid: 41009,
  media_id: 41006,
  appid: 41002,
  secret: 41004,
};

/** An error as WeChat answers it: its errcode, and its errmsg (with our detail where it helps). */
function asWechat(error: unknown): { errcode: number; errmsg: string; unexpected: boolean } {
  if (error instanceof WechatError) return { errcode: error.errcode, errmsg: error.errmsg, unexpected: false };
  const fastifyError = error as FastifyError;
  const missing = fastifyError.validation?.find((issue) => issue.keyword === 'required');
  const missingField = (missing?.params as { missingProperty?: string } | undefined)?.missingProperty;
  if (missingField && MISSING_FIELD_ERRCODES[missingField] !== undefined) {
    const errcode = MISSING_FIELD_ERRCODES[missingField]!;
    return { errcode, errmsg: ERRMSG[errcode], unexpected: false };
  }
  if (fastifyError.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') return { errcode: 44002, errmsg: ERRMSG[44002], unexpected: false };
  const appError = toAppError(fastifyError);
  // A service refusal that already names WeChat's answer (customer-service messages, §10.2.3) is given as it is.
  const { errcode: namedErrcode, errmsg: namedErrmsg } = appError.details;
  if (typeof namedErrcode === 'number' && typeof namedErrmsg === 'string') return { errcode: namedErrcode, errmsg: namedErrmsg, unexpected: false };
  const errcode = errcodeOf(appError.code);
  const message = appError.message.length > MAX_DETAIL_CHARS ? `${appError.message.slice(0, MAX_DETAIL_CHARS)}…` : appError.message;
  const detail = appError.code === 'INTERNAL' || errcode === -1 ? '' : `: ${message}`;
  return { errcode, errmsg: `${ERRMSG[errcode]}${detail}`, unexpected: appError.code === 'INTERNAL' };
}

/**
 * Sends `{errcode, errmsg}` with HTTP 200, as WeChat does: clients read errcode and ignore the status; `extra`
 * fields where WeChat adds some (45065 carries the first msg_id). Sent as text, so the route's 200 schema (its
 * success shape) does not apply.
 */
export function sendWechatError(reply: FastifyReply, request: FastifyRequest, errcode: number, errmsg: string, extra: Record<string, unknown> = {}): FastifyReply {
  return reply
    .code(200)
    .type('application/json; charset=utf-8')
    .send(JSON.stringify({ errcode, errmsg: `${errmsg} rid: ${request.id}`, ...extra }));
}

/** Bodies must be UTF-8: bytes that are not are refused (40033), never stored as U+FFFD. */
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** A JSON.parse reviver: a `\uD800`-style escape that is half a character cannot be stored as text (40033). */
function refuseLoneSurrogates(key: string, value: unknown): unknown {
  if (LONE_SURROGATE.test(key) || (typeof value === 'string' && LONE_SURROGATE.test(value))) throw wechatError(40033);
  return value;
}

/** The longest detail of ours appended to WeChat's errmsg (it may quote the request). */
const MAX_DETAIL_CHARS = 200;

/** WeChat's answer to a write that succeeded. */
export const OK = { errcode: 0, errmsg: 'ok' } as const;

/**
 * Makes an encapsulated scope (one per prefix: /cgi-bin, /datacube) speak WeChat's wire format:
 * - bodies are JSON whatever the Content-Type says (some SDKs send none, or a form or text type); invalid JSON is
 *   47001, an empty body where one is required 44002;
 * - every error is HTTP 200 `{errcode, errmsg}` with ` rid: <request id>` appended, including unknown paths (40066)
 *   and a known path called with the wrong method (43001 / 43002);
 * - every route but those marked `wechatPublic` takes `access_token` in the query, checked before anything else,
 *   and then the capability the interface needs (CAPABILITY_OF_INTERFACE) against the account's type and
 *   verification: 48001 "api unauthorized" outside them, naming the capability and who has it.
 */
export function speakWechat(app: FastifyInstance, auth: WechatAuth, capabilities: Pick<CapabilityPolicy, 'require'>): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => {
    let text: string;
    try {
      text = strictUtf8.decode(body as Buffer);
    } catch {
      return done(wechatError(40033));
    }
    if (text.trim() === '') return done(null, undefined);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text, refuseLoneSurrogates);
    } catch (error) {
      return done(error instanceof WechatError ? error : wechatError(47001));
    }
    done(null, parsed);
  });

  app.setErrorHandler((error, request, reply) => {
    const { errcode, errmsg, unexpected } = asWechat(error);
    if (unexpected) request.log.error({ err: error }, 'unhandled error');
    else if (errcode === -1) request.log.debug({ reason: describeError(error) }, 'request failed: dependency unavailable');
    return sendWechatError(reply, request, errcode, errmsg);
  });

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? request.url;
    if (request.method !== 'GET' && app.hasRoute({ method: 'GET', url: path })) return sendWechatError(reply, request, 43001, ERRMSG[43001]);
    if (request.method !== 'POST' && app.hasRoute({ method: 'POST', url: path })) return sendWechatError(reply, request, 43002, ERRMSG[43002]);
    return sendWechatError(reply, request, 40066, `${ERRMSG[40066]}: no interface ${path}`);
  });

  app.decorateRequest('wechatAccount', null as unknown as ApiCaller);
  app.addHook('onRequest', async (request) => {
    // Unknown paths (no route url) go on to the 40066 answer.
    if (request.routeOptions.config.wechatPublic || request.routeOptions.url === undefined) return;
    // A repeated parameter arrives as an array: the first one counts (and is what the route's schema then sees).
    const query = request.query as { access_token?: unknown };
    if (Array.isArray(query.access_token)) query.access_token = query.access_token[0];
    const token = query.access_token;
    const url = request.routeOptions.url;
    request.wechatAccount = await auth.authenticate(typeof token === 'string' ? token : undefined, url);
    const capability = CAPABILITY_OF_INTERFACE[url];
    // An interface nobody assigned a capability is refused rather than open to every account.
    if (capability === undefined) throw wechatError(48001, `${ERRMSG[48001]}: ${url} has no capability assigned`);
    await capabilities.require(holderOf(request.wechatAccount), capability);
  });
}
